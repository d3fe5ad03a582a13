"""Repair tasks: one per damaged element and wave, durations, spares, precedence."""

from __future__ import annotations

import numpy as np
import pytest
from restoration_cases import damage_of, fixed_repair, radial_grid

from gridmodel.errors import GridModelError
from gridmodel.network.catalog import load_network
from gridmodel.network.grid import Element
from gridmodel.restoration.drafts import lost, substation_bays
from gridmodel.restoration.options import Donation
from gridmodel.restoration.tasks import (
    DEFAULT_REPAIR,
    MIN_DURATION_H,
    repair_tasks,
    substation_transformers,
    tasks_frame,
    trip_returns,
)
from gridmodel.scenario import parse_scenario

LINE0, LINE1 = Element("line", 0), Element("line", 1)
HOURS_PER_MONTH = 8760 / 12


@pytest.fixture(scope="module")
def ua():
    return load_network("ua-oblasts")


def test_one_task_per_element_and_wave_with_combined_severity() -> None:
    grid = radial_grid([10.0, 20.0])
    # wave 0: line 0 hit twice (0.3 + 0.4 = 0.7, strikes.combine_severity), line 1 once;
    # wave 1 hits line 0 again: a second task, released at 50 h
    damage = damage_of(
        [(0, 0.0, LINE0, 0.3), (0, 0.0, LINE1, 0.5), (0, 0.0, LINE0, 0.4), (1, 50.0, LINE0, 1.0)]
    )
    tasks = repair_tasks(damage, grid, options=fixed_repair(10.0), rng=np.random.default_rng(1))
    assert [(t.element, t.wave, t.release_h) for t in tasks] == [
        (LINE0, 0, 0.0),
        (LINE1, 0, 0.0),
        (LINE0, 1, 50.0),
    ]
    # fixed 10 h x severity
    assert [t.duration_h for t in tasks] == pytest.approx([7.0, 5.0, 10.0])
    assert [t.severity for t in tasks] == pytest.approx([0.7, 0.5, 1.0])
    assert [t.kind for t in tasks] == ["line", "line", "line"]
    assert tasks[0].origin == "waves[0].targets[0]"


def test_light_damage_still_takes_the_minimum_time() -> None:
    grid = radial_grid([10.0])
    damage = damage_of([(0, 0.0, LINE0, 0.001)])
    (task,) = repair_tasks(damage, grid, options=fixed_repair(10.0), rng=np.random.default_rng(0))
    assert task.duration_h == MIN_DURATION_H


def without_transformers(grid) -> list[str]:
    """Substations none of whose buses is a transformer end."""
    ends = set(grid.net.trafo["hv_bus"]) | set(grid.net.trafo["lv_bus"])
    return [str(s) for s in grid.substations.index if not set(grid.buses_of(str(s))) & ends]


def test_default_durations_follow_the_public_figures(ua) -> None:
    # DOMAIN.md "Repair": lines hours to a few days; substation switchgear days;
    # autotransformer with a spare 2-3 weeks, without one 6-18 months.
    trafo = int(ua.net.trafo.index[0])
    line = int(ua.net.line.index[0])
    # a substation without autotransformers, so its hit adds no transformer task
    station = without_transformers(ua)[0]
    damage = damage_of(
        [
            (0, 0.0, Element("line", line), 1.0),
            (0, 0.0, Element("substation", station), 1.0),
            (0, 0.0, Element("trafo", trafo), 1.0),
        ]
    )
    lines, subs, spares, none = [], [], [], []
    rng = np.random.default_rng(5)
    # the whole substation out, no supply transformers: one task per element
    whole = {"spare_transformers": 1, "partial_damage": False}
    for _ in range(200):
        tasks = repair_tasks(damage, ua, rng=rng, options=DEFAULT_REPAIR.model_copy(update=whole))
        by = {t.element.kind: t for t in tasks}
        assert len(by) == len(tasks) == 3
        lines.append(by["line"].duration_h)
        subs.append(by["substation"].duration_h)
        spares.append(by["trafo"].duration_h)
        second = repair_tasks(
            damage,
            ua,
            rng=rng,
            options=DEFAULT_REPAIR.model_copy(update={**whole, "spare_transformers": 0}),
        )
        new = next(t for t in second if t.element.kind == "trafo")
        none.append((new.parts_h, new.duration_h))
    assert min(lines) >= 4.0 and max(lines) <= 96.0
    assert (
        min(subs) >= 24.0 and max(subs) <= 240.0 and np.median(subs) == pytest.approx(72, rel=0.2)
    )
    assert min(spares) >= 14 * 24 and max(spares) <= 21 * 24
    # without a spare: 6-18 months in all, of which the last 17.5 days (the
    # midpoint of "2-3 weeks to move and install") are crew work, the rest waiting
    total = [parts + work for parts, work in none]
    assert min(total) >= 6 * HOURS_PER_MONTH and max(total) <= 18 * HOURS_PER_MONTH
    assert {work for _, work in none} == {17.5 * 24}
    assert min(parts for parts, _ in none) >= 6 * HOURS_PER_MONTH - 17.5 * 24


def test_substation_hit_damages_its_autotransformers_and_spares_run_out(ua) -> None:
    inside = substation_transformers(ua, "BILA_TSERKVA")
    assert len(inside) == 3  # three 750/330 kV autotransformers in the bundled network
    station = Element("substation", "BILA_TSERKVA")
    damage = damage_of([(0, 0.0, station, 1.0)])
    options = DEFAULT_REPAIR.model_copy(update={"spare_transformers": 2})
    tasks = repair_tasks(damage, ua, options=options, rng=np.random.default_rng(0))
    # destroyed: the switchgear holds the whole substation out; its three
    # autotransformers and both supply transformers (it has load) are damaged
    assert ua.net.load.bus.isin(ua.buses_of("BILA_TSERKVA")).any()
    assert [(t.element, t.part) for t in tasks] == [
        (station, "switchgear"),
        *[(Element("trafo", i), "transformer") for i in inside],
        (station, "supply"),
        (station, "supply"),
    ]
    assert tasks[0].holds == (station,)
    assert [t.supply for t in tasks] == [None] * 4 + ["BILA_TSERKVA"] * 2
    # two spares on hand: the third transformer and the supply units wait for new units
    assert [t.kind for t in tasks[1:]] == ["trafo", "trafo"] + ["trafo_no_spare"] * 3
    assert all(t.after == (0,) for t in tasks[1:])
    assert tasks[3].parts_h + tasks[3].duration_h >= 6 * HOURS_PER_MONTH
    assert tasks[3].duration_h == 17.5 * 24  # the crew installs; waiting holds no crew
    assert [t.parts_h for t in tasks[:3]] == [0.0, 0.0, 0.0]
    # severity 0.5 damages 0.5 x 3 = 1.5, rounded up to 2 autotransformers,
    # half of its n line bays (rounded, halves up) and 0.5 x 2 = 1 supply
    # transformer
    half = damage_of([(0, 0.0, station, 0.5)])
    bays = substation_bays(ua, "BILA_TSERKVA")
    parts = repair_tasks(half, ua, rng=np.random.default_rng(0))
    assert [t.part for t in parts] == ["switchgear", "transformer", "transformer", "supply"]
    assert parts[0].holds == tuple(Element("line", i) for i in bays[: (len(bays) + 1) // 2])
    alone = repair_tasks(half, ua, rng=np.random.default_rng(0), substation_transformers=False)
    assert [t.part for t in alone] == ["switchgear", "supply"]
    # the share is rounded to whole units: 0.3 x 3 = 0.9 -> 1, 0.7 x 2 = 1.4 -> 1,
    # and a light hit still damages one unit
    assert [lost(s, n) for s, n in ((0.3, 3), (0.7, 2), (0.05, 2), (0.75, 2), (1.0, 3))] == [
        1,
        1,
        1,
        2,
        3,
    ]


def test_spares_are_used_in_wave_order_across_waves(ua) -> None:
    t0, t1 = (int(i) for i in ua.net.trafo.index[:2])
    damage = damage_of([(0, 0.0, Element("trafo", t0), 1.0), (1, 100.0, Element("trafo", t1), 1.0)])
    options = DEFAULT_REPAIR.model_copy(update={"spare_transformers": 1})
    tasks = repair_tasks(damage, ua, options=options, rng=np.random.default_rng(0))
    assert [t.kind for t in tasks] == ["trafo", "trafo_no_spare"]


def test_lines_wait_for_the_substation_they_end_in(ua) -> None:
    lines = ua.net.line
    kyiv_buses = ua.buses_of("KYIV")
    ending = [
        int(i) for i in lines.index[lines.from_bus.isin(kyiv_buses) | lines.to_bus.isin(kyiv_buses)]
    ]
    elsewhere = next(
        int(i)
        for i in lines.index
        if not ({int(lines.at[i, "from_bus"]), int(lines.at[i, "to_bus"])} & set(kyiv_buses))
    )
    damage = damage_of(
        [
            (0, 0.0, Element("line", ending[0]), 0.5),
            (0, 0.0, Element("line", elsewhere), 0.5),
            (0, 0.0, Element("substation", "KYIV"), 0.5),
            # a later wave's hit on the substation does not block wave-0 work
            (1, 48.0, Element("substation", "KYIV"), 0.5),
            (1, 48.0, Element("line", ending[1]), 0.5),
        ]
    )
    tasks = repair_tasks(damage, ua, rng=np.random.default_rng(0))
    by = {(t.element, t.wave): t for t in tasks if t.part in ("", "switchgear")}
    assert by[(Element("line", ending[0]), 0)].after == (by[(Element("substation", "KYIV"), 0)].id,)
    assert by[(Element("line", elsewhere), 0)].after == ()
    late = by[(Element("line", ending[1]), 1)].after
    assert set(late) == {by[(Element("substation", "KYIV"), w)].id for w in (0, 1)}
    # supply transformers wait for their substation's switchgear too
    supply = [t for t in tasks if t.part == "supply" and t.wave == 0]
    assert supply and all(t.after == (by[(Element("substation", "KYIV"), 0)].id,) for t in supply)


def test_same_generator_same_durations_and_regions_follow_the_home_substation(ua) -> None:
    damage = damage_of([(0, 0.0, Element("substation", s), 0.8) for s in ("KYIV", "LVIV", "ODESA")])
    a = repair_tasks(damage, ua, rng=np.random.default_rng(11))
    b = repair_tasks(damage, ua, rng=np.random.default_rng(11))
    c = repair_tasks(damage, ua, rng=np.random.default_rng(12))
    assert a == b
    assert [t.duration_h for t in a] != [t.duration_h for t in c]
    stations = dict.fromkeys(t.region for t in a if t.element.kind == "substation")
    assert list(stations) == ["Kyiv city", "Lviv", "Odesa"]
    # autotransformer tasks of a struck substation belong to its region too
    for task in a:
        if task.element.kind == "trafo":
            hv_bus = int(ua.net.trafo.at[int(task.element.id), "hv_bus"])
            home = ua.bus_substation[hv_bus]
            assert task.region == ua.substations.at[home, "region"]


def test_scenario_repair_section_overrides_the_defaults() -> None:
    scenario = parse_scenario(
        """
        network = "case9"
        [[waves]]
        targets = ["line:2"]
        severity = 0.5
        [repair.durations.line]
        dist = "fixed"
        median_h = 30.0
        """
    )
    grid = load_network("case9")
    damage = damage_of([(0, 0.0, Element("line", 2), 0.5)])
    (task,) = repair_tasks(damage, grid, options=scenario.repair, rng=np.random.default_rng(0))
    assert task.duration_h == pytest.approx(15.0)  # 30 h x severity 0.5


def test_trips_are_not_tasks_and_return_after_resync() -> None:
    grid = radial_grid([10.0])
    damage = damage_of([], trips=[(0, 2.0, Element("ext_grid", 0), 24.0)])
    assert repair_tasks(damage, grid, rng=np.random.default_rng(0)) == ()
    (back,) = trip_returns(damage)
    assert (back.element, back.start_h, back.end_h) == (Element("ext_grid", 0), 2.0, 26.0)


def test_task_table_has_one_row_per_task() -> None:
    grid = radial_grid([10.0, 20.0])
    damage = damage_of([(0, 0.0, LINE0, 0.5), (0, 0.0, LINE1, 0.5)])
    frame = tasks_frame(repair_tasks(damage, grid, rng=np.random.default_rng(0)))
    assert list(frame["element"]) == ["line:0", "line:1"]
    assert {"task", "kind", "region", "wave", "release_h", "duration_h", "after"} <= set(frame)


def test_donated_transformers_cut_the_wait_and_refill_the_stock(ua) -> None:
    # One spare on hand; donations: one unit at 100 h, one at 150 h. Wave 0 (0 h)
    # hits three transformers: the first takes the spare, the second waits for
    # the unit of 100 h (100 h of waiting instead of months), the third for a
    # new unit (the 150 h delivery is promised to it only if sooner: it is).
    # Wave 1 (200 h) hits a fourth: nothing left on hand, no delivery ahead:
    # it waits months.
    t = [int(i) for i in ua.net.trafo.index[:4]]
    damage = damage_of(
        [(0, 0.0, Element("trafo", i), 1.0) for i in t[:3]]
        + [(1, 200.0, Element("trafo", t[3]), 1.0)]
    )
    options = DEFAULT_REPAIR.model_copy(
        update={
            "spare_transformers": 1,
            "donations": (Donation(time_h=100.0, units=1), Donation(time_h=150.0, units=1)),
        }
    )
    tasks = repair_tasks(damage, ua, options=options, rng=np.random.default_rng(0))
    assert [t.kind for t in tasks] == [
        "trafo",
        "trafo_no_spare",
        "trafo_no_spare",
        "trafo_no_spare",
    ]
    assert [t.parts_h for t in tasks[:3]] == [0.0, 100.0, 150.0]
    assert [t.duration_h for t in tasks[1:3]] == [17.5 * 24] * 2  # installing
    assert tasks[3].parts_h + tasks[3].duration_h >= 6 * HOURS_PER_MONTH
    # a unit delivered before a hit is on hand for it (a spare)
    later = DEFAULT_REPAIR.model_copy(
        update={"spare_transformers": 0, "donations": (Donation(time_h=100.0, units=1),)}
    )
    after = damage_of([(0, 200.0, Element("trafo", t[0]), 1.0)])
    (task,) = repair_tasks(after, ua, options=later, rng=np.random.default_rng(0))
    assert task.kind == "trafo" and task.parts_h == 0.0
    assert 14 * 24 <= task.duration_h <= 21 * 24


def test_donations_in_a_scenario_file() -> None:
    text = 'network = "ua-oblasts"\n[repair]\n[[repair.donations]]\ntime_h = 720\nunits = 2\n'
    assert parse_scenario(text, file="s.toml").repair.donations == (
        Donation(time_h=720.0, units=2),
    )
    bad = 'network = "ua-oblasts"\n[repair]\n[[repair.donations]]\ntime_h = -1\n'
    with pytest.raises(GridModelError) as info:
        parse_scenario(bad, file="s.toml")
    assert info.value.field == "repair.donations[0].time_h"
    assert "hours from 0" in (info.value.allowed or "")
