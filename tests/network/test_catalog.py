"""Network catalog: names, loaders, bundled folders, import, summary (gridmodel.network.catalog)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandapower as pp
import pandapower.networks as pn
import pytest

from gridmodel.errors import GridModelError, NetworkError, OptionError
from gridmodel.network.bundle import import_network
from gridmodel.network.catalog import (
    ENV_PATH,
    available_networks,
    load_network,
    network_entries,
    summarize,
)

DATA = Path(__file__).resolve().parents[1] / "data"
REQUIRED_CASES = [
    "case9",
    "case14",
    "case30",
    "case39",
    "case57",
    "case118",
    "case300",
    "case1354pegase",
    "case2869pegase",
    "GBreducednetwork",
    "iceland",
    "mv_oberrhein",
]


def dc_line_flows(net: pp.pandapowerNet) -> np.ndarray:
    pp.rundcpp(net)
    return net.res_line["p_from_mw"].to_numpy()


def bundle(folder: Path, net: pp.pandapowerNet, **csv: str) -> Path:
    folder.mkdir(parents=True)
    pp.to_json(net, str(folder / "network.json"))
    for stem, text in csv.items():
        (folder / f"{stem}.csv").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def networks_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "networks"
    folder.mkdir()
    monkeypatch.setenv(ENV_PATH, str(folder))
    return folder


# --- names ----------------------------------------------------------------------


def test_required_builtin_cases_are_listed() -> None:
    names = available_networks()
    assert set(REQUIRED_CASES) <= set(names)
    kinds = {e.name: e.kind for e in network_entries()}
    assert all(kinds[c] == "builtin" for c in REQUIRED_CASES)


def test_builtin_case14_loads_with_published_totals() -> None:
    grid = load_network("case14")
    # IEEE 14-bus: 14 buses, 11 loads, 259 MW total demand (published case data)
    assert len(grid.net.bus) == 14
    assert grid.net.load["p_mw"].sum() == pytest.approx(259.0, abs=1e-6)
    assert len(grid.substations) == 14
    assert grid.name == "case14"


def test_loads_are_independent_copies() -> None:
    first = load_network("case9")
    first.net.load.loc[0, "p_mw"] = 999.0
    second = load_network("case9")
    assert second.net.load.loc[0, "p_mw"] == 90.0  # case9 bus 5 load, MATPOWER data
    assert second.net is not first.net


def test_unknown_name_lists_close_matches() -> None:
    with pytest.raises(NetworkError) as info:
        load_network("case14x")
    assert "unknown network 'case14x'" in info.value.line()
    assert "'case14'" in info.value.line()


# --- files --------------------------------------------------------------------


def test_pandapower_json_round_trip(tmp_path: Path) -> None:
    ref = pn.case30()
    path = tmp_path / "thirty.json"
    pp.to_json(ref, str(path))
    grid = load_network(path)
    assert grid.name == "thirty"
    assert grid.source == str(path)
    assert len(grid.net.bus) == 30
    assert grid.region_names() == ["1", "2", "3"]  # zones survive the JSON round trip
    np.testing.assert_allclose(dc_line_flows(grid.net), dc_line_flows(ref), atol=1e-9)


def test_matpower_m_file_matches_pandapower_case9() -> None:
    grid = load_network(DATA / "case9.m")
    ref = pn.case9()
    assert len(grid.net.bus) == 9
    assert grid.net.load["p_mw"].sum() == pytest.approx(315.0)  # 90 + 100 + 125 MW
    # same impedances and injections -> same DC flows as pandapower's case9 (1e-6 MW)
    np.testing.assert_allclose(dc_line_flows(grid.net), dc_line_flows(ref), atol=1e-6)
    # slack Pmax 250 + 300 + 270 MW
    assert summarize(grid)["gen_mw"] == pytest.approx(820.0)


def test_matpower_mat_file(tmp_path: Path) -> None:
    from pandapower.converter.matpower import to_mpc

    ref = pn.case14()
    path = tmp_path / "fourteen.mat"
    to_mpc(ref, str(path), init="flat")
    grid = load_network(str(path))
    assert len(grid.net.bus) == 14
    np.testing.assert_allclose(dc_line_flows(grid.net), dc_line_flows(ref), atol=1e-6)


@pytest.mark.parametrize("suffix", [".p", ".pkl", ".pickle"])
def test_pickles_are_refused(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"net{suffix}"
    path.write_bytes(b"not really a pickle")
    with pytest.raises(NetworkError) as info:
        load_network(path)
    assert "pickle" in info.value.line()
    assert ".json" in info.value.line() and ".m" in info.value.line()


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("broken.json", "{not json", "cannot read network file"),
        ("broken.m", "function mpc = broken\nmpc.bus = [ 1 2 ;\n", "cannot read"),
        ("broken.mat", "plain text", "cannot read network file"),
        ("net.txt", "x", "unknown network file type '.txt'"),
    ],
)
def test_malformed_files_name_the_file(
    tmp_path: Path, name: str, content: str, problem: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(NetworkError) as info:
        load_network(path)
    assert str(path) in info.value.line()
    assert problem in info.value.line()


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(NetworkError, match="no such file"):
        load_network(str(tmp_path / "nothing.json"))


# --- bundled folders ----------------------------------------------------------


SUBSTATIONS = (
    "substation,name,region,lat,lon\n"
    "W,West,west,49.8,24.0\nC,Centre,centre,50.45,30.52\nE,East,east,49.99,36.23\n"
)
BUSES = "bus,substation\n0,W\n1,W\n2,W\n3,C\n4,C\n5,C\n6,E\n7,E\n8,E\n"


def test_bundled_folder_is_found_and_uses_its_metadata(networks_dir: Path) -> None:
    bundle(
        networks_dir / "nine",
        pn.case9(),
        substations=SUBSTATIONS,
        buses=BUSES,
        loads="load,customers,priority\n0,100,1\n",
        regions="region,groups\nwest,2\n",
    )
    assert "nine" in available_networks()
    assert {e.name: e.kind for e in network_entries()}["nine"] == "bundled"
    grid = load_network("nine")
    assert grid.source == str(networks_dir / "nine")
    assert list(grid.substations.index) == ["W", "C", "E"]
    assert grid.loads.loc[0].tolist() == [100, 1]
    assert grid.regions["groups"].to_dict() == {"west": 2, "centre": 6, "east": 6}
    # loads at buses 4, 6, 8 (90, 100, 125 MW): 90 MW in centre, 225 MW in east
    s = summarize(grid)
    by_region = {r["region"]: r for r in s["regions"]}
    assert by_region["centre"]["load_mw"] == pytest.approx(90.0)
    assert by_region["east"]["load_mw"] == pytest.approx(225.0)
    assert by_region["west"]["substations"] == 1
    # generators: ext_grid bus 0 (250), gen bus 1 (300), gen bus 2 (270) all in the west
    assert by_region["west"]["gen_mw"] == pytest.approx(820.0)
    assert by_region["east"]["customers"] == 50_000 + 62_500


def test_bundled_folder_by_path(tmp_path: Path) -> None:
    folder = bundle(tmp_path / "elsewhere", pn.case9(), substations=SUBSTATIONS, buses=BUSES)
    grid = load_network(folder)
    assert grid.name == "elsewhere"
    assert grid.buses_of("E") == [6, 7, 8]


def test_bundled_folder_needs_coordinates(networks_dir: Path) -> None:
    net = pn.case9()
    net.bus["geo"] = None
    bundle(networks_dir / "nogeo", net)
    with pytest.raises(NetworkError, match="no coordinates"):
        load_network("nogeo")


def test_bad_metadata_in_bundled_folder_names_the_csv(networks_dir: Path) -> None:
    bundle(networks_dir / "bad", pn.case9(), substations=SUBSTATIONS, buses=BUSES + "42,W\n")
    with pytest.raises(NetworkError) as info:
        load_network("bad")
    assert info.value.file == str(networks_dir / "bad" / "buses.csv")
    assert "unknown bus 42" in info.value.line()


# --- summary ------------------------------------------------------------------


def test_summary_of_case30_matches_pandapower_zone_totals() -> None:
    grid = load_network("case30")
    net = pn.case30()
    zone = net.bus["zone"].astype(float).astype(int).astype(str)
    load_by_zone = net.load["p_mw"].groupby(net.load["bus"].map(zone)).sum()
    s = summarize(grid)
    assert s["buses"] == 30
    assert s["load_mw"] == pytest.approx(net.load["p_mw"].sum())  # 189.2 MW
    for row in s["regions"]:
        assert row["load_mw"] == pytest.approx(load_by_zone[row["region"]])
        assert row["customers"] == pytest.approx(500 * load_by_zone[row["region"]], abs=20)
    assert sum(r["gen_mw"] for r in s["regions"]) == pytest.approx(s["gen_mw"])


def test_summary_counts_sgen_and_ignores_unlimited_ext_grid() -> None:
    grid = load_network("mv_oberrhein")
    net = grid.net  # pandapower's own tables, summed here independently of summarize
    s = summarize(grid)
    # no gen, sgen without max_p_mw -> their p_mw; the two ext_grids have no max_p_mw
    assert len(net.gen) == 0
    # summary values are rounded to 1 kW
    assert s["gen_mw"] == pytest.approx(net.sgen.loc[net.sgen.in_service, "p_mw"].sum(), abs=1e-3)
    loads = net.load[net.load.in_service]
    assert s["load_mw"] == pytest.approx((loads.p_mw * loads.scaling).sum(), abs=1e-3)


# --- import -------------------------------------------------------------------


def test_import_matpower_file_reads_back(networks_dir: Path) -> None:
    folder = import_network(DATA / "case9.m", name="nine-m")
    assert folder == networks_dir / "nine-m"
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "README.md",
        "buses.csv",
        "loads.csv",
        "network.json",
        "regions.csv",
        "substations.csv",
    ]
    grid = load_network("nine-m")
    # the .m file has no geodata: layout coordinates were generated
    assert grid.substations[["lat", "lon"]].notna().all().all()
    assert "layout coordinates" in (folder / "README.md").read_text()
    np.testing.assert_allclose(
        dc_line_flows(grid.net), dc_line_flows(load_network(DATA / "case9.m").net), atol=1e-9
    )


def test_import_with_substations_csv(tmp_path: Path, networks_dir: Path) -> None:
    csv = tmp_path / "subs.csv"
    csv.write_text(
        "substation,name,region,lat,lon,buses\n"
        "W,West,west,49.8,24.0,0 1 2\nC,Centre,centre,50.45,30.52,3;4;5\n"
        "E,East,east,49.99,36.23,6 7 8\n"
    )
    folder = import_network("case9", name="nine-s", substations_csv=csv)
    grid = load_network(folder)
    assert grid.buses_of("C") == [3, 4, 5]
    assert grid.substations.loc["E", "lat"] == pytest.approx(49.99)


def test_import_refuses_overwrite_and_bad_input(tmp_path: Path, networks_dir: Path) -> None:
    import_network("case9", name="nine")
    with pytest.raises(OptionError, match="already exists"):
        import_network("case14", name="nine")
    import_network("case14", name="nine", overwrite=True)
    assert len(load_network("nine").net.bus) == 14
    with pytest.raises(OptionError, match="built-in case"):
        import_network("case9", name="case9")
    with pytest.raises(OptionError, match="bad network name"):
        import_network("case9", name="../up")
    csv = tmp_path / "subs.csv"
    csv.write_text("substation,name,region,lat,lon,buses\nW,West,west,49.8,24.0,0 1 2\n")
    with pytest.raises(GridModelError) as info:
        import_network("case9", name="partial", substations_csv=csv)
    assert info.value.file == str(csv)
    assert "without a substation" in info.value.line()
    # nothing half-written is left behind
    assert sorted(p.name for p in networks_dir.iterdir()) == ["nine"]


def test_summary_json_serialisable() -> None:
    json.dumps(summarize(load_network("case9")))
