"""Equipment tables of ``networks show``: a hand-built net and ``ua-oblasts``.

The ``ua-oblasts`` expectations are derived here from the network's build
inputs (``networks/ua-oblasts/inputs/*.csv``), not from the tables under
test, and cross-checked with the rounded figures of its README summary.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandapower as pp
import pandas as pd
import pytest

from gridmodel.network.catalog import load_network, summarize
from gridmodel.network.inventory import (
    GENERATION_COLUMNS,
    LINE_COLUMNS,
    UNSPECIFIED,
    describe,
    external_grids,
    generation_by_type,
    lines_by_voltage,
    substations_by_voltage,
)
from gridmodel.network.metadata import build_grid

INPUTS = Path(__file__).resolve().parents[2] / "networks" / "ua-oblasts" / "inputs"


# --------------------------------------------------------------------------- hand-built net


def mixed_net() -> pp.pandapowerNet:
    """Buses 0 (400 kV), 1 (400 kV), 2 (110 kV), 3 (110 kV); lines, units, two external grids."""
    net = pp.create_empty_network()
    b = [pp.create_bus(net, vn_kv=kv) for kv in (400.0, 400.0, 110.0, 110.0)]
    pp.create_transformer(net, b[1], b[2], std_type="160 MVA 380/110 kV")
    line = dict(r_ohm_per_km=0.03, x_ohm_per_km=0.3, c_nf_per_km=10.0, max_i_ka=1.0)
    pp.create_line_from_parameters(net, b[0], b[1], length_km=100.0, parallel=2, **line)
    pp.create_line_from_parameters(net, b[1], b[0], length_km=40.0, in_service=False, **line)
    pp.create_line_from_parameters(net, b[2], b[3], length_km=12.5, **line)
    pp.create_ext_grid(net, b[0], max_p_mw=300.0)
    pp.create_ext_grid(net, b[3])  # no limit
    pp.create_gen(net, b[1], p_mw=100.0, max_p_mw=250.0, type="coal")
    pp.create_gen(net, b[1], p_mw=50.0, max_p_mw=150.0, type="coal", in_service=False)
    pp.create_gen(net, b[2], p_mw=30.0, max_p_mw=80.0)  # no type
    pp.create_sgen(net, b[3], p_mw=20.0, type="wind")  # no max_p_mw: p_mw counts
    pp.create_sgen(net, b[3], p_mw=5.0, max_p_mw=12.0, type="")  # empty type
    net.gen["installed_mw"] = [400.0, 200.0, float("nan")]  # nameplate above max_p_mw
    return net


def test_substations_count_once_at_their_highest_voltage() -> None:
    # default metadata: one substation per bus, so two at 400 kV and two at 110 kV
    grid = build_grid(mixed_net(), name="mixed", source="test")
    table = substations_by_voltage(grid)
    assert table.to_dict("list") == {"vn_kv": [400.0, 110.0], "substations": [2, 2]}


def test_line_km_counts_parallel_circuits_and_out_of_service_apart() -> None:
    grid = build_grid(mixed_net(), name="mixed", source="test")
    table = lines_by_voltage(grid)
    assert tuple(table.columns) == LINE_COLUMNS
    # 400 kV: 2 x 100 km in service, 40 km out; 110 kV: 12.5 km
    assert table.to_dict("records") == [
        {
            "vn_kv": 400.0,
            "circuits": 2,
            "length_km": 200.0,
            "circuits_out": 1,
            "length_out_km": 40.0,
        },
        {"vn_kv": 110.0, "circuits": 1, "length_km": 12.5, "circuits_out": 0, "length_out_km": 0.0},
    ]


def test_generation_by_type_installed_in_service_and_available() -> None:
    grid = build_grid(mixed_net(), name="mixed", source="test")
    table = generation_by_type(grid).set_index("type")
    assert tuple(generation_by_type(grid).columns) == GENERATION_COLUMNS
    # coal: installed_mw 400 + 200 (one out of service), available max_p_mw 250 in service
    assert table.loc["coal"].tolist() == [2, 1, 600.0, 400.0, 250.0]
    # no or empty type: the gen's installed_mw is NaN -> its max_p_mw 80; sgen max_p_mw 12
    assert table.loc[UNSPECIFIED].tolist() == [2, 2, 92.0, 92.0, 92.0]
    # wind sgen without max_p_mw: its p_mw, 20 MW
    assert table.loc["wind"].tolist() == [1, 1, 20.0, 20.0, 20.0]
    assert list(table.index) == ["coal", UNSPECIFIED, "wind"]  # largest installed first


def test_external_grids_are_counted_apart() -> None:
    grid = build_grid(mixed_net(), name="mixed", source="test")
    assert external_grids(grid) == {
        "units": 2,
        "units_in_service": 2,
        "max_p_mw": 300.0,
        "unlimited": 1,
    }
    described = describe(grid)
    assert described["generation_total"] == {
        "type": "total",
        "units": 5,
        "units_in_service": 4,
        "installed_mw": 712.0,
        "in_service_mw": 512.0,
        "available_mw": 362.0,
    }
    # summarize's gen_mw: available generation plus finite external grids
    assert described["gen_mw"] == pytest.approx(362.0 + 300.0)


def test_network_without_units_or_lines() -> None:
    net = pp.create_empty_network()
    pp.create_bus(net, vn_kv=20.0)
    grid = build_grid(net, name="bare", source="test")
    data = describe(grid)
    assert data["lines_by_voltage"] == [] and data["generation_by_type"] == []
    assert data["generation_total"]["units"] == 0
    assert data["generation_total"]["installed_mw"] == 0.0
    json.dumps(data)


def test_builtin_case_totals_match_the_summary() -> None:
    # case9 (MATPOWER origin): gens of Pmax 300 + 270 MW, the slack generator
    # (250 MW) is the external grid; summarize counts both in gen_mw (820 MW)
    data = describe(load_network("case9"))
    assert data["generation_total"]["available_mw"] == pytest.approx(570.0)
    assert data["external_grids"]["max_p_mw"] == pytest.approx(250.0)
    assert data["gen_mw"] == pytest.approx(820.0)
    assert data["generation_by_type"][0]["type"] == UNSPECIFIED
    json.dumps(data)


# --------------------------------------------------------------------------- ua-oblasts


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on a sphere of 6,371 km (the build's stated method)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(a))


@pytest.fixture(scope="module")
def inputs() -> dict[str, pd.DataFrame]:
    names = ("lines", "plants", "regions", "substations", "transformers", "settings")
    return {n: pd.read_csv(INPUTS / f"{n}.csv") for n in names}


@pytest.fixture(scope="module")
def ua() -> dict:
    return describe(load_network("ua-oblasts"))


def test_ua_substations_by_voltage(inputs: dict[str, pd.DataFrame], ua: dict) -> None:
    # A substation has a 750 kV bus when a 750 kV line ends there, a 750 kV
    # plant or an autotransformer stands there, or it holds the EU import.
    lines, plants = inputs["lines"], inputs["plants"]
    settings = inputs["settings"].set_index("key")["value"]
    at_750 = set(lines.loc[lines["vn_kv"] == 750, ["from", "to"]].to_numpy().ravel())
    at_750 |= set(plants.loc[plants["vn_kv"] == 750, "substation"])
    at_750 |= set(inputs["transformers"]["substation"])
    at_750 |= {settings["import_substation"]}
    everything = set(inputs["regions"]["substation"]) | set(inputs["substations"]["substation"])
    assert ua["substations_by_voltage"] == [
        {"vn_kv": 750.0, "substations": len(at_750)},
        {"vn_kv": 330.0, "substations": len(everything - at_750)},
    ]
    # README: 30 substations, 12 buses at 750 kV (one per substation that has the level)
    assert (len(at_750), len(everything)) == (12, 30)


def test_ua_line_km_by_voltage(inputs: dict[str, pd.DataFrame], ua: dict) -> None:
    coords = pd.concat([inputs["regions"], inputs["substations"]]).set_index("substation")
    factor = float(inputs["settings"].set_index("key").loc["route_factor", "value"])
    lines = inputs["lines"].copy()
    lines["km"] = [
        great_circle_km(*coords.loc[a, ["lat", "lon"]], *coords.loc[b, ["lat", "lon"]]) * factor
        for a, b in zip(lines["from"], lines["to"], strict=True)
    ]
    lines["circuit_km"] = lines["km"] * lines["circuits"]
    rows = {r["vn_kv"]: r for r in ua["lines_by_voltage"]}
    assert list(rows) == [750.0, 330.0]
    for kv in (750, 330):
        on = lines[(lines["vn_kv"] == kv) & lines["in_service"]]
        off = lines[(lines["vn_kv"] == kv) & ~lines["in_service"]]
        row = rows[float(kv)]
        assert row["circuits"] == on["circuits"].sum()
        assert row["circuits_out"] == off["circuits"].sum()
        # the build rounds each line to 0.1 km: at most 0.05 km per circuit
        assert row["length_km"] == pytest.approx(on["circuit_km"].sum(), abs=0.05 * row["circuits"])
        tol_out = 0.05 * max(row["circuits_out"], 1)
        assert row["length_out_km"] == pytest.approx(off["circuit_km"].sum(), abs=tol_out)
    # README: 13 circuits at 750 kV, 3,100 km, one out of service; 65 at 330 kV, 10,429 km
    assert (rows[750.0]["circuits"], rows[750.0]["circuits_out"]) == (12, 1)
    assert rows[750.0]["length_km"] + rows[750.0]["length_out_km"] == pytest.approx(3100, abs=0.5)
    assert (rows[330.0]["circuits"], rows[330.0]["length_km"]) == (
        65,
        pytest.approx(10429, abs=0.5),
    )


def test_ua_generation_by_type(inputs: dict[str, pd.DataFrame], ua: dict) -> None:
    plants = inputs["plants"].copy()
    plants["on_installed"] = plants["installed_mw"].where(plants["in_service"], 0.0)
    plants["on_available"] = plants["available_mw"].where(plants["in_service"], 0.0)
    expected = plants.groupby("type").agg(
        units=("name", "size"),
        units_in_service=("in_service", "sum"),
        installed_mw=("installed_mw", "sum"),
        in_service_mw=("on_installed", "sum"),
        available_mw=("on_available", "sum"),
    )
    got = pd.DataFrame(ua["generation_by_type"]).set_index("type")
    assert sorted(got.index) == sorted(expected.index)
    for kind, row in expected.iterrows():
        assert got.loc[kind].tolist() == pytest.approx(row.tolist()), kind
    # README: 36,350 MW installed in 24 plants, 30,000 MW in service, 24,092 MW available
    total = ua["generation_total"]
    assert (total["units"], total["units_in_service"]) == (24, 22)
    assert (total["installed_mw"], total["in_service_mw"], total["available_mw"]) == (
        pytest.approx(36350.0),
        pytest.approx(30000.0),
        pytest.approx(24092.0),
    )
    # the EU import (settings: max 700 MW) is an external grid, not in the total
    import_max = float(inputs["settings"].set_index("key").loc["import_max_mw", "value"])
    assert ua["external_grids"] == {
        "units": 1,
        "units_in_service": 1,
        "max_p_mw": import_max,
        "unlimited": 0,
    }


def test_ua_region_peak_demand_is_kept(inputs: dict[str, pd.DataFrame], ua: dict) -> None:
    # region load = 18,000 MW x population share (settings peak_load_mw)
    regions = inputs["regions"].set_index("region")["population_m"]
    peak = float(inputs["settings"].set_index("key").loc["peak_load_mw", "value"])
    got = {r["region"]: r["load_mw"] for r in ua["regions"]}
    for region, population in regions.items():
        assert got[region] == pytest.approx(peak * population / regions.sum(), abs=0.01), region
    summary = summarize(load_network("ua-oblasts"))
    assert {key: ua[key] for key in summary} == summary  # everything shown before is kept
