"""The hourly restoration timeline: columns, time, demand, waves, trips, crews, properties."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandapower as pp
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from restoration_cases import (
    FLAT,
    FLAT_DEMAND,
    compiled_of,
    damage_of,
    fixed_repair,
    line_tasks,
    radial_grid,
    run,
)

from gridmodel.engine import EngineOptions, compile_grid
from gridmodel.network.catalog import load_network
from gridmodel.network.grid import Element
from gridmodel.network.metadata import CUSTOMERS_PER_MW, build_grid
from gridmodel.restoration.demand import WINTER_WEEKDAY, WINTER_WEEKEND
from gridmodel.restoration.generation_options import GenerationOptions
from gridmodel.restoration.metrics import compute_metrics
from gridmodel.restoration.options import DemandOptions, RepairOptions
from gridmodel.restoration.strategies import names
from gridmodel.restoration.tasks import repair_tasks
from gridmodel.restoration.timeline import COLUMNS, simulate
from gridmodel.schedule.deficit import TIMELINE_COLUMNS


def totals(timeline) -> pd.DataFrame:
    return timeline.frame.groupby("hour").sum(numeric_only=True)


def test_one_row_per_hour_and_region_with_the_contract_columns() -> None:
    grid = radial_grid([10.0, 20.0, 30.0], regions=["north", "north", "south"])
    damage, tasks = line_tasks(grid, [2.0, 3.0, 4.0])
    frame = run(grid, damage, tasks).frame
    assert tuple(frame.columns) == COLUMNS
    assert set(TIMELINE_COLUMNS) <= set(frame.columns)  # what the schedule reads
    assert len(frame) == 24 * 2
    assert frame["hour"].dtype == np.int64
    assert list(frame["region"][:2]) == ["north", "south"]
    assert str(frame["time"].dt.tz) == "Europe/Kyiv"
    assert frame["time"].iloc[0] == pd.Timestamp("2022-12-16 00:00", tz="Europe/Kyiv")
    assert frame["time"].iloc[0].utcoffset().total_seconds() == 2 * 3600
    # tasks worked on in hour 0 (as listed, one crew: line 0), named in its home region
    assert frame.loc[frame.hour == 0, "tasks_in_progress"].tolist() == ["line:0", ""]


def test_hours_are_real_hours_across_the_spring_clock_change() -> None:
    # Europe/Kyiv moved from +02 to +03 at 03:00 local on 26 March 2023
    grid = radial_grid([100.0])
    damage, tasks = line_tasks(grid, [1.0])
    timeline = run(
        grid, damage, tasks, start=datetime(2023, 3, 26), horizon_h=6, profile="winter-weekday"
    )
    frame = timeline.frame
    assert [t.hour for t in frame["time"]] == [0, 1, 2, 4, 5, 6]
    assert [t.utcoffset().total_seconds() / 3600 for t in frame["time"]] == [2, 2, 2, 3, 3, 3]
    # demand follows the local clock hour (Sunday: same daily profile by default)
    expected = [100.0 * WINTER_WEEKDAY[h] for h in (0, 1, 2, 4, 5, 6)]
    assert frame["demand_mw"].tolist() == pytest.approx(expected, abs=1e-9)


def test_demand_follows_the_winter_profile_and_the_week() -> None:
    grid = radial_grid([100.0])
    no_damage = damage_of([])
    # 16 Dec 2022 was a Friday: weekday curve, then Saturday's weekend curve
    frame = run(grid, no_damage, (), horizon_h=48, profile="winter-week").frame
    expected = [100.0 * f for f in (*WINTER_WEEKDAY, *WINTER_WEEKEND)]
    assert frame["demand_mw"].tolist() == pytest.approx(expected, abs=1e-9)
    assert frame["served_mw"].tolist() == pytest.approx(expected, abs=1e-9)
    assert frame["demand_mw"].max() == pytest.approx(100.0)  # the evening peak is the net's p_mw
    assert frame["unserved_mw"].abs().max() < 1e-9


def test_a_repair_inside_an_hour_counts_for_the_part_of_the_hour() -> None:
    grid = radial_grid([40.0])
    damage, tasks = line_tasks(grid, [2.5])
    frame = run(grid, damage, tasks, horizon_h=5).frame
    # out for 2.5 h: hours 0-1 dark, hour 2 half served, then served
    assert frame["served_mw"].tolist() == pytest.approx([0.0, 0.0, 20.0, 40.0, 40.0])
    assert frame["unserved_mw"].sum() == pytest.approx(2.5 * 40.0)
    customers = frame["customers"].iloc[0]
    assert frame["customers_off"].tolist() == pytest.approx(
        [customers, customers, customers / 2, 0, 0]
    )
    # deliverable: what the damaged grid serves at the peak, here the constant demand
    assert frame["deliverable_mw"].tolist() == pytest.approx([0.0, 0.0, 20.0, 40.0, 40.0])


def test_a_later_wave_hits_a_repaired_element_again() -> None:
    grid = radial_grid([30.0])
    line = Element("line", 0)
    damage = damage_of([(0, 0.0, line, 0.2), (1, 10.0, line, 0.3)])
    tasks = repair_tasks(damage, grid, options=fixed_repair(10.0), rng=np.random.default_rng(0))
    timeline = run(grid, damage, tasks, horizon_h=16)
    served = timeline.frame["served_mw"].to_numpy()
    dark_hours = [h for h in range(16) if served[h] < 1e-9]
    assert dark_hours == [0, 1, 10, 11, 12]  # 2 h, then 3 h after the second wave
    assert timeline.tasks["element"].tolist() == ["line:0", "line:0"]
    assert timeline.tasks["start_h"].tolist() == [0.0, 10.0]
    wave_h = timeline.frame["wave_h"].to_numpy()
    assert wave_h[[0, 9, 10, 12]].tolist() == [0.0, 9.0, 0.0, 2.0]
    # customers interrupted twice (at 0 h and at 10 h)
    interrupted = timeline.frame["customers_interrupted"].to_numpy()
    customers = timeline.frame["customers"].iloc[0]
    assert np.flatnonzero(interrupted).tolist() == [0, 10]
    assert interrupted.sum() == pytest.approx(2 * customers)


def test_hours_before_the_first_wave_have_no_wave_time() -> None:
    grid = radial_grid([30.0])
    damage = damage_of([(0, 5.0, Element("line", 0), 0.2)])
    tasks = repair_tasks(damage, grid, options=fixed_repair(10.0), rng=np.random.default_rng(0))
    frame = run(grid, damage, tasks, horizon_h=10).frame
    assert np.isnan(frame["wave_h"][:5]).all()
    assert frame["wave_h"][5:].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert frame["served_mw"].tolist() == pytest.approx([30.0] * 5 + [0.0, 0.0] + [30.0] * 3)


def test_a_tripped_plant_comes_back_after_resync_without_a_crew() -> None:
    # 50 MW load; import limited to 20 MW; a 30 MW plant at the load bus trips
    # at 0 h and resynchronises after 5 h: 30 MW shed (not dark) for hours 0-4.
    # Without the units' clock and frequency rule ([generation] enabled = false);
    # tests/restoration/test_generation.py has the same case with them.
    grid = radial_grid([50.0], source_max_mw=20.0)
    pp.create_gen(grid.net, 1, p_mw=30.0, max_p_mw=30.0, vm_pu=1.0)
    damage = damage_of([], trips=[(0, 0.0, Element("gen", 0), 5.0)])
    frame = simulate(
        compile_grid(grid),
        damage,
        (),
        repair=RepairOptions(**{**FLAT, "horizon_h": 8}),
        demand=FLAT_DEMAND,
        generation=GenerationOptions(enabled=False),
    ).frame
    assert frame["shed_mw"].tolist() == pytest.approx([30.0] * 5 + [0.0] * 3, abs=1e-6)
    assert frame["dark_mw"].abs().max() < 1e-9


def test_regional_crews_work_only_in_their_region() -> None:
    grid = radial_grid([10.0, 10.0, 10.0, 10.0], regions=["north", "north", "south", "south"])
    net = grid.net
    # line i ends at bus i + 1; make each line's home (from-bus) its load's region
    net.line["from_bus"], net.line["to_bus"] = (
        net.line["to_bus"].copy(),
        net.line["from_bus"].copy(),
    )
    damage, tasks = line_tasks(grid, [4.0, 4.0, 4.0, 4.0])
    assert [t.region for t in tasks] == ["north", "north", "south", "south"]
    timeline = run(grid, damage, tasks, crews=1, crews_per_region={"south": 1})
    table = timeline.tasks
    assert table["pool"].tolist() == ["national", "national", "south", "south"]
    # the national crew does the north tasks one after the other, the south crew in parallel
    assert table["start_h"].tolist() == [0.0, 4.0, 0.0, 4.0]


def test_crews_off_shift_do_not_work() -> None:
    grid = radial_grid([10.0])
    damage, tasks = line_tasks(grid, [4.0])
    timeline = run(grid, damage, tasks, around_the_clock=False, shift_hours=(8, 20))
    # starts at midnight, work from 08:00 to 12:00 local
    assert timeline.tasks["end_h"].tolist() == [12.0]


def hours_out(end_h: list[float], hours: int) -> np.ndarray:
    """Share of hour ``h`` (rows) for which load ``j`` (columns), cut off from 0 h, is
    still out when its line is back at ``end_h[j]``: the overlap of [h, h + 1) with
    [0, end_h[j])."""
    return np.clip(np.asarray(end_h)[None, :] - np.arange(hours)[:, None], 0.0, 1.0)


@pytest.mark.parametrize("profile", ["flat", "winter-weekday"])
def test_unserved_energy_by_hand_from_the_repair_end_times(profile: str) -> None:
    # Radial star, unlimited source: load j is dark exactly until line j is back.
    # Two crews, one per task, tasks as listed: crew A does line 0 (0-2.5 h)
    # then line 2 (2.5-5.75 h), crew B line 1 (0-5 h) then line 3 (5-13 h).
    loads = np.array([10.0, 40.0, 30.0, 20.0])
    regions = ["north", "north", "south", "south"]
    end_h = [2.5, 5.0, 5.75, 13.0]
    hours = 16
    grid = radial_grid(list(loads), regions=regions, priorities=[4, 1, 4, 4])
    damage, tasks = line_tasks(grid, [2.5, 5.0, 3.25, 8.0])
    timeline = run(grid, damage, tasks, crews=2, horizon_h=hours, profile=profile, crews_per_task=1)
    frame = timeline.frame
    assert timeline.tasks["end_h"].tolist() == pytest.approx(end_h, abs=1e-12)
    # demand factor of each local hour (the run starts at midnight, 16 Dec 2022)
    factor = np.ones(hours) if profile == "flat" else np.asarray(WINTER_WEEKDAY[:hours])
    out_mw = hours_out(end_h, hours) * loads[None, :] * factor[:, None]  # MW, hour x load
    # ENS by hand: flat profile 10*2.5 + 40*5 + 30*5.75 + 20*13 = 657.5 MWh
    hand_ens = float(out_mw.sum())
    if profile == "flat":
        assert hand_ens == pytest.approx(657.5, abs=1e-12)
    assert compute_metrics(frame).total["ens_mwh"] == pytest.approx(hand_ens, abs=1e-6)
    for r, region in enumerate(["north", "south"]):
        rows = frame[frame["region"] == region]
        mine = [j for j, name in enumerate(regions) if name == region]
        hand = out_mw[:, mine].sum(axis=1)  # the region's loads still cut off, MW
        assert rows["unserved_mw"].to_numpy() == pytest.approx(hand, abs=1e-9), region
        # every unserved MW is dark (no path); nothing is shed with an unlimited source
        assert rows["dark_mw"].to_numpy() == pytest.approx(hand, abs=1e-9), region
        assert rows["shed_mw"].abs().max() < 1e-9
        total = rows["dark_mw"] + rows["shed_mw"]
        assert total.to_numpy() == pytest.approx(rows["unserved_mw"].to_numpy(), abs=1e-9)
        demand = loads[mine].sum() * factor
        assert rows["served_mw"].to_numpy() == pytest.approx(demand - hand, abs=1e-9), region
        customers = CUSTOMERS_PER_MW * hours_out(end_h, hours)[:, mine] @ loads[mine]
        assert rows["customers_off"].to_numpy() == pytest.approx(customers, abs=1e-9)
        if r == 0:
            # the 40 MW critical load (north) is out until 5 h
            critical = 40.0 * factor * hours_out([5.0], hours)[:, 0]
            assert rows["critical_unserved_mw"].to_numpy() == pytest.approx(critical, abs=1e-9)
        else:
            assert rows["critical_unserved_mw"].abs().max() < 1e-9


@st.composite
def restorations(draw):
    n = draw(st.integers(1, 5))
    loads = draw(st.lists(st.floats(1.0, 100.0), min_size=n, max_size=n))
    durations = draw(st.lists(st.floats(0.5, 9.5), min_size=n, max_size=n))
    priorities = draw(st.lists(st.integers(1, 4), min_size=n, max_size=n))
    source = draw(st.one_of(st.none(), st.floats(0.0, 1.2).map(lambda s: s * sum(loads) + 0.1)))
    chain = draw(st.booleans())
    crews = draw(st.integers(1, 3))
    strategy = draw(st.sampled_from(names()))
    profile = draw(st.sampled_from(["flat", "winter-weekday"]))
    return loads, durations, priorities, source, chain, crews, strategy, profile


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(restorations())
def test_properties_of_every_timeline(case) -> None:
    loads, durations, priorities, source, chain, crews, strategy, profile = case
    grid = radial_grid(loads, priorities=priorities, source_max_mw=source, chain=chain)
    damage, tasks = line_tasks(grid, durations)
    # 48 h: one crew finishes even five 9.5 h repairs (47.5 h)
    timeline = simulate(
        compiled_of(grid, overload="shed"),
        damage,
        tasks,
        repair=RepairOptions(crews=crews, horizon_h=48, strategy=strategy),
        demand=DemandOptions(profile=profile),
    )
    frame = timeline.frame
    # The columns are not clamped: 0 <= unserved <= load must come out of the engine
    # and of the time weighting within an hour.
    tol = 1e-9
    assert (frame["unserved_mw"] >= -tol).all()
    assert (frame["unserved_mw"] <= frame["demand_mw"] + tol).all()
    assert np.allclose(frame["unserved_mw"], frame["demand_mw"] - frame["served_mw"], atol=tol)
    assert np.allclose(frame["dark_mw"] + frame["shed_mw"], frame["unserved_mw"], atol=tol)
    assert (frame["critical_unserved_mw"] >= -tol).all()
    assert (frame["critical_unserved_mw"] <= frame["critical_mw"] + tol).all()
    assert (frame["customers_off"] >= -tol).all()
    assert (frame["customers_off"] <= frame["customers"] + tol).all()
    # every damaged element repaired exactly once, and then the grid is the intact one
    table = timeline.tasks
    assert sorted(table["element"]) == sorted(f"line:{i}" for i in range(len(loads)))
    assert table["done"].all()
    assert table["end_h"].max() <= 48.0
    back = frame[frame["hour"] >= np.ceil(table["end_h"].max())]
    assert np.allclose(back["served_mw"], back["intact_served_mw"], atol=1e-6)
    # One wave, constant demand, every repair reconnects a dark area through one
    # element (radial network), shed mode: served load never goes down.
    if profile == "flat":
        served = frame.groupby("hour")["served_mw"].sum().to_numpy()
        assert (np.diff(served) >= -1e-6).all()
        # at constant demand the peak evaluation is the hour's own: capacity = served
        assert np.allclose(frame["deliverable_mw"], frame["served_mw"], atol=tol)


def test_a_repaired_line_closing_a_loop_can_lower_served_load() -> None:
    # Triangle: source at bus 0, 100 MW at bus 2, via bus 1 (two 10 km lines,
    # rated 381 MVA) or directly (a 20 km line rated 10 MVA: same reactance as
    # the detour, so DC splits the flow half and half). Ratings as in the file,
    # shed mode. While the direct line is out, the detour carries all 100 MW;
    # once it is back, the LP can only keep it within 10 MW by serving 2 x 10 MW.
    # The timeline reports this drop (module notes: "Closing loops").
    net = pp.create_empty_network()
    bus = [pp.create_bus(net, 110.0) for _ in range(3)]
    pp.create_ext_grid(net, bus[0])
    pp.create_line_from_parameters(net, bus[0], bus[1], 10.0, 0.05, 0.4, 10.0, 2.0)
    pp.create_line_from_parameters(net, bus[1], bus[2], 10.0, 0.05, 0.4, 10.0, 2.0)
    pp.create_line_from_parameters(net, bus[0], bus[2], 20.0, 0.05, 0.4, 10.0, 10 / (3**0.5 * 110))
    pp.create_load(net, bus[2], 100.0)
    grid = build_grid(net, name="loop", source="test")
    compiled = compile_grid(grid, options=EngineOptions(overload="shed", ratings="file"))
    damage = damage_of([(0, 0.0, Element("line", 2), 0.2)])
    tasks = repair_tasks(damage, grid, options=fixed_repair(10.0), rng=np.random.default_rng(0))
    frame = simulate(
        compiled,
        damage,
        tasks,
        repair=RepairOptions(**{**FLAT, "horizon_h": 4}),
        demand=FLAT_DEMAND,
    ).frame
    assert frame["served_mw"].tolist() == pytest.approx([100.0, 100.0, 20.0, 20.0], abs=1e-6)


def test_fourteen_days_on_ua_oblasts() -> None:
    # 12 substations hit at once, 4 crews, 336 h, DC trip mode (the wall-clock bound
    # this test had belongs in benchmarks/).
    grid = load_network("ua-oblasts")
    compiled = compile_grid(grid)
    subs = list(grid.substations.index[:12])
    damage = damage_of([(0, 0.0, Element("substation", s), 0.7) for s in subs])
    tasks = repair_tasks(damage, grid, rng=np.random.default_rng(3))
    timeline = simulate(
        compiled, damage, tasks, repair=RepairOptions(crews=4, strategy="greedy_marginal")
    )
    frame = timeline.frame
    assert len(frame) == 336 * len(grid.regions)
    # a struck substation takes out every load on its buses: in hour 0 (midnight,
    # winter weekday factor) at least those loads are dark
    loads = grid.net.load
    struck = {b for s in subs for b in grid.buses_of(str(s))}
    at_struck = loads[loads["in_service"] & loads["bus"].isin(struck)]
    struck_mw = float((at_struck["p_mw"] * at_struck["scaling"]).sum()) * WINTER_WEEKDAY[0]
    assert struck_mw > 0
    assert frame.loc[frame["hour"] == 0, "dark_mw"].sum() >= struck_mw - 1e-6


def test_a_crew_works_elsewhere_while_parts_are_on_their_way() -> None:
    # One crew. Line 0 (10 MW) needs 3 h of work once its parts arrive at 5 h;
    # line 1 (20 MW) needs 4 h and can start at once. The crew does line 1 in
    # [0, 4), then line 0 in [5, 8): waiting for parts holds no crew.
    # ENS by hand: 10 MW x 8 h + 20 MW x 4 h = 160 MWh. Had the wait held the
    # crew (8 h on line 0 first), line 1 would be back at 12 h: 80 + 240 = 320.
    import dataclasses

    grid = radial_grid([10.0, 20.0])
    damage, tasks = line_tasks(grid, [3.0, 4.0])
    tasks = (dataclasses.replace(tasks[0], parts_h=5.0), tasks[1])
    assert tasks[0].ready_h == 5.0
    timeline = run(grid, damage, tasks, crews=1, profile="flat")
    table = timeline.tasks
    assert table["start_h"].tolist() == [5.0, 0.0]
    assert table["end_h"].tolist() == [8.0, 4.0]
    assert table["parts_h"].tolist() == [5.0, 0.0]
    assert timeline.frame["unserved_mw"].sum() == pytest.approx(160.0, abs=1e-6)
