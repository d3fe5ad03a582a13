"""The operator's compact shedding program against the full one it replaced.

The engine (:mod:`gridmodel.engine.shedding`) solves the operator's program
over the islands with an overload only, with PTDF rows for the branch limits
it needs (constraint generation). The reference (``shedding_reference``) is
the full program: an angle per energised bus, every island, every rated
branch, solved from scratch by ``scipy.optimize.linprog``. On random
overloaded states of case118 and case300 (``margin:0.2`` ratings, 1-3 lines
and sometimes a substation out):

* both find the program infeasible, or neither;
* the objectives are equal within 1e-10 of their size (both are HiGHS
  optima to 1e-7 per row; observed below 1e-13), and the engine's answer is
  feasible for the full program (branch limits within 1e-6 MW, served load
  within [0, demand]): it is an optimum of the full program;
* served load per load is equal within 1e-6 MW, except where the optimum is
  not unique: for every load that differs, the full program's optimal face
  (objective within 1e-6 of the optimum) holds both values, found by
  minimising and maximising that load's service over it;
* islands without an overload keep the supply balance's answer bit for bit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from engine_cases import network
from shedding_reference import full_program, objective, served_range, solve_full

import gridmodel.engine.shedding as shedding
from gridmodel.engine import CompiledGrid, EngineCache, EngineOptions, State, compile_grid
from gridmodel.engine.outcome import check_outcome
from gridmodel.engine.overload import overloaded, solve_plain
from gridmodel.network.grid import Element

#: Served load per load, and branch limits (MW).
TOL_MW = 1e-6
#: Objectives, relative to their size.
OBJECTIVE_RTOL = 1e-10
#: How far below the optimum the optimal face is taken (objective units).
FACE_TOL = 1e-6


def overloaded_states(compiled: CompiledGrid, n: int, seed: int) -> list[State]:
    """Random states (1-3 lines out, every other one a substation too) whose
    balance answer overloads a branch."""
    rng = np.random.default_rng(seed)
    lines = list(compiled.grid.net.line.index)
    subs = list(compiled.grid.substations.index)
    states = []
    for k in range(n):
        out = [Element("line", int(i)) for i in rng.choice(lines, 1 + k % 3, replace=False)]
        if k % 2:
            out.append(Element("substation", str(rng.choice(subs))))
        states.append(compiled.state(out))
    cache = EngineCache()
    return [
        s
        for s in states
        if overloaded(compiled, solve_plain(compiled, s, compiled.load_p_mw, cache)).any()
    ]


@pytest.mark.parametrize(("network_name", "n_states"), [("case118", 24), ("case300", 30)])
def test_compact_program_finds_the_optimum_of_the_full_program(
    network_name: str, n_states: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        options = EngineOptions(ratings="margin:0.2", overload="shed")
        compiled = compile_grid(network(network_name), options=options)
    rounds: list[int] = []
    ptdf = shedding.branch_ptdf

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        rounds[-1] += 1
        return ptdf(*args, **kwargs)

    monkeypatch.setattr(shedding, "branch_ptdf", counted)
    cache = EngineCache()
    ties = 0
    states = overloaded_states(compiled, n_states, seed=5)
    for n, state in enumerate(states):
        where = f"{network_name} state {n}"
        balance = solve_plain(compiled, state, compiled.load_p_mw, cache)
        rounds.append(0)
        compact = shedding.shed_overloads(compiled, state, balance, cache)
        program = full_program(compiled, state, balance, cache)
        full = solve_full(program)
        assert (compact is None) == (full is None), where
        if compact is None or full is None:
            continue
        served, unit_p = compact.load_served_mw, compact.unit_p_mw
        best = objective(compiled, balance, *full)
        found = objective(compiled, balance, served, unit_p)
        assert found == pytest.approx(best, rel=OBJECTIVE_RTOL, abs=TOL_MW), where
        # feasible for the full program, hence one of its optima
        check_outcome(compiled, compact)
        limit_mw = compiled.branch_rating_mw * compiled.options.overload_limit_percent / 100.0
        on = compact.branch_in_service
        assert np.all(np.abs(compact.branch_flow_mw[on]) <= limit_mw[on] + TOL_MW), where
        assert np.all((served >= 0.0) & (served <= compact.load_demand_mw)), where
        # a load served differently is one the optimum leaves free (a tie)
        for load in np.flatnonzero(np.abs(served - full[0]) > TOL_MW):
            low, high = served_range(program, int(load), best - FACE_TOL)
            pair = sorted((served[load], full[0][load]))
            assert low <= pair[0] + TOL_MW and pair[1] <= high + TOL_MW, f"{where} load {load}"
            ties += 1
        # islands without an overload keep the balance answer exactly
        over = overloaded(compiled, balance)
        islands = np.unique(balance.bus_island[compiled.branch_from[over]])
        untouched = ~np.isin(balance.bus_island, islands)
        loads = untouched[compiled.load_bus]
        units = untouched[compiled.unit_bus]
        assert np.array_equal(served[loads], balance.load_served_mw[loads]), where
        assert np.array_equal(unit_p[units], balance.unit_p_mw[units]), where
    # not vacuous: enough overloaded states, constraint generation beyond one
    # round, and loads served differently at a tie
    assert len(states) >= n_states // 2
    assert max(rounds) >= 3
    assert ties >= 1


def test_operator_answers_do_not_depend_on_the_cache() -> None:
    # the program's factorisations are kept by topology: a fresh cache per
    # state and one warm cache for all give the same numbers bit for bit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        options = EngineOptions(ratings="margin:0.2", overload="operator")
        compiled = compile_grid(network("case118"), options=options)
    states = overloaded_states(compiled, 12, seed=11)
    handling = shedding_handling()
    demand = compiled.load_p_mw
    warm = EngineCache()
    first = [handling.evaluate(compiled, s, demand, warm) for s in states]
    again = [handling.evaluate(compiled, s, demand, warm) for s in reversed(states)][::-1]
    fresh = [handling.evaluate(compiled, s, demand, EngineCache()) for s in states]
    for a, b, c in zip(first, again, fresh, strict=True):
        for field in ("load_served_mw", "unit_p_mw", "branch_flow_mw"):
            assert np.array_equal(getattr(a, field), getattr(b, field))
            assert np.array_equal(getattr(a, field), getattr(c, field))
    assert any(o.load_supplied_mw is not None for o in first)  # the operator acted


def shedding_handling():  # type: ignore[no-untyped-def]
    from gridmodel.engine.overload import HANDLINGS

    return HANDLINGS["operator"]
