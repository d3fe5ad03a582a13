"""Conformance of every implementation of the engine's two plug-in interfaces.

``OverloadHandling`` (every entry of ``gridmodel.engine.overload.HANDLINGS``):

* on a state without overloads it returns exactly the plain DC answer
  (``solve_plain``), bit for bit;
* on states with overloads (``margin:X`` ratings, a few struck lines, and a
  phase shifter whose loop flow alone overloads a line) nothing in service is
  loaded above the hard limit, recomputed here from the flows and the ratings
  (tolerance 1e-6 MW: the shedding program is solved to 1e-7 MW per row);
  served load stays within ``[0, demand]`` (1e-6 MW); the outcome passes
  ``check_outcome``; and a handling other than ``trip`` that trips branches
  says so in a warning.

``AcBackend`` (every entry of ``gridmodel.engine.ac.check.BACKENDS``):

* on states of case9, case30 and case118 (intact, lines out, substations out,
  two energised islands) the branch flows equal pandapower's own ``runpp``
  on a copy of the net set to the same state (``engine_cases.runpp_of_state``):
  1e-6 MW for ``runpp`` itself (the same solver and settings: observed 0),
  1e-4 MW for lightsim2grid (its own Newton-Raphson stops at the same 1e-8
  pu mismatch from another iterate: observed below 3e-7 MW);
* a state whose loads are scaled up tenfold (external grids unlimited, so all
  of it is served in DC), where ``runpp`` diverges too, returns ``None``:
  no exception and no NaN.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import warnings
from typing import Any

import numpy as np
import pandapower as pp
import pytest
from engine_cases import (
    assert_same_outcome,
    branch_results,
    network,
    runpp_of_state,
)

from gridmodel.engine import CompiledGrid, EngineCache, EngineOptions, State, compile_grid
from gridmodel.engine.ac.backend import AcBackend
from gridmodel.engine.ac.check import BACKENDS
from gridmodel.engine.outcome import check_outcome
from gridmodel.engine.overload import HANDLINGS, OverloadHandling, solve_plain
from gridmodel.network.grid import Element, Grid
from gridmodel.network.metadata import build_grid

#: Tolerance of the branch limit and of served load against demand (MW).
LIMIT_TOL_MW = 1e-6

#: Tolerance of each AC backend's flows against runpp (MW, see the module notes).
AC_TOL_MW = {"pandapower": 1e-6, "lightsim2grid": 1e-4}


def compiled_of(grid: Grid, **options: Any) -> CompiledGrid:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return compile_grid(grid, options=EngineOptions(**options))


def line_strike_states(
    compiled: CompiledGrid, n: int, seed: int
) -> list[tuple[list[Element], State]]:
    """``n`` states of 1-3 random lines out (seeded)."""
    rng = np.random.default_rng(seed)
    lines = list(compiled.grid.net.line.index)
    outs = [
        [Element("line", int(i)) for i in rng.choice(lines, 1 + k % 3, replace=False)]
        for k in range(n)
    ]
    return [(out, compiled.state(out)) for out in outs]


def has_overload(
    compiled: CompiledGrid, flow: np.ndarray, in_service: np.ndarray, tol: float = LIMIT_TOL_MW
) -> np.ndarray:
    """Branches in service whose flow exceeds the hard limit by more than ``tol`` MW,
    from the flows and ratings alone."""
    limit_mw = compiled.branch_rating_mw * compiled.options.overload_limit_percent / 100.0
    return in_service & (np.abs(flow) > limit_mw + tol)


def shifter_grid() -> Grid:
    """ext_grid (bus 0) -- a 10 degree phase-shifting transformer (1000 MVA) in
    parallel with a line rated 20 MW -- bus 1 with a 5 MW load. The DC loop
    flow of the shift alone is about 130 MW on the line: no shedding can
    remove it."""
    net = pp.create_empty_network()
    b0, b1 = pp.create_bus(net, vn_kv=110.0), pp.create_bus(net, vn_kv=110.0)
    pp.create_ext_grid(net, b0)
    pp.create_line_from_parameters(
        net, b0, b1, length_km=10, r_ohm_per_km=0.01, x_ohm_per_km=0.4, c_nf_per_km=0,
        max_i_ka=20.0 / (math.sqrt(3) * 110.0),
    )  # fmt: skip
    pp.create_transformer_from_parameters(
        net, b0, b1, sn_mva=1000, vn_hv_kv=110, vn_lv_kv=110, vkr_percent=0.1, vk_percent=10,
        pfe_kw=0, i0_percent=0, shift_degree=10,
    )  # fmt: skip
    pp.create_load(net, b1, p_mw=5.0)
    return build_grid(net, name="shifter", source="test")


# --------------------------------------------------------------------------- overload handling


@pytest.mark.parametrize("name", sorted(HANDLINGS))
@pytest.mark.parametrize("network_name", ["case30", "case118"])
def test_handling_without_overloads_is_the_plain_dc_answer(name: str, network_name: str) -> None:
    # raise-base ratings: the intact grid and 1-3 lines out overload nothing here
    handling: OverloadHandling = HANDLINGS[name]
    compiled = compiled_of(network(network_name), overload=name)
    states = [([], compiled.base), *line_strike_states(compiled, 12, seed=13)]
    demand = compiled.load_p_mw
    compared = 0
    for out, state in states:
        plain = solve_plain(compiled, state, demand, EngineCache())
        # every branch clearly within its limit (LIMIT_TOL_MW below it)
        flow, on = plain.branch_flow_mw, plain.branch_in_service
        if has_overload(compiled, flow, on, tol=-LIMIT_TOL_MW).any():
            continue
        compared += 1
        outcome = handling.evaluate(compiled, state, demand, EngineCache())
        assert_same_outcome(outcome, plain, label=f"{name} {[str(e) for e in out]}")
    assert compared >= 10  # the comparison must cover most states, or it proves little


def overload_cases() -> list[tuple[str, CompiledGrid, list[State]]]:
    """Grids and states whose plain DC answer has overloads."""
    cases = []
    for network_name, options in (
        ("case30", {"ratings": "margin:0.1"}),
        ("case118", {"ratings": "margin:0.3"}),
        ("case118", {"ratings": "margin:0.3", "overload_limit_percent": 90.0}),
    ):
        compiled = compiled_of(network(network_name), **options)
        states = [s for _, s in line_strike_states(compiled, 8, seed=29)]
        cases.append((f"{network_name} {options}", compiled, states))
    shifter = compiled_of(shifter_grid(), ratings="file")
    cases.append(("phase shifter", shifter, [shifter.base]))
    return cases


@pytest.mark.parametrize("name", sorted(HANDLINGS))
def test_handling_leaves_nothing_overloaded(name: str) -> None:
    handling = HANDLINGS[name]
    overloaded_states = 0
    for label, compiled, states in overload_cases():
        demand = compiled.load_p_mw
        for n, state in enumerate(states):
            where = f"{label} state {n}"
            plain = solve_plain(compiled, state, demand, EngineCache())
            if has_overload(compiled, plain.branch_flow_mw, plain.branch_in_service).any():
                overloaded_states += 1
            outcome = handling.evaluate(compiled, state, demand, EngineCache())
            over = has_overload(compiled, outcome.branch_flow_mw, outcome.branch_in_service)
            assert not over.any(), f"{where}: branches {np.flatnonzero(over)} above the limit"
            assert np.all(outcome.load_served_mw <= demand + LIMIT_TOL_MW), where
            assert np.all(outcome.load_served_mw >= -LIMIT_TOL_MW), where
            assert np.array_equal(outcome.load_demand_mw, demand), where
            check_outcome(compiled, outcome)
            # a branch no longer in service was struck or tripped, and a trip
            # is recorded: the handling never drops branches silently
            dropped = plain.branch_in_service & ~outcome.branch_in_service
            tripped = {(t.element.kind, int(t.element.id)) for t in outcome.tripped}
            assert {
                (str(compiled.branch_kind[p]), int(compiled.branch_index[p]))
                for p in np.flatnonzero(dropped)
            } == tripped, where
            # a trip without a warning only where protection acts at once: every
            # overload in "trip", above the emergency rating in "operator"
            at_once = {"trip": 0.0, "operator": compiled.options.emergency_percent}.get(name)
            quiet = at_once is not None and all(
                t.loading_percent > at_once for t in outcome.tripped
            )
            if outcome.tripped and not quiet:
                assert any("trips instead" in w for w in outcome.warnings), where
    # the states must actually be overloaded, or the test proves nothing
    assert overloaded_states >= 20


@pytest.mark.parametrize("name", sorted(HANDLINGS))
def test_handling_falls_back_with_a_warning_or_trips_on_the_phase_shifter(name: str) -> None:
    # Hand: the loop flow of the 10 degree shift alone puts ~130 MW on the
    # 20 MW line whatever the load, so the line must go (tripped by protection,
    # or by the fallback of a handling that cannot relieve it otherwise); the
    # 5 MW load is then served over the transformer alone: the line carries 0
    # and the transformer all 5 MW (DC, 1e-6 MW).
    compiled = compiled_of(shifter_grid(), ratings="file")
    outcome = HANDLINGS[name].evaluate(compiled, compiled.base, compiled.load_p_mw, EngineCache())
    assert [str(t.element) for t in outcome.tripped] == ["line:0"]
    assert outcome.tripped[0].loading_percent > 100.0
    assert outcome.served_mw == pytest.approx(5.0, abs=LIMIT_TOL_MW)
    np.testing.assert_allclose(np.abs(outcome.branch_flow_mw), [0.0, 5.0], atol=LIMIT_TOL_MW)
    if name == "shed":  # the others trip it at once: 650 % is above any emergency rating
        assert any("trips instead" in w for w in outcome.warnings)


# --------------------------------------------------------------------------- AC backends

#: States per network: intact, lines out, substations out; in each network one
#: state leaves two energised islands, one fed by generators only (case9: line 3,
#: case30: line 15, case118: substations bus99 and bus93).
AC_STATES = {
    "case9": [[], [Element("line", 3)], [Element("substation", "bus5")]],
    "case30": [
        [],
        [Element("substation", "bus6")],
        [Element("line", 10), Element("line", 20)],
        [Element("line", 15)],
    ],
    "case118": [
        [],
        [Element("substation", "bus68")],
        [Element("substation", "bus99"), Element("substation", "bus93")],
    ],
}


@pytest.mark.parametrize("backend_name", sorted(BACKENDS))
@pytest.mark.parametrize("network_name", sorted(AC_STATES))
def test_ac_backend_equals_runpp(backend_name: str, network_name: str) -> None:
    if backend_name == "lightsim2grid":
        pytest.importorskip("lightsim2grid", reason="lightsim2grid is not installed")
    backend: AcBackend = BACKENDS[backend_name]
    tol = AC_TOL_MW[backend_name]  # a new backend must state its tolerance here
    grid = network(network_name)
    compiled = compiled_of(grid, mode="ac", ratings="file", ac_backend=backend_name)
    cache = EngineCache()
    islands = set()
    for out in AC_STATES[network_name]:
        state = compiled.state(out)
        dc = solve_plain(compiled, state, compiled.load_p_mw, cache)
        islands.add(dc.energized_islands)
        flow = backend.solve(compiled, state, dc, cache)
        assert flow is not None, out
        net = runpp_of_state(grid, compiled, out, dc)
        expected_mw, expected_mva = branch_results(compiled, net)
        label = f"{network_name} {[str(e) for e in out]}"
        np.testing.assert_allclose(flow.flow_mw, expected_mw, rtol=0, atol=tol, err_msg=label)
        np.testing.assert_allclose(flow.flow_mva, expected_mva, rtol=0, atol=tol, err_msg=label)
        # AC flows are not the DC ones (losses, reactive power): not vacuous
        assert np.max(np.abs(flow.flow_mw - dc.branch_flow_mw)) > 1.0, label
    assert max(islands) >= 2  # a state with several energised islands (several slacks)


@pytest.mark.parametrize("backend_name", sorted(BACKENDS))
@pytest.mark.parametrize("network_name", ["case9", "case30", "case118"])
def test_ac_backend_returns_none_when_the_flow_diverges(
    backend_name: str, network_name: str
) -> None:
    if backend_name == "lightsim2grid":
        pytest.importorskip("lightsim2grid", reason="lightsim2grid is not installed")
    # every load (P and Q) ten times the file's, external grids without a limit:
    # DC serves all of it, and no AC solution is found (runpp diverges too)
    base = network(network_name)
    net = copy.deepcopy(base.net)
    net.load[["p_mw", "q_mvar"]] *= 10.0
    net.ext_grid["max_p_mw"] = np.nan
    grid = dataclasses.replace(base, net=net)
    compiled = compiled_of(grid, mode="ac", ratings="file", ac_backend=backend_name)
    cache = EngineCache()
    dc = solve_plain(compiled, compiled.base, compiled.load_p_mw, cache)
    file_load = (base.net.load.p_mw * base.net.load.scaling).sum()
    assert dc.served_mw == pytest.approx(10.0 * file_load, rel=1e-9)
    with pytest.raises(pp.LoadflowNotConverged):
        runpp_of_state(grid, compiled, [], dc)
    backend = BACKENDS[backend_name]
    assert backend.solve(compiled, compiled.base, dc, cache) is None
    # after the failure, the same cache still answers a state that converges:
    # the file's own demand, as runpp gives it
    light = solve_plain(compiled, compiled.base, compiled.load_p_mw / 10.0, cache)
    flow = backend.solve(compiled, compiled.base, light, cache)
    assert flow is not None
    expected_mw, _ = branch_results(compiled, runpp_of_state(grid, compiled, [], light))
    tol = AC_TOL_MW[backend_name]
    np.testing.assert_allclose(flow.flow_mw, expected_mw, rtol=0, atol=tol)
