"""Repair strategies: the hand-solved optimum, one contract for every strategy, and
what distinguishes the heuristics."""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pandapower as pp
import pytest
from restoration_cases import compiled_of, damage_of, fixed_repair, line_tasks, radial_grid

from gridmodel.engine import compile_grid
from gridmodel.errors import OptionError
from gridmodel.network.catalog import load_network
from gridmodel.network.grid import Element
from gridmodel.network.metadata import build_grid
from gridmodel.restoration import strategies
from gridmodel.restoration.dispatch import dispatch
from gridmodel.restoration.optimal import MAX_TASKS
from gridmodel.restoration.options import DemandOptions, RepairOptions
from gridmodel.restoration.tasks import repair_tasks
from gridmodel.restoration.timeline import prepare, run_strategy, simulate

# ---------------------------------------------------------------------------
# Hand-solved case.
#
# One crew, four independent tasks, constant demand ("flat" profile). Repairing
# line j reconnects load j of w_j MW after p_j hours of work; load j is unserved
# until its completion time C_j, so ENS = sum_j w_j * C_j (MWh). Minimising a
# weighted sum of completion times on one machine is solved by Smith's rule
# (Smith 1956): order by w_j / p_j, largest first. Argument: swapping two
# adjacent tasks i, j (i first) changes the sum by w_i p_j - w_j p_i, so an
# order is optimal iff no adjacent pair has w_i / p_i < w_j / p_j.
#
#   j      w_j MW   p_j h   w/p
#   0      10       2       5
#   1      40       5       8
#   2      30       3       10
#   3      20       8       2.5
#
# Order 2, 1, 0, 3: C = 3, 8, 10, 18 -> ENS = 30*3 + 40*8 + 10*10 + 20*18 = 870 MWh.
# ---------------------------------------------------------------------------
LOADS_MW = [10.0, 40.0, 30.0, 20.0]
DURATIONS_H = [2.0, 5.0, 3.0, 8.0]
HAND_ENS_MWH = 870.0
HAND_ORDER = (2, 1, 0, 3)
REPAIR = RepairOptions(crews=1, horizon_h=24)
FLAT = DemandOptions(profile="flat")


@pytest.fixture(scope="module")
def hand_case():
    grid = radial_grid(LOADS_MW)
    damage, tasks = line_tasks(grid, DURATIONS_H)
    return compiled_of(grid), damage, tasks


def ens(timeline) -> float:
    return float(timeline.frame["unserved_mw"].sum())


def test_hand_computation_is_the_brute_force_minimum() -> None:
    # independent check of the numbers above: every one of the 24 orders
    totals = []
    for order in itertools.permutations(range(4)):
        ends = np.cumsum([DURATIONS_H[j] for j in order])
        totals.append(sum(LOADS_MW[j] * c for j, c in zip(order, ends, strict=True)))
    best = min(totals)
    assert best == HAND_ENS_MWH


@pytest.mark.parametrize("name", ["load_per_hour", "optimal", "customers_per_crew_hour"])
def test_smith_rule_and_optimal_reach_the_hand_optimum(hand_case, name: str) -> None:
    compiled, damage, tasks = hand_case
    timeline = simulate(compiled, damage, tasks, repair=REPAIR, demand=FLAT, strategy=name)
    assert ens(timeline) == pytest.approx(HAND_ENS_MWH, abs=1e-9)
    order = tuple(timeline.tasks.sort_values("start_h")["task"])
    assert order == HAND_ORDER


def test_no_strategy_beats_the_hand_optimum(hand_case) -> None:
    compiled, damage, tasks = hand_case
    problem = prepare(compiled, damage, tasks, repair=REPAIR, demand=FLAT)
    for name in strategies.names():
        assert ens(run_strategy(problem, name)) >= HAND_ENS_MWH - 1e-9, name


@pytest.mark.parametrize(
    ("name", "order", "ens_mwh"),
    [
        # in hit order: C = 2, 7, 10, 18 -> 10*2 + 40*7 + 30*10 + 20*18
        ("as_listed", (0, 1, 2, 3), 960.0),
        # by duration 2, 3, 5, 8: C = 2, 5, 10, 18 -> 10*2 + 30*5 + 40*10 + 20*18
        ("shortest_first", (0, 2, 1, 3), 930.0),
        # by MW 40, 30, 20, 10: C = 5, 8, 16, 18 -> 40*5 + 30*8 + 20*16 + 10*18
        ("largest_load_first", (1, 2, 3, 0), 940.0),
    ],
)
def test_simple_orders_by_hand(hand_case, name: str, order: tuple, ens_mwh: float) -> None:
    compiled, damage, tasks = hand_case
    timeline = run_strategy(prepare(compiled, damage, tasks, repair=REPAIR, demand=FLAT), name)
    assert tuple(timeline.tasks.sort_values("start_h")["task"]) == order
    assert ens(timeline) == pytest.approx(ens_mwh, abs=1e-9)


@pytest.mark.parametrize(
    ("name", "ens_mwh"),
    [
        ("load_per_hour", 320.0),
        ("critical_first", 320.0),
        ("customers_per_crew_hour", 320.0),
        ("largest_load_first", 320.0),
        ("optimal", 320.0),
        # line 2 (2 h) before bus1 (4 h): 10 x 2 + 50 x 7
        ("shortest_first", 370.0),
    ],
)
def test_a_task_is_worth_what_it_unlocks(name: str, ens_mwh: float) -> None:
    # bus0 (source) - line 0 - bus1 - line 1 - bus2 (50 MW); bus0 - line 2 - bus3
    # (10 MW). Hits: substation bus1 (whole, 4 h), line 1 (1 h, waits for bus1),
    # line 2 (2 h). One crew, flat demand. The switchgear of bus1 restores nothing
    # alone, but with line 1 it brings back 50 MW in 5 h: 10 MW/h, against 5 MW/h
    # for line 2. Chain first: bus1 [0, 4), line 1 [4, 5), line 2 [5, 7):
    # ENS = 50 x 5 + 10 x 7 = 320 MWh, the optimum. Line 1 is measured with bus1
    # done (50 MW in 1 h), so it follows bus1 at once.
    net = pp.create_empty_network()
    bus = [pp.create_bus(net, 110.0) for _ in range(4)]
    pp.create_ext_grid(net, bus[0])
    for f, t in ((0, 1), (1, 2), (0, 3)):
        pp.create_line_from_parameters(net, bus[f], bus[t], 10.0, 0.05, 0.4, 10.0, 2.0)
    pp.create_load(net, bus[2], 50.0)
    pp.create_load(net, bus[3], 10.0)
    grid = build_grid(net, name="chain", source="test")
    damage = damage_of(
        [
            (0, 0.0, Element("substation", "bus1"), 1.0),
            (0, 0.0, Element("line", 1), 0.25),
            (0, 0.0, Element("line", 2), 0.5),
        ]
    )
    repair = fixed_repair(4.0, crews=1, horizon_h=12, partial_damage=False)
    tasks = repair_tasks(damage, grid, options=repair, rng=np.random.default_rng(0))
    assert [t.duration_h for t in tasks] == [4.0, 1.0, 2.0]
    assert tasks[1].after == (0,)
    timeline = simulate(compiled_of(grid), damage, tasks, repair=repair, demand=FLAT, strategy=name)
    assert ens(timeline) == pytest.approx(ens_mwh, abs=1e-6)


def test_greedy_marginal_sees_what_a_repair_unlocks() -> None:
    # Chain: source - line0 - bus1 (20 MW) - line1 - bus2 (100 MW); star branch
    # line2 to bus3 (30 MW). Durations 1, 1, 2 h, one crew, constant demand.
    # On its own line1 restores nothing (line0 is still out), so load_per_hour
    # ranks line0 (20/h), line2 (15/h), line1 (0): C = 1, 4, 3 ->
    # 20*1 + 100*4 + 30*3 = 510 MWh. After line0 is back, line1 gains 100 MW/h:
    # greedy_marginal does line0, line1, line2: C = 1, 2, 4 -> 20 + 200 + 120 = 340,
    # which is also the optimum (the other orders give 520, 530, 560, 610 by hand).
    import pandapower as pp

    from gridmodel.network.metadata import build_grid

    net = pp.create_empty_network()
    buses = [pp.create_bus(net, 110.0) for _ in range(4)]
    pp.create_ext_grid(net, buses[0])
    for a, b in ((0, 1), (1, 2), (0, 3)):
        pp.create_line_from_parameters(net, buses[a], buses[b], 10.0, 0.05, 0.4, 10.0, 2.0)
    for b, p in ((1, 20.0), (2, 100.0), (3, 30.0)):
        pp.create_load(net, buses[b], p)
    grid = build_grid(net, name="chain", source="test")
    damage = damage_of([(0, 0.0, Element("line", i), s) for i, s in enumerate((0.5, 0.5, 1.0))])
    tasks = repair_tasks(damage, grid, options=fixed_repair(2.0), rng=np.random.default_rng(0))
    problem = prepare(compiled_of(grid), damage, tasks, repair=REPAIR, demand=FLAT)
    assert ens(run_strategy(problem, "load_per_hour")) == pytest.approx(510.0, abs=1e-9)
    assert ens(run_strategy(problem, "greedy_marginal")) == pytest.approx(340.0, abs=1e-9)
    assert ens(run_strategy(problem, "optimal")) == pytest.approx(340.0, abs=1e-9)


def test_critical_first_puts_critical_load_before_more_mw_per_hour() -> None:
    # line 0: 50 MW households in 1 h (50 MW/h); line 1: 5 MW critical in 5 h (1 MW/h)
    grid = radial_grid([50.0, 5.0], priorities=[4, 1])
    damage, tasks = line_tasks(grid, [1.0, 5.0])
    problem = prepare(compiled_of(grid), damage, tasks, repair=REPAIR, demand=FLAT)
    first = run_strategy(problem, "critical_first").tasks.sort_values("start_h")["task"]
    assert tuple(first) == (1, 0)
    per_hour = run_strategy(problem, "load_per_hour").tasks.sort_values("start_h")["task"]
    assert tuple(per_hour) == (0, 1)


def test_critical_first_restores_households_before_other_industry() -> None:
    # line 0: 50 MW other industry (class 5) in 1 h (50 MW/h); line 1: 5 MW
    # households (class 4) in 5 h (1 MW/h). Industry is not on the Dec 2022
    # priority list, so critical_first takes the households first although
    # industry gives more MW per hour (which load_per_hour follows).
    grid = radial_grid([50.0, 5.0], priorities=[5, 4])
    damage, tasks = line_tasks(grid, [1.0, 5.0])
    problem = prepare(compiled_of(grid), damage, tasks, repair=REPAIR, demand=FLAT)
    first = run_strategy(problem, "critical_first").tasks.sort_values("start_h")["task"]
    assert tuple(first) == (1, 0)
    per_hour = run_strategy(problem, "load_per_hour").tasks.sort_values("start_h")["task"]
    assert tuple(per_hour) == (0, 1)
    # what each task restores on its own, per class 1..5
    assert strategies.restored_by_class(problem, 0) == pytest.approx([0, 0, 0, 0, 50.0])
    assert strategies.restored_by_class(problem, 1) == pytest.approx([0, 0, 0, 5.0, 0])


# ---------------------------------------------------------------------------
# Contract: every registered strategy.
# case9: substation "bus4" (bus 4) and lines ending in it are damaged, plus
# two other lines; two crews. Lines 3 and 4 end at bus 4 and must wait for it.
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def contract_case():
    grid = load_network("case9")
    sub4 = str(grid.bus_substation[4])
    lines = grid.net.line
    at_bus4 = [int(i) for i in lines.index[(lines.from_bus == 4) | (lines.to_bus == 4)]]
    others = [int(i) for i in lines.index if int(i) not in at_bus4][:2]
    hits = [(0, 0.0, Element("substation", sub4), 0.6)]
    hits += [(0, 0.0, Element("line", i), 0.4 + 0.1 * k) for k, i in enumerate(at_bus4 + others)]
    damage = damage_of(hits)
    tasks = repair_tasks(damage, grid, rng=np.random.default_rng(7))
    repair = RepairOptions(crews=2, horizon_h=24 * 30)
    return compile_grid(grid), damage, tasks, repair, at_bus4


@pytest.mark.parametrize("name", strategies.names())
def test_strategy_contract(contract_case, name: str) -> None:
    compiled, damage, tasks, repair, at_bus4 = contract_case
    assert 1 < len(tasks) <= MAX_TASKS
    before = (copy.deepcopy(damage), copy.deepcopy(tasks), compiled.load_p_mw.copy())
    runs = []
    for _ in range(2):
        problem = prepare(
            compiled, damage, tasks, repair=repair, demand=DemandOptions(profile="winter-weekday")
        )
        runs.append(dispatch(problem, strategies.get(name)))
    first, second = runs
    # each damaged element repaired exactly once (everything fits in 30 days)
    assert sorted(first.order) == list(range(len(tasks)))
    assert np.isfinite(first.end_h).all() and (first.end_h <= repair.horizon_h).all()
    # precedence: a task starts only after every task it waits for has ended
    waiting = [t for t in tasks if t.after]
    assert {t.element.id for t in waiting} >= set(at_bus4)
    for task in waiting:
        for pred in task.after:
            assert first.start_h[task.id] >= first.end_h[pred] - 1e-9
    # crews: never more than two tasks at once
    for t in first.start_h:
        running = (first.start_h <= t) & (first.end_h > t)
        assert running.sum() <= 2
    # same inputs, same order and times
    assert first.order == second.order
    np.testing.assert_array_equal(first.start_h, second.start_h)
    # inputs unchanged
    assert damage == before[0] and tasks == before[1]
    np.testing.assert_array_equal(compiled.load_p_mw, before[2])


@pytest.mark.slow
@pytest.mark.parametrize(
    "crews",
    [
        {"crews": 2},
        # one national crew and one based outside case9's only region ("1"):
        # every task it takes costs it the mobilisation time first
        {"crews": 1, "crews_per_region": {"away": 1}, "mobilisation_h": 6.0, "crews_per_task": 1},
    ],
)
def test_optimal_bounds_every_heuristic_with_switching_and_crews(contract_case, crews) -> None:
    # partial damage, switching, shared tasks and travel: the exact search
    # over the same dispatch rules is never beaten
    compiled, damage, tasks, repair, _ = contract_case
    repair = repair.model_copy(update={**crews, "horizon_h": 24 * 10})
    problem = prepare(
        compiled, damage, tasks, repair=repair, demand=DemandOptions(profile="winter-weekday")
    )
    found = {name: ens(run_strategy(problem, name)) for name in strategies.names()}
    best = found.pop("optimal")
    assert all(best <= value + 1e-6 for value in found.values()), (best, found)


def test_unknown_strategy_lists_the_valid_ones() -> None:
    with pytest.raises(OptionError) as info:
        strategies.get("load_per_hours")
    text = info.value.line()
    assert "did you mean 'load_per_hour'" in text
    for name in strategies.names():
        assert name in text


def test_a_name_cannot_be_registered_twice() -> None:
    with pytest.raises(ValueError, match="already registered"):
        strategies.register("as_listed")(strategies.as_listed)


def test_optimal_refuses_problems_beyond_its_size_limit() -> None:
    n = MAX_TASKS + 1
    grid = radial_grid([1.0] * n)
    damage, tasks = line_tasks(grid, [1.0] * n)
    with pytest.raises(OptionError, match=f"at most {MAX_TASKS} repair tasks, got {n}"):
        simulate(compiled_of(grid), damage, tasks, repair=RepairOptions(strategy="optimal"))
