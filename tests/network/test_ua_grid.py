"""Invariants of the bundled ``ua-grid`` network (networks/ua-grid/).

Expected values come from the project's domain notes (shared/DOMAIN.md,
"public figures"), from the GridKit extract in ``inputs/`` read afresh here,
from PyPSA-Eur's plant list (``inputs/custom_powerplants_ua_md.csv``) and
from pandapower's own power-flow answers. Geometry (great-circle distance,
point in the front polygon) is computed here, not with the build's code,
except ``region_of`` of ``inputs/make_oblasts.py``, which has its own tests
(test_ua_grid_oblasts.py). Tolerances are stated next to each check.
"""

from __future__ import annotations

import ast
import copy
import importlib.util
import json
import math
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from types import ModuleType

import numpy as np
import pandapower as pp
import pandas as pd
import pytest
from pandapower.toolbox import nets_equal

import gridmodel
from gridmodel.network.grid import Grid

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "networks" / "ua-grid"
INPUTS = FOLDER / "inputs"
SCENARIO = ROOT / "scenarios" / "ua-2022-12-16.toml"

#: Mean Earth radius for the haversine distance (km).
EARTH_RADIUS_KM = 6371.0
#: A source bus counts as modelled when a substation lies within this distance (km).
COVER_KM = 1.0
#: Line lengths: the source's metres / 1000, summed in floating point.
LENGTH_TOL_KM = 1e-9
#: MW figures of the impact JSON are rounded to 1e-6 MW.
MW_TOL = 1e-6
#: Loads are rounded to 1 kW each; the totals are pinned to 0.01 MW.
DEMAND_TOL_MW = 0.01

#: National winter peak after the 2022 invasion, ~18 GW (public figures). Moldova's
#: equivalent holds no load.
UKRAINE_PEAK_MW = 18_000.0
#: Kyiv city's winter need (inputs/oblast_demand.csv, Ukrenergo and Yasno figures).
KYIV_CITY_MW = 1_400.0

#: Plants with installed MW in the domain notes (public figures): name in the
#: model -> (type, MW). Kakhovka HPP (350 MW, occupied in 2022) is not in ua-grid.
DOMAIN_PLANTS: dict[str, tuple[str, float]] = {
    "Rivne NPP": ("nuclear", 2835),
    "Khmelnytskyi NPP": ("nuclear", 2000),
    "South Ukraine NPP": ("nuclear", 3000),
    "Zaporizhzhia NPP": ("nuclear", 6000),
    "Burshtyn TPP": ("thermal", 2300),
    "Dobrotvir TPP": ("thermal", 600),
    "Ladyzhyn TPP": ("thermal", 1800),
    "Trypillia TPP": ("thermal", 1800),
    "Zmiiv TPP": ("thermal", 2200),
    "Kryvyi Rih TPP": ("thermal", 2800),
    "Prydniprovska TPP": ("thermal", 1800),
    "Kurakhove TPP": ("thermal", 1500),
    "Kyiv CHP-5": ("chp", 700),
    "Kyiv CHP-6": ("chp", 500),
    "Kharkiv CHP-5": ("chp", 540),
    "Dnipro HPP": ("hydro", 1570),
    "Kremenchuk HPP": ("hydro", 630),
    "Middle Dnipro HPP": ("hydro", 350),
    "Kaniv HPP": ("hydro", 440),
    "Kyiv HPP": ("hydro", 400),
    "Dniester HPP": ("hydro", 700),
    "Kyiv pumped storage": ("pumped_storage", 235),
    "Dniester pumped storage": ("pumped_storage", 1300),
}
#: Plants the domain notes do not list: name in the model -> (type, ``Name`` in
#: PyPSA-Eur's custom_powerplants; installed MW is its ``Capacity`` rounded to 1 MW).
CUSTOM_PLANTS: dict[str, tuple[str, str]] = {
    "Sloviansk TPP": ("thermal", "Slavyanskaya"),
    "Chernihiv CHP": ("chp", "Chernihiv"),
    "Kramatorsk TPP": ("thermal", "Kramatorskaya"),
    "Tashlyk pumped storage": ("pumped_storage", "Tashlyk"),
}
#: Installed MW by type in Ukraine, summed by hand from the two lists above.
INSTALLED_BY_TYPE_MW = {
    "nuclear": 13_835.0,  # 2,835 + 2,000 + 3,000 + 6,000
    "thermal": 15_658.0,  # 14,800 (DOMAIN.md) + Sloviansk 738 + Kramatorsk 120
    "chp": 1_940.0,  # 1,740 + Chernihiv 200
    "hydro": 4_090.0,  # Middle Dnipro is the Kamianske (Dniprodzerzhynsk) plant
    "pumped_storage": 1_821.0,  # 1,535 + Tashlyk 286
}
#: Occupied (Zaporizhzhia NPP, off the grid from Sep 2022) or not operating (Sloviansk).
OUT_OF_SERVICE = {"Zaporizhzhia NPP", "Sloviansk TPP"}
#: Coal and CHP units usable in winter 2022: ~36 of 56 GW (public figures).
THERMAL_AVAILABLE_SHARE = 36 / 56


def _module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_oblasts = _module(INPUTS / "make_oblasts.py")


def _output_files() -> tuple[str, ...]:
    """``build.OUTPUT_FILES``, read without importing build.py (it edits ``sys.path``)."""
    tree = ast.parse((FOLDER / "build.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "OUTPUT_FILES" for t in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    raise AssertionError("build.py defines no OUTPUT_FILES")


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def _inside(lon: float, lat: float, ring: list[tuple[float, float]]) -> bool:
    """Even-odd ray casting: a ray east from the point crosses the ring an odd number of times."""
    inside = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (y0 > lat) != (y1 > lat) and lon < x0 + (lat - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


def _ids(text: str) -> list[int]:
    return [int(x) for x in text.split()]


@pytest.fixture(scope="module")
def grid() -> Grid:
    return gridmodel.load_network("ua-grid")


@pytest.fixture(scope="module")
def source_buses() -> pd.DataFrame:
    return pd.read_csv(INPUTS / "buses.csv", quotechar="'").set_index("bus_id")


@pytest.fixture(scope="module")
def source_lines() -> pd.DataFrame:
    return pd.read_csv(INPUTS / "lines.csv", quotechar="'").set_index("line_id")


@pytest.fixture(scope="module")
def provenance() -> pd.DataFrame:
    return pd.read_csv(FOLDER / "provenance.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def modelled(provenance: pd.DataFrame) -> pd.Series:
    """GridKit bus id -> pandapower bus, from the ``bus`` rows of provenance.csv."""
    rows = provenance[provenance["element"] == "bus"]
    pairs = {b: int(r.index) for r in rows.itertuples() for b in _ids(r.source)}
    return pd.Series(pairs, dtype=int)


@pytest.fixture(scope="module")
def substations() -> pd.DataFrame:
    return pd.read_csv(FOLDER / "substations.csv", keep_default_na=False)


@pytest.fixture(scope="module")
def overrides() -> pd.DataFrame:
    return pd.read_csv(INPUTS / "station_overrides.csv")


@pytest.fixture(scope="module")
def front() -> list[tuple[float, float]]:
    table = pd.read_csv(INPUTS / "front_2022-12.csv")
    return list(zip(table["lon"].astype(float), table["lat"].astype(float), strict=True))


@pytest.mark.slow
def test_build_script_reproduces_every_output_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = _output_files()
    # every file next to the code is an output of the build (none left over from an old build)
    outputs = {p.name for p in FOLDER.iterdir() if p.is_file() and p.suffix != ".py"}
    assert outputs - {"README.md"} == set(files)
    subprocess.run(
        [sys.executable, str(FOLDER / "build.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    for name in files:
        if name != "network.json":
            assert (out / name).read_bytes() == (FOLDER / name).read_bytes(), name
    built = (out / "network.json").read_bytes()
    bundled = (FOLDER / "network.json").read_bytes()
    if built != bundled:
        version = json.loads(bundled)["_object"]["version"]
        if version != pp.__version__:
            # Another pandapower may serialise differently: compare the tables instead.
            assert nets_equal(
                pp.from_json(str(out / "network.json")), pp.from_json(str(FOLDER / "network.json"))
            )
            pytest.skip(
                f"network.json was written by pandapower {version}, this is "
                f"{pp.__version__}: rerun networks/ua-grid/build.py"
            )
    assert built == bundled


def test_every_ukrainian_source_bus_is_modelled_or_accounted_for(
    source_buses: pd.DataFrame,
    provenance: pd.DataFrame,
    modelled: pd.Series,
    substations: pd.DataFrame,
) -> None:
    listed = provenance[provenance["element"] == "source_bus"].set_index("source")
    assert listed.index.is_unique
    assert set(listed["status"]) <= {"merged", "left_out", "unused"}
    assert (listed["reason"].str.strip() != "").all()
    ukrainian = source_buses[source_buses["country"] == "UA"]
    assert len(ukrainian) == 236  # the extract's Ukrainian buses
    missing = []
    for bus_id, row in ukrainian.iterrows():
        nearest = min(
            _haversine_km(row["y"], row["x"], lat, lon)
            for lat, lon in zip(substations["lat"], substations["lon"], strict=True)
        )
        if nearest > COVER_KM and str(bus_id) not in listed.index:
            missing.append((bus_id, round(nearest, 1)))
    assert not missing, missing
    # Every source bus of any country is in the model or in a source_bus row, not both.
    in_rows = {int(b) for b in listed.index}
    assert set(modelled.index).isdisjoint(in_rows)
    assert set(modelled.index) | in_rows == set(source_buses.index)
    # A modelled Ukrainian bus lies within 1 km of its own substation.
    position = substations.set_index("substation")[["lat", "lon"]]
    sub_of = provenance[provenance["element"] == "bus"].set_index("index")["substation"]
    for bus_id, pp_bus in modelled.items():
        row = source_buses.loc[bus_id]
        if row["country"] == "UA":
            lat, lon = position.loc[sub_of[str(pp_bus)]]
            assert _haversine_km(row["y"], row["x"], lat, lon) <= COVER_KM, bus_id


def test_occupied_buses_lie_behind_the_front_line_and_no_kept_bus_does(
    source_buses: pd.DataFrame,
    provenance: pd.DataFrame,
    overrides: pd.DataFrame,
    front: list[tuple[float, float]],
) -> None:
    listed = provenance[provenance["element"] == "source_bus"].set_index("source")
    forced = set(overrides.loc[overrides["status"].notna(), "station_id"])
    occupied = listed[listed["reason"].str.contains("occupied")]
    assert (occupied["status"] == "left_out").all()
    assert (
        len(occupied) > 80
    )  # Crimea, Luhansk, most of Donetsk, left-bank Kherson and Zaporizhzhia
    outside = [
        int(b)
        for b in occupied.index
        if source_buses.loc[int(b), "station_id"] not in forced
        and not _inside(source_buses.loc[int(b), "x"], source_buses.loc[int(b), "y"], front)
    ]
    assert not outside, outside
    # Kept: every Ukrainian bus not left out (in the model, merged or unused).
    left_out = {int(b) for b in listed.index[listed["status"] == "left_out"]}
    ukrainian = source_buses[source_buses["country"] == "UA"]
    kept_inside = {
        int(b)
        for b, row in ukrainian.iterrows()
        if b not in left_out and _inside(row["x"], row["y"], front)
    }
    # only the Zaporizhzhia NPP switchyard, kept by station_overrides.csv
    znpp = set(overrides.loc[overrides["status"] == "kept", "station_id"])
    assert znpp == {3714}
    assert kept_inside == set(ukrainian.index[ukrainian["station_id"].isin(znpp)])
    assert kept_inside  # the switchyard itself is behind the front line


def test_line_lengths_circuits_and_ends_follow_the_source(
    grid: Grid,
    source_lines: pd.DataFrame,
    source_buses: pd.DataFrame,
    provenance: pd.DataFrame,
    modelled: pd.Series,
) -> None:
    net = grid.net
    rows = provenance[provenance["element"] == "line"]
    assert rows["index"].astype(int).is_unique
    merged_joints = set(
        provenance.loc[
            (provenance["element"] == "source_bus") & (provenance["status"] == "merged"), "source"
        ].astype(int)
    )
    for row in rows.itertuples():
        ids = _ids(row.source)
        line = net.line.loc[int(row.index)]
        expected_km = sum(float(source_lines.loc[i, "length"]) for i in ids) / 1000.0
        assert line["length_km"] == pytest.approx(expected_km, abs=LENGTH_TOL_KM), row.source
        ends = [set(source_lines.loc[i, ["bus0", "bus1"]].astype(int)) for i in ids]
        if len(ids) == 2:
            # two lines joined at a GridKit joint, which provenance lists as merged
            [joint] = ends[0] & ends[1]
            assert pd.isna(source_buses.loc[joint, "country"]), row.source
            assert joint in merged_joints, row.source
            ends = [(ends[0] | ends[1]) - {joint}]
        assert len(ids) in (1, 2), row.source
        far = {int(modelled[b]) for b in ends[0]}
        assert far == {int(line["from_bus"]), int(line["to_bus"])}, row.source
    # One pandapower line per circuit.
    count = Counter(rows["source"])
    for source, n in count.items():
        circuits = {int(source_lines.loc[i, "circuits"]) for i in _ids(source)}
        assert circuits == {n}, source
    doubles = source_lines.index[source_lines["circuits"] == 2]
    used_doubles = [i for i in doubles if str(i) in count]
    assert len(used_doubles) > 20 and all(count[str(i)] == 2 for i in used_doubles)
    # Lines without a source: the short equivalent ties to the Moldova equivalent.
    extra = net.line.drop(rows["index"].astype(int))
    ends = pd.concat([extra["from_bus"], extra["to_bus"]]).map(grid.bus_substation)
    assert len(extra) and set(extra["to_bus"].map(grid.bus_substation)) == {"MOLDOVA"}
    assert set(ends) - {"MOLDOVA"} <= set(
        grid.substations.index[grid.substations["region"] == "Moldova"]
    )


@pytest.mark.parametrize("mode", ["dc", "ac"])
def test_intact_grid_serves_all_load_in_one_island(grid: Grid, mode: str) -> None:
    result = gridmodel.impact(grid, mode=mode).to_dict()
    assert result["mode"] == mode
    assert result["converged"] is True
    assert result["unserved_mw"] == pytest.approx(0.0, abs=MW_TOL)
    assert result["served_mw"] == pytest.approx(result["load_mw"], abs=MW_TOL)
    assert result["load_mw"] == pytest.approx(UKRAINE_PEAK_MW, abs=DEMAND_TOL_MW)
    assert result["islands"] == 1 and result["energized_islands"] == 1
    assert result["tripped_branches"] == []
    # Dark: exactly the out-of-service buses, and those are the Russian and Belarusian ends.
    bus = grid.net.bus
    off = set(bus.index[~bus["in_service"].astype(bool)])
    assert set(result["deenergized_buses"]) == off
    border = grid.bus_region().isin(["Russia", "Belarus"])
    assert off == set(border.index[border])
    assert len(off) == 7
    assert set(bus.loc[sorted(off), "zone"]) == {"Russia", "Belarus"}


def test_intact_ac_power_flow_within_voltage_band_and_ratings(grid: Grid) -> None:
    net = copy.deepcopy(grid.net)
    pp.runpp(net, init="dc", calculate_voltage_angles=True)
    assert net.converged
    vm = net.res_bus["vm_pu"][net.bus["in_service"].astype(bool)]
    assert vm.notna().all()
    assert vm.between(0.9, 1.1).all(), vm[~vm.between(0.9, 1.1)]
    for table in ("line", "trafo"):
        on = net[table]["in_service"].astype(bool)
        loading = net[f"res_{table}"].loc[on, "loading_percent"]
        assert loading.notna().all(), table
        assert (loading <= 100.0).all(), loading[loading > 100.0]
    # The dispatch sets the intact AC import to import_target_mw = 300 MW
    # (inputs/settings.csv), within the 0.1 MW rounding of each plant's output.
    assert net.res_ext_grid["p_mw"].sum() == pytest.approx(300.0, abs=1.0)


def test_installed_capacity_by_type(grid: Grid) -> None:
    custom = pd.read_csv(INPUTS / "custom_powerplants_ua_md.csv")
    plants = pd.read_csv(INPUTS / "plants.csv")
    ua_plants = plants[plants["country"] == "UA"].set_index("name")
    assert set(ua_plants.index) == set(DOMAIN_PLANTS) | set(CUSTOM_PLANTS)
    expected: dict[str, tuple[str, float]] = dict(DOMAIN_PLANTS)
    for name, (kind, source_name) in CUSTOM_PLANTS.items():
        assert ua_plants.loc[name, "source"].startswith("custom_powerplants_ua_md.csv"), name
        [capacity] = custom.loc[
            (custom["Name"] == source_name) & (custom["Country"] == "UA"), "Capacity"
        ]
        expected[name] = (kind, float(round(capacity)))
    for name in DOMAIN_PLANTS:
        assert ua_plants.loc[name, "source"].startswith("DOMAIN.md"), name
    by_type = (
        pd.Series({n: mw for n, (_, mw) in expected.items()})
        .groupby(pd.Series({n: kind for n, (kind, _) in expected.items()}))
        .sum()
    )
    assert by_type.to_dict() == INSTALLED_BY_TYPE_MW
    assert ua_plants.groupby("type")["installed_mw"].sum().to_dict() == INSTALLED_BY_TYPE_MW
    gen = grid.net.gen
    ua = gen[gen["country"] == "UA"].set_index("name")
    assert set(ua.index) == set(expected)
    installed = ua.groupby("type")["installed_mw"].sum()
    assert installed.to_numpy() == pytest.approx(
        [INSTALLED_BY_TYPE_MW[t] for t in installed.index], abs=MW_TOL
    )
    for name, (kind, mw) in expected.items():
        assert ua.loc[name, "type"] == kind, name
        assert ua.loc[name, "installed_mw"] == pytest.approx(mw, abs=MW_TOL), name
    # In service and available.
    off = ua[~ua["in_service"].astype(bool)]
    assert set(off.index) == OUT_OF_SERVICE
    assert (off["max_p_mw"] == 0).all() and (off["p_mw"] == 0).all()
    on = ua[ua["in_service"].astype(bool)]
    assert (on["max_p_mw"] > 0).all() and (on["max_p_mw"] <= on["installed_mw"]).all()
    assert (on["p_mw"] >= 0).all() and (on["p_mw"] <= on["max_p_mw"]).all()
    fossil = on[on["type"].isin(["thermal", "chp"])]
    assert fossil["max_p_mw"].to_numpy() == pytest.approx(
        (fossil["installed_mw"] * THERMAL_AVAILABLE_SHARE).to_numpy(), abs=1.0
    )
    steady = on[~on["type"].isin(["thermal", "chp"])]
    assert (steady["max_p_mw"] == steady["installed_mw"]).all()


def test_demand_totals_classes_and_city_infeeds(grid: Grid) -> None:
    net = grid.net
    loads = net.load.join(grid.loads)
    loads["zone"] = net.bus.loc[loads["bus"], "zone"].to_numpy()
    loads["substation"] = loads["bus"].map(grid.bus_substation)
    oblasts = set(pd.read_csv(INPUTS / "oblasts.csv")["region"])
    assert set(loads["zone"]) <= oblasts
    settings = pd.read_csv(INPUTS / "settings.csv").set_index("key")["value"]
    assert float(settings["peak_load_mw"]) == UKRAINE_PEAK_MW
    by_zone = loads.groupby("zone")["p_mw"].sum()
    assert by_zone.sum() == pytest.approx(UKRAINE_PEAK_MW, abs=DEMAND_TOL_MW)
    pinned = pd.read_csv(INPUTS / "oblast_demand.csv").set_index("region")["peak_mw"]
    assert float(pinned["Kyiv city"]) == KYIV_CITY_MW
    assert by_zone["Kyiv city"] == pytest.approx(KYIV_CITY_MW, abs=DEMAND_TOL_MW)
    # Five loads per Ukrainian load substation, one per priority class 1..5.
    ukraine = loads
    classes = ukraine.groupby("substation")["priority"].apply(lambda p: sorted(p))
    bad = classes[classes.apply(lambda p: p != [1, 2, 3, 4, 5])]
    assert bad.empty, bad
    assert (ukraine["p_mw"] >= 0).all()
    # Power factor 0.95 lagging: q = p tan(acos 0.95), each rounded to 1 kvar.
    tan_phi = math.tan(math.acos(0.95))
    assert loads["q_mvar"].to_numpy() == pytest.approx(
        (loads["p_mw"] * tan_phi).to_numpy(), abs=2e-3
    )
    # Kyiv city is fed by several substations, none carrying most of it.
    kyiv = ukraine[ukraine["zone"] == "Kyiv city"].groupby("substation")["p_mw"].sum()
    assert len(kyiv) >= 3
    assert kyiv.max() / kyiv.sum() <= 0.60, kyiv
    # Industry (steel and ore) puts Dnipropetrovsk above the more populous Lviv.
    assert by_zone["Dnipropetrovsk"] > by_zone["Lviv"]


def test_montecarlo_of_the_16_december_replay_spreads_the_unserved_load() -> None:
    scenario = gridmodel.load_scenario(SCENARIO)
    started = time.perf_counter()
    table = gridmodel.montecarlo(scenario, 200, workers=1, timeline=False)
    elapsed = time.perf_counter() - started
    assert len(table) == 200 and table["sample"].tolist() == list(range(200))
    assert table["converged"].all()
    unserved = table["unserved_mw"]
    assert ((unserved >= 0) & (unserved <= table["load_mw"] + MW_TOL)).all()
    # No single outcome (to 1 MW) in more than 10 % of the samples.
    top = unserved.round().value_counts().iloc[0]
    assert top <= 0.10 * len(table), top
    # The tail the sweep exists to show: p95 at least 5 % above the median.
    median, p95 = np.percentile(unserved, [50, 95])
    assert p95 >= 1.05 * median, (median, p95)
    assert elapsed < 60.0  # about 2 s here; a regression to minutes is a bug


def test_substation_ids_names_and_oblasts(
    substations: pd.DataFrame,
    overrides: pd.DataFrame,
    source_buses: pd.DataFrame,
    modelled: pd.Series,
    grid: Grid,
) -> None:
    assert substations["substation"].is_unique
    assert substations["substation"].str.fullmatch(r"[A-Z0-9_]+").all()
    assert (substations["name"].str.strip() != "").all()
    features = json.loads((FOLDER / "regions.geojson").read_text(encoding="utf-8"))["features"]
    oblasts = set(pd.read_csv(INPUTS / "oblasts.csv")["region"])
    # Substations whose region is set by station_overrides.csv (stylised map positions).
    fixed_region = overrides.dropna(subset=["region"]).set_index("station_id")["region"]
    excepted: dict[str, str] = {}
    for bus_id, pp_bus in modelled.items():
        station = source_buses.loc[bus_id, "station_id"]
        if station in fixed_region.index:
            excepted[str(grid.bus_substation[pp_bus])] = str(fixed_region[station])
    assert len(excepted) == len(fixed_region)  # every override reaches a substation
    wrong = []
    for row in substations[substations["region"].isin(oblasts)].itertuples():
        if row.substation in excepted:
            assert row.region == excepted[row.substation], row.substation
            continue
        found = make_oblasts.region_of(row.lon, row.lat, features)
        if found != row.region:
            wrong.append((row.substation, row.region, found))
    assert not wrong, wrong


def test_no_plant_is_listed_twice(grid: Grid) -> None:
    gen = grid.net.gen
    where = gen["bus"].map(grid.bus_substation)
    twice = gen[gen.assign(substation=where).duplicated(["substation", "type"], keep=False)]
    assert twice.empty, twice[["name", "type", "installed_mw"]]


def test_station_overrides_name_gridkit_stations(
    overrides: pd.DataFrame, source_buses: pd.DataFrame
) -> None:
    unknown = set(overrides["station_id"]) - set(source_buses["station_id"])
    assert not unknown, unknown


def test_every_merged_joint_joins_two_lines_of_the_model(
    provenance: pd.DataFrame, source_lines: pd.DataFrame, source_buses: pd.DataFrame
) -> None:
    joints = provenance[
        (provenance["element"] == "source_bus") & (provenance["status"] == "merged")
    ]
    joints = joints[joints["source"].astype(int).map(source_buses["country"]).isna()]
    lines = provenance.loc[provenance["element"] == "line", "source"].map(_ids)
    through: set[int] = set()
    for ids in lines[lines.map(len) == 2]:
        a, b = (set(source_lines.loc[i, ["bus0", "bus1"]].astype(int)) for i in ids)
        through |= a & b
    assert set(joints["source"].astype(int)) <= through
