"""Rotation groups: names, even split of load and customers, critical loads left out."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandapower as pp
import pandas as pd
import pytest

from gridmodel.errors import OptionError
from gridmodel.network.grid import Grid
from gridmodel.schedule import (
    ScheduleOptions,
    build_groups,
    deficit_from_fraction,
    group_labels,
    groups_from_grid,
    rotate,
)
from gridmodel.schedule.slots import hour_starts


def small_grid() -> Grid:
    """Two regions: A with a critical 10 MW load and 30 + 60 MW households, B with 40 MW."""
    net = pp.create_empty_network()
    buses = [pp.create_bus(net, vn_kv=110.0) for _ in range(3)]
    pp.create_ext_grid(net, buses[0])
    pp.create_load(net, buses[1], p_mw=10.0)  # load 0: hospital feeder, priority 1
    pp.create_load(net, buses[1], p_mw=30.0)  # load 1
    pp.create_load(net, buses[1], p_mw=60.0)  # load 2
    pp.create_load(net, buses[2], p_mw=40.0)  # load 3
    substations = pd.DataFrame(
        {
            "name": ["SA", "SB"],
            "region": ["A", "B"],
            "lat": [50.0, 49.0],
            "lon": [30.0, 31.0],
            "vn_kv": [110.0, 110.0],
        },
        index=pd.Index(["SA", "SB"], name="substation"),
    )
    bus_substation = pd.Series(["SA", "SA", "SB"], index=pd.Index(buses))
    loads = pd.DataFrame(
        {"customers": [5, 3000, 6001, 4000], "priority": [1, 4, 4, 3]},
        index=net.load.index,
    )
    regions = pd.DataFrame({"groups": [3, 6]}, index=pd.Index(["A", "B"], name="region"))
    return Grid("small", net, substations, bus_substation, loads, regions, "test")


def test_group_names_plain_and_subgroups() -> None:
    assert group_labels(3) == ("1", "2", "3")
    labels = group_labels("6x2")
    assert len(labels) == 12
    assert labels[:3] == ("1.1", "1.2", "2.1") and labels[-1] == "6.2"


@pytest.mark.parametrize("spec", ["0", "abc", "6x0", "6x", "-3", "100"])
def test_bad_group_spec_is_an_option_error(spec: str) -> None:
    with pytest.raises(OptionError) as info:
        group_labels(spec)
    assert "6x2" in info.value.line()


def test_plain_table_splits_evenly_and_keeps_customers_whole() -> None:
    table = pd.DataFrame({"region": ["Kyiv"], "load_mw": [1200.0], "customers": [600_001]})
    groups = build_groups(table)  # default 6 groups
    rows = groups.table
    assert list(rows["group"]) == ["1", "2", "3", "4", "5", "6"]
    # 1200 MW / 6 = 200 MW each; 600001 = 6 * 100000 + 1: the first group has one more
    assert rows["load_mw"].tolist() == pytest.approx([200.0] * 6)
    assert rows["customers"].tolist() == [100_001] + [100_000] * 5
    assert rows["share"].sum() == pytest.approx(1.0)
    assert groups.regions.loc["Kyiv", "queues"] == 6


def test_groups_option_overrides_table_and_counts_queues() -> None:
    table = pd.DataFrame({"region": ["A", "B"], "groups": ["3", "6"], "load_mw": [30.0, 60.0]})
    groups = build_groups(table, groups="6x2")
    assert groups.labels("A") == group_labels("6x2")
    # 6x2: twelve subgroups, but six queues (the unit the transmission operator announces)
    assert groups.regions["groups"].tolist() == [12, 12]
    assert groups.regions["queues"].tolist() == [6, 6]
    assert groups.shares("B") == pytest.approx(np.full(12, 1 / 12))


def test_grid_groups_leave_critical_loads_out() -> None:
    groups = groups_from_grid(small_grid())
    a = groups.regions.loc["A"]
    # non-critical in A: 30 + 60 = 90 MW, 3000 + 6001 customers; critical: 10 MW, 5 customers
    assert a["load_mw"] == pytest.approx(90.0)
    assert a["critical_mw"] == pytest.approx(10.0)
    assert a["customers"] == 9001 and a["critical_customers"] == 5
    assert groups.labels("A") == ("1", "2", "3")
    assert groups.table.loc[groups.table["region"] == "A", "load_mw"].tolist() == pytest.approx(
        [30.0] * 3
    )
    members = groups.members
    assert 0 not in set(members["load"])  # the hospital feeder is in no group
    # every non-critical load is split over its region's groups: fractions sum to 1 per load
    assert members.groupby("load")["fraction"].sum().to_dict() == pytest.approx(
        {1: 1.0, 2: 1.0, 3: 1.0}
    )
    assert groups.labels("B") == group_labels(6)


def test_a_region_without_load_has_no_groups() -> None:
    # A third region C holds only a bus (a foreign equivalent, a disconnected
    # border station): it has no consumers, so no groups and no schedule rows;
    # A and B keep theirs.
    grid = small_grid()
    bus = pp.create_bus(grid.net, vn_kv=110.0)
    substations = pd.concat(
        [
            grid.substations,
            pd.DataFrame(
                {"name": ["SC"], "region": ["C"], "lat": [48.0], "lon": [32.0], "vn_kv": [110.0]},
                index=pd.Index(["SC"], name="substation"),
            ),
        ]
    )
    bus_substation = pd.concat([grid.bus_substation, pd.Series(["SC"], index=pd.Index([bus]))])
    regions = pd.DataFrame({"groups": [3, 6, 6]}, index=pd.Index(["A", "B", "C"], name="region"))
    grid = Grid("small", grid.net, substations, bus_substation, grid.loads, regions, "test")
    groups = groups_from_grid(grid)
    assert groups.region_names() == ["A", "B"]
    assert set(groups.table["region"]) == {"A", "B"}
    assert groups.regions.loc["B", "load_mw"] == pytest.approx(40.0)


def test_industry_loads_rotate_like_households() -> None:
    # Load 2 (60 MW, 6001 customers) becomes other industry (class 5): it is not
    # protected, so A's groups still hold 30 + 60 = 90 MW, 30 MW each, and
    # the industry load is split over the three groups like the household load.
    grid = small_grid()
    grid.loads.loc[2, "priority"] = 5
    groups = groups_from_grid(grid)
    a = groups.regions.loc["A"]
    assert a["load_mw"] == pytest.approx(90.0) and a["critical_mw"] == pytest.approx(10.0)
    assert a["customers"] == 9001
    rows = groups.table[groups.table["region"] == "A"]
    assert rows["load_mw"].tolist() == pytest.approx([30.0] * 3)
    industry = groups.members[groups.members["load"] == 2]
    assert industry["group"].tolist() == ["1", "2", "3"]
    assert industry["fraction"].tolist() == pytest.approx([1 / 3] * 3)


def test_critical_loads_never_off_even_when_all_groups_are() -> None:
    grid = small_grid()
    groups = groups_from_grid(grid, groups=3)
    hours = hour_starts(date(2022, 12, 17), 1, "Europe/Kyiv")
    # the whole non-critical load as deficit: every group off in every slot
    schedule = rotate(
        deficit_from_fraction(1.0, groups, hours), groups, options=ScheduleOptions(days=1)
    )
    assert set(schedule.table["state"]) == {"off"}
    off = schedule.table[schedule.table["state"] == "off"]
    per_load = (
        off.merge(groups.members, on=["region", "group"])
        .groupby(["start", "load"])["fraction"]
        .sum()
    )
    p_mw = grid.net.load["p_mw"]
    off_mw = per_load.unstack(fill_value=0.0).reindex(columns=p_mw.index, fill_value=0.0) * p_mw
    # critical load 0: never switched by the schedule; loads 1..3 fully off in all 6 slots
    assert (off_mw[0] == 0.0).all()
    assert off_mw[[1, 2, 3]].to_numpy() == pytest.approx(np.tile([30.0, 60.0, 40.0], (6, 1)))
