"""Unit states and the frequency rule on hand-built grids, against hand calculations.

Every case is a 110 kV star (``radial_grid``): an external grid (the tie, its
import limit given) at bus 0 and one load bus behind one line, with units
added at the load bus. Demand is flat, so every hour has the same demand and
energy-limited units spend their day on the day's first hours (ties in demand
go to the earlier hour). Expected figures are worked out in each test's
comment from the rule in ``gridmodel/restoration/frequency.py`` and the
defaults in ``gridmodel/restoration/generation_options.py``.
"""

from __future__ import annotations

import numpy as np
import pandapower as pp
import pytest
from restoration_cases import FLAT, FLAT_DEMAND, damage_of, radial_grid

from gridmodel.engine import compile_grid
from gridmodel.network.grid import Element
from gridmodel.restoration.generation_options import GenerationOptions
from gridmodel.restoration.options import RepairOptions
from gridmodel.restoration.timeline import prepare, run_strategy

TOL_MW = 1e-6


def _run(grid, damage, hours, generation=None):  # type: ignore[no-untyped-def]
    problem = prepare(
        compile_grid(grid),
        damage,
        (),
        repair=RepairOptions(**{**FLAT, "horizon_h": hours}),
        demand=FLAT_DEMAND,
        generation=generation,
    )
    frame = run_strategy(problem, "as_listed").frame
    return problem, frame.set_index("hour")


def test_a_plant_trip_separates_and_blacks_out_then_the_tie_and_the_plant_return() -> None:
    # 50 MW load, tie limited to 20 MW, a 30 MW plant (no type: "other",
    # start 6 h, ramp 6 h) trips at 0 h with resync 5 h. Before: plant 30 +
    # tie 20. After: load 50, no unit, reserve 0, tie at its limit -> the tie
    # trips; 50 MW short = 100 % of load > 45 % -> blackout. The tie is back
    # at 1 h (energises the island), the plant starts at max(1 + 6, 0 + 5) = 7 h
    # and ramps to 30 MW by 13 h; each hour of the ramp counts its middle.
    grid = radial_grid([50.0], source_max_mw=20.0)
    pp.create_gen(grid.net, 1, p_mw=30.0, max_p_mw=30.0, vm_pu=1.0)
    damage = damage_of([], trips=[(0, 0.0, Element("gen", 0), 5.0)])
    problem, frame = _run(grid, damage, 16)
    [event] = problem.frequency.events
    assert (event.separated, event.blackout, event.energised_h) == (True, True, 1.0)
    assert event.deficit_mw == pytest.approx(50.0, abs=TOL_MW)
    ramp = [30.0 * (k + 0.5) / 6 for k in range(6)]
    expected = [0.0] + [20.0] * 6 + [20.0 + r for r in ramp] + [50.0] * 3
    assert frame["served_mw"].tolist() == pytest.approx(expected, abs=TOL_MW)
    assert frame["dark_mw"][0] == pytest.approx(50.0, abs=TOL_MW)
    shortage = [0.0] + [30.0] * 6 + [30.0 - r for r in ramp] + [0.0] * 3
    assert frame["supply_shortage_mw"].tolist() == pytest.approx(shortage, abs=TOL_MW)
    assert frame["ufls_mw"].abs().max() == 0.0


def _nuclear_and_hydro():  # type: ignore[no-untyped-def]
    # 80 MW load, tie 10 MW; hydro 40 MW (dispatched at 20) and nuclear 60 MW (at 50)
    grid = radial_grid([80.0], source_max_mw=10.0)
    pp.create_gen(grid.net, 1, p_mw=20.0, max_p_mw=40.0, vm_pu=1.0, type="hydro")
    pp.create_gen(grid.net, 1, p_mw=50.0, max_p_mw=60.0, vm_pu=1.0, type="nuclear")
    return grid, damage_of([], trips=[(0, 0.0, Element("gen", 1), 1.0)])


def test_hydro_black_starts_the_island_and_nuclear_waits_for_it_then_ramps_over_two_days() -> None:
    # The nuclear trip leaves 80 - 20 (hydro) - 0.8 (reserve, 1 % of 80) - 10
    # (tie at its limit) short -> separation; 80 - 20 - 0.8 = 59.2 MW is 9.9
    # UFLS steps of 6 MW (45 % / 6 of 80) > 6 -> blackout. Hydro black-starts
    # at 0.25 h, free of its energy limit for a day (no other unit of the
    # blackout to wait for); the tie is back at 1 h; nuclear may start once
    # the island is energised (0.25 h): synchronised at 24.25 h, full at 72.25 h.
    grid, damage = _nuclear_and_hydro()
    problem, frame = _run(grid, damage, 81)
    [event] = problem.frequency.events
    assert (event.separated, event.blackout, event.energised_h) == (True, True, 0.25)
    assert event.deficit_mw == pytest.approx(59.2, abs=TOL_MW)
    assert event.stages == 10
    served = frame["served_mw"]
    # hour 0: dark for 0.25 h, then hydro alone (40 MW) for 0.75 h
    assert served[0] == pytest.approx(0.75 * 40.0, abs=TOL_MW)
    assert frame["dark_mw"][0] == pytest.approx(0.25 * 80.0, abs=TOL_MW)
    # hours 1-23: hydro 40 + tie 10, nuclear still out
    assert served.loc[1:23].to_numpy() == pytest.approx(np.full(23, 50.0), abs=TOL_MW)
    # hour 30 (day 2, 06:00: hydro has spent its 6 h): tie 10 + nuclear ramping;
    # the ramp step changes at 30.25 h: 0.25 h at 5.5/48 and 0.75 h at 6.5/48 of 60 MW
    assert served[30] == pytest.approx(10.0 + 60.0 * (0.25 * 5.5 + 0.75 * 6.5) / 48, abs=TOL_MW)
    # hour 75 (day 4, 03:00, hydro running): nuclear at full output, all served
    assert served[75] == pytest.approx(80.0, abs=TOL_MW)
    # hour 80 (day 4, 08:00, hydro out of energy): 60 + 10 = 70 served, 10 short
    assert served[80] == pytest.approx(70.0, abs=TOL_MW)
    assert frame["supply_shortage_mw"][80] == pytest.approx(10.0, abs=TOL_MW)


def test_without_black_start_units_the_island_waits_for_the_tie() -> None:
    # same case, hydro not allowed to black-start: dark until the tie is back
    # at 1 h; nuclear synchronised at 1 + 24 = 25 h
    grid, damage = _nuclear_and_hydro()
    problem, frame = _run(grid, damage, 26, GenerationOptions(black_start=()))
    [event] = problem.frequency.events
    assert event.energised_h == 1.0
    assert frame["dark_mw"][0] == pytest.approx(80.0, abs=TOL_MW)
    nuclear = [o for o in problem.frequency.units.outages if o.cause == "trip"]
    assert [(o.up_h, o.full_h) for o in nuclear] == [(25.0, 73.0)]


def test_pumped_storage_runs_out_of_energy() -> None:
    # 50 MW load, tie 20 MW, pumped storage 40 MW with 5 h of energy a day:
    # flat demand, so it runs its 5 h at 00:00-05:00 and 20 MW is all that is
    # left for the other 19 h (30 MW short), every day; no strike at all.
    grid = radial_grid([50.0], source_max_mw=20.0)
    pp.create_gen(grid.net, 1, p_mw=30.0, max_p_mw=40.0, vm_pu=1.0, type="pumped_storage")
    _, frame = _run(grid, damage_of([]), 48)
    day = [50.0] * 5 + [20.0] * 19
    assert frame["served_mw"].tolist() == pytest.approx(day * 2, abs=TOL_MW)
    assert frame["supply_shortage_mw"][5] == pytest.approx(30.0, abs=TOL_MW)
    # with 7.5 h a day it serves 50 MW for 7 h and 20 + 0.5 x 40 = 40 MW in the 8th
    _, frame = _run(grid, damage_of([]), 24, GenerationOptions(energy_h={"pumped_storage": 7.5}))
    assert frame["served_mw"].tolist() == pytest.approx([50.0] * 7 + [40.0] + [20.0] * 16)


def test_under_frequency_shedding_stages_for_a_known_loss() -> None:
    # Loads 90 MW (households) and 10 MW (critical); tie 5 MW; thermal A 100 MW
    # (at 75) and thermal B 20 MW (at 20). B trips: 100 - 75 - 1 (reserve: 1 %
    # of 100, A has 25 MW of headroom) - 5 (tie at its limit) = 19 MW short ->
    # the tie trips; 100 - 75 - 1 = 24 MW short = 3.2 steps of 7.5 MW -> 4
    # steps, 30 MW shed at 49.0, 48.8, 48.6 and 48.4 Hz, all from the
    # households. Hour 0: 70 MW served (A), 30 MW UFLS. From 1 h operators
    # reconnect it: A 100 + tie 5 cover the 100 MW.
    grid = radial_grid([90.0, 10.0], source_max_mw=5.0, priorities=[4, 1])
    pp.create_gen(grid.net, 1, p_mw=75.0, max_p_mw=100.0, vm_pu=1.0, type="thermal")
    pp.create_gen(grid.net, 2, p_mw=20.0, max_p_mw=20.0, vm_pu=1.0, type="thermal")
    damage = damage_of([], trips=[(0, 0.0, Element("gen", 1), 2.0)])
    problem, frame = _run(grid, damage, 4)
    [event] = problem.frequency.events
    assert (event.separated, event.blackout, event.stages) == (True, False, 4)
    assert event.deficit_mw == pytest.approx(24.0, abs=TOL_MW)
    assert event.shed_mw == pytest.approx(30.0, abs=TOL_MW)
    assert event.lowest_hz == pytest.approx(48.4, abs=1e-12)
    totals = frame.groupby("hour").sum(numeric_only=True)
    assert totals["ufls_mw"].tolist() == pytest.approx([30.0, 0.0, 0.0, 0.0], abs=TOL_MW)
    assert totals["served_mw"].tolist() == pytest.approx([70.0, 100.0, 100.0, 100.0], abs=TOL_MW)
    assert totals["critical_unserved_mw"].abs().max() < TOL_MW


def test_disabled_generation_keeps_the_instant_model() -> None:
    # [generation] enabled = false: no frequency rule, the plant is back at its resync
    grid = radial_grid([50.0], source_max_mw=20.0)
    pp.create_gen(grid.net, 1, p_mw=30.0, max_p_mw=30.0, vm_pu=1.0)
    damage = damage_of([], trips=[(0, 0.0, Element("gen", 0), 5.0)])
    problem, frame = _run(grid, damage, 8, GenerationOptions(enabled=False))
    assert problem.frequency is None
    assert frame["served_mw"].tolist() == pytest.approx([20.0] * 5 + [50.0] * 3, abs=TOL_MW)


def test_carried_over_damage_is_switched_already_and_not_a_fresh_strike() -> None:
    # A hit of severity 0.5 on substation bus1 (one line bay, two supply
    # transformers): its switchgear task holds line 0 and one supply
    # transformer is lost (share 0.5). Fresh at 0 h: the whole substation is
    # isolated for the first hour and nothing is switched yet. Carried over
    # from before the start: not isolated, its lost load already switched
    # (stage 2), the same repairs to do.
    from restoration_cases import fixed_repair

    from gridmodel.restoration.condition import ALL
    from gridmodel.restoration.tasks import repair_tasks

    grid = radial_grid([50.0])
    damage = damage_of([(0, 0.0, Element("substation", "bus1"), 0.5)])
    tasks = repair_tasks(damage, grid, options=fixed_repair(100.0), rng=np.random.default_rng(0))
    conditions = {}
    for carried in (frozenset(), frozenset({0})):
        problem = prepare(
            compile_grid(grid),
            damage,
            tasks,
            repair=fixed_repair(100.0, crews=1, horizon_h=3),
            demand=FLAT_DEMAND,
            carried=carried,
        )
        conditions[bool(carried)] = problem.condition_at(0.0, frozenset())
    line, sub = Element("line", 0), Element("substation", "bus1")
    assert conditions[False].out == {line, sub}
    assert conditions[False].lost == (("bus1", 1.0),)
    assert conditions[False].switched == ()
    assert conditions[True].out == {line}
    assert conditions[True].lost == (("bus1", 0.5),)
    assert conditions[True].switched == (("bus1", ALL),)
