"""Metadata defaults, reading and validation (gridmodel.network.metadata)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandapower as pp
import pandapower.networks as pn
import pandas as pd
import pytest

from gridmodel.errors import NetworkError
from gridmodel.network.grid import PRIORITY_CLASSES
from gridmodel.network.metadata import (
    CUSTOMERS_PER_MW,
    DEFAULT_GROUPS,
    DEFAULT_PRIORITY,
    DEFAULT_REGION,
    build_grid,
    default_customers,
    read_metadata,
    write_metadata,
)


def small_net() -> pp.pandapowerNet:
    """110 kV / 20 kV net: buses 0,1 at 110 kV, bus 2 at 20 kV, two loads."""
    net = pp.create_empty_network()
    b0 = pp.create_bus(net, vn_kv=110.0, name="A 110", geodata=(30.5, 50.4))
    b1 = pp.create_bus(net, vn_kv=110.0, name="B 110", geodata=(31.0, 50.0))
    b2 = pp.create_bus(net, vn_kv=20.0, name="B 20", geodata=(31.0, 50.0))
    pp.create_ext_grid(net, b0)
    pp.create_line(net, b0, b1, length_km=10.0, std_type="149-AL1/24-ST1A 110.0")
    pp.create_transformer(net, b1, b2, std_type="25 MVA 110/20 kV")
    pp.create_load(net, b1, p_mw=4.0)
    pp.create_load(net, b2, p_mw=2.5)
    return net


SUBSTATIONS = "substation,name,region,lat,lon\nA,Alpha,north,50.4,30.5\nB,Beta,south,50.0,31.0\n"
BUSES = "bus,substation\n0,A\n1,B\n2,B\n"
LOADS = "load,customers,priority\n0,1200,1\n"
REGIONS = "region,groups\nsouth,4\nnorth,3\n"


def write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, text in files.items():
        (folder / f"{stem}.csv").write_text(text, encoding="utf-8")
    return folder


def grid_from(folder: Path, net: pp.pandapowerNet | None = None):
    return build_grid(
        net if net is not None else small_net(),
        name="t",
        source=str(folder),
        tables=read_metadata(folder),
    )


# --- defaults -----------------------------------------------------------------


def test_defaults_one_substation_per_bus_on_case9() -> None:
    net = pn.case9()
    grid = build_grid(net, name="case9", source="test")
    assert list(grid.substations.index) == [f"bus{i}" for i in range(9)]
    assert grid.bus_substation.to_dict() == {i: f"bus{i}" for i in range(9)}
    # case9 has a single zone 1.0 on every bus -> one region "1"
    assert grid.region_names() == ["1"]
    assert grid.regions.loc["1", "groups"] == DEFAULT_GROUPS == 6
    # names come from the bus names (MATPOWER bus numbers 1..9)
    assert grid.substations.loc["bus0", "name"] == "1"
    # coordinates: GeoJSON points are [lon, lat]
    lon, lat = json.loads(net.bus.loc[4, "geo"])["coordinates"]
    assert grid.substations.loc["bus4", "lat"] == pytest.approx(lat)
    assert grid.substations.loc["bus4", "lon"] == pytest.approx(lon)
    assert (grid.substations["vn_kv"] == 345.0).all()
    # loads of 90, 100, 125 MW at 500 customers per MW (hand calculation)
    assert grid.loads["customers"].tolist() == [45_000, 50_000, 62_500]
    assert (grid.loads["priority"] == DEFAULT_PRIORITY).all()


def test_default_regions_follow_zones_in_numeric_order() -> None:
    net = pn.case30()
    grid = build_grid(net, name="case30", source="test")
    assert grid.region_names() == ["1", "2", "3"]
    # each bus's region is its own zone
    expected = net.bus["zone"].astype(float).astype(int).astype(str)
    pd.testing.assert_series_equal(
        grid.bus_region().sort_index(), expected.rename(None), check_names=False
    )
    counts = grid.substations["region"].value_counts()
    assert counts.to_dict() == expected.value_counts().to_dict()


@pytest.mark.parametrize("zone", [None, np.nan, "drop"])
def test_no_zone_gives_one_region_all(zone: object) -> None:
    net = small_net()
    if zone == "drop":
        net.bus = net.bus.drop(columns="zone")
    else:
        net.bus["zone"] = zone
    grid = build_grid(net, name="t", source="test")
    assert grid.region_names() == [DEFAULT_REGION] == ["all"]
    assert set(grid.substations["region"]) == {"all"}


def test_bus_without_geo_has_nan_coordinates() -> None:
    net = small_net()
    net.bus.loc[2, "geo"] = None
    grid = build_grid(net, name="t", source="test")
    assert np.isnan(grid.substations.loc["bus2", ["lat", "lon"]].astype(float)).all()
    assert grid.substations.loc["bus0", "lat"] == pytest.approx(50.4)
    assert grid.substations.loc["bus0", "lon"] == pytest.approx(30.5)


def test_default_customers_ratio() -> None:
    p = pd.Series([2.0, 0.0005, 0.0, -3.0, 90.0])
    # 500 per MW: 2 MW -> 1000; a tiny positive load still serves one customer;
    # zero and negative loads serve none
    assert CUSTOMERS_PER_MW == 500
    assert default_customers(p).tolist() == [1000, 1, 0, 0, 45_000]


def test_default_customers_use_load_scaling() -> None:
    net = small_net()
    net.load["scaling"] = [0.5, 1.0]
    grid = build_grid(net, name="t", source="test")
    # 4 MW x 0.5 = 2 MW -> 1000; 2.5 MW -> 1250
    assert grid.loads["customers"].tolist() == [1000, 1250]


# --- metadata files -------------------------------------------------------------


def test_metadata_files_are_applied(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "n", substations=SUBSTATIONS, buses=BUSES, loads=LOADS, regions=REGIONS
    )
    grid = grid_from(folder)
    assert grid.buses_of("B") == [1, 2]
    assert grid.substations.loc["B", "vn_kv"] == 110.0  # max of 110 kV and 20 kV
    assert grid.substations.loc["A", "name"] == "Alpha"
    assert grid.region_names() == ["south", "north"]  # regions.csv order
    assert grid.regions["groups"].to_dict() == {"south": 4, "north": 3}
    # load 0 from loads.csv; load 1 not listed -> defaults (2.5 MW x 500)
    assert grid.loads.loc[0].tolist() == [1200, 1]
    assert grid.loads.loc[1].tolist() == [1250, DEFAULT_PRIORITY]
    assert grid.load_region().to_dict() == {0: "south", 1: "south"}


def test_empty_cells_in_loads_take_defaults(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "n",
        substations=SUBSTATIONS,
        buses=BUSES,
        loads="load,customers,priority\n1,,2\n",
    )
    grid = grid_from(folder)
    assert grid.loads.loc[1].tolist() == [1250, 2]


def test_industry_loads_take_priority_class_5(tmp_path: Path) -> None:
    # class 5: industry other than defence and essential goods (shed first, restored last)
    folder = write(
        tmp_path / "n",
        substations=SUBSTATIONS,
        buses=BUSES,
        loads="load,customers,priority\n0,40,5\n1,,5\n",
    )
    grid = grid_from(folder)
    assert grid.loads["priority"].tolist() == [5, 5]
    assert grid.loads.loc[1].tolist() == [1250, 5]  # empty customers: 2.5 MW x 500
    assert PRIORITY_CLASSES[5] == "industry (other than defence and essential goods)"
    assert sorted(PRIORITY_CLASSES) == [1, 2, 3, 4, 5] and DEFAULT_PRIORITY == 4


def test_written_metadata_reads_back_identical(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "n", substations=SUBSTATIONS, buses=BUSES, loads=LOADS, regions=REGIONS
    )
    first = grid_from(folder)
    out = tmp_path / "out"
    out.mkdir()
    write_metadata(first, out)
    again = grid_from(out)
    pd.testing.assert_frame_equal(first.substations, again.substations)
    pd.testing.assert_series_equal(first.bus_substation, again.bus_substation)
    pd.testing.assert_frame_equal(first.loads, again.loads)
    pd.testing.assert_frame_equal(first.regions, again.regions)


BAD_CASES = {
    "unknown bus": (dict(buses=BUSES + "7,A\n"), "buses.csv", "bus", "unknown bus 7"),
    "substation not in substations.csv": (
        dict(buses="bus,substation\n0,A\n1,B\n2,C\n"),
        "buses.csv",
        "substation",
        "'C' is not in substations.csv",
    ),
    "bus without substation": (
        dict(buses="bus,substation\n0,A\n1,B\n"),
        "buses.csv",
        "bus",
        "without a substation: 2",
    ),
    "priority too high": (
        dict(loads="load,customers,priority\n0,10,6\n"),
        "loads.csv",
        "priority",
        "bad value '6' for load 0 (allowed: 1, 2, 3, 4, 5)",
    ),
    "priority zero": (
        dict(loads="load,customers,priority\n0,10,0\n"),
        "loads.csv",
        "priority",
        "bad value '0'",
    ),
    "negative customers": (
        dict(loads="load,customers,priority\n0,-5,4\n"),
        "loads.csv",
        "customers",
        "from 0 to",
    ),
    "fractional customers": (
        dict(loads="load,customers,priority\n0,2.5,4\n"),
        "loads.csv",
        "customers",
        "integer",
    ),
    "unknown load": (
        dict(loads="load,customers,priority\n9,10,4\n"),
        "loads.csv",
        "load",
        "unknown load 9",
    ),
    "groups zero": (dict(regions="region,groups\nnorth,0\n"), "regions.csv", "groups", ">= 1"),
    "unknown region": (
        dict(regions="region,groups\neast,2\n"),
        "regions.csv",
        "region",
        "'east' has no substation",
    ),
    "latitude out of range": (
        dict(substations=SUBSTATIONS.replace("50.4,30.5", "91,30.5")),
        "substations.csv",
        "lat",
        "-90 to 90",
    ),
    "longitude out of range": (
        dict(substations=SUBSTATIONS.replace("50.4,30.5", "50.4,200")),
        "substations.csv",
        "lon",
        "-180 to 180",
    ),
    "latitude not a number": (
        dict(substations=SUBSTATIONS.replace("50.4,30.5", "north,30.5")),
        "substations.csv",
        "lat",
        "bad value 'north'",
    ),
    "latitude missing": (
        dict(substations=SUBSTATIONS.replace("50.4,30.5", ",30.5")),
        "substations.csv",
        "lat",
        "empty value",
    ),
    "missing column": (
        dict(substations="substation,name,lat,lon\nA,Alpha,50,30\nB,Beta,50,31\n"),
        "substations.csv",
        "region",
        "missing column 'region'",
    ),
    "duplicate substation": (
        dict(substations=SUBSTATIONS + "A,Again,north,50,30\n"),
        "substations.csv",
        "substation",
        "duplicate substation 'A'",
    ),
    "duplicate bus": (dict(buses=BUSES + "2,A\n"), "buses.csv", "bus", "duplicate bus"),
    "duplicate region": (
        dict(regions="region,groups\nnorth,2\nnorth,3\n"),
        "regions.csv",
        "region",
        "duplicate region 'north'",
    ),
    "substation without buses": (
        dict(substations=SUBSTATIONS + "C,Gamma,north,50,30\n"),
        "buses.csv",
        "substation",
        "'C' has no buses",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CASES), ids=list(BAD_CASES))
def test_bad_metadata_names_file_and_field(tmp_path: Path, case: str) -> None:
    override, file, field, text = BAD_CASES[case]
    files = {"substations": SUBSTATIONS, "buses": BUSES} | override
    folder = write(tmp_path / "n", **files)
    with pytest.raises(NetworkError) as info:
        grid_from(folder)
    err = info.value
    assert err.file == str(folder / file)
    assert err.field == field
    assert text in err.line()


@pytest.mark.parametrize("present", ["substations", "buses"])
def test_substations_and_buses_come_together(tmp_path: Path, present: str) -> None:
    folder = write(
        tmp_path / "n", **{present: {"substations": SUBSTATIONS, "buses": BUSES}[present]}
    )
    with pytest.raises(NetworkError, match="required together"):
        grid_from(folder)


def test_unreadable_csv_names_file(tmp_path: Path) -> None:
    folder = tmp_path / "n"
    folder.mkdir()
    (folder / "loads.csv").write_bytes(b"load,customers\n\xff\xfe\x00bad\n")
    with pytest.raises(NetworkError) as info:
        grid_from(folder)
    assert info.value.file == str(folder / "loads.csv")
