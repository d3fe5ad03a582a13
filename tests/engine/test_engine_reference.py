"""The fast path equals pandapower on the same states (issue 3 "Tests", issue 7 part 1).

For each network, random strike states (1-3 random substations and 0-2 random
lines out, fixed seeds) are evaluated by gridmodel's array engine and, on an
independently built pandapower copy of the same state, by pandapower:

(a) energised / dark buses: pandapower's topology functions
    (``create_nxgraph`` + ``connected_components``); an island is energised
    iff it holds an in-service ``ext_grid`` or ``gen``.
(b) DC flows: ``rundcpp`` on the same islands, with loads at the engine's
    served MW, sources at the engine's dispatch and, in every energised island
    without an external grid, the engine's reference generator as slack.
    Line ``p_from_mw`` / trafo ``p_hv_mw`` equal ``Outcome.branch_flow_mw``
    within 1e-6 MW.
(c) unserved MW: in states where no island is short of generation, the
    engine's unserved MW equals the load on the buses that ``rundcpp`` of
    (b) leaves unsupplied (NaN results; buses outside pandapower's energised
    islands are out of service there), within 1e-6 MW.

The pandapower side never uses the engine's masks: struck elements are taken
out of service from the element lists, and tripped branches from
``Outcome.tripped``. Only the dispatch and served load (which pandapower does
not decide) and the reference generator come from the engine.
"""

from __future__ import annotations

import copy
import functools
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandapower as pp
import pandapower.topology as top
import pytest

from gridmodel.engine import (
    CompiledGrid,
    EngineCache,
    EngineOptions,
    Outcome,
    State,
    compile_grid,
    evaluate,
)
from gridmodel.engine.dc import reference_buses
from gridmodel.engine.islands import topology
from gridmodel.engine.overload import TripCascade, solve_plain
from gridmodel.network.catalog import load_network
from gridmodel.network.grid import Element, Grid

#: Tolerance of flows and unserved MW against pandapower (issue 7: 1e-6 MW).
TOL_MW = 1e-6

#: States per network (issue 7: at least 200).
N_STATES = 200


@dataclass(frozen=True)
class Case:
    grid: Grid
    compiled: CompiledGrid
    cache: EngineCache


@functools.cache
def _case(name: str) -> Case:
    grid = load_network(name)
    return Case(grid, compile_grid(grid), EngineCache())


def solve(case: Case, state: State, *, trip: bool) -> Outcome:
    """The DC outcome of ``state`` at the file's demand: with the trip cascade, or
    with overloads left as they are."""
    demand = case.compiled.load_p_mw
    if trip:
        return TripCascade().evaluate(case.compiled, state, demand, case.cache)
    return solve_plain(case.compiled, state, demand, case.cache)


def random_strikes(grid: Grid, rng: np.random.Generator) -> list[Element]:
    """1-3 random substations and 0-2 random lines."""
    subs = list(grid.substations.index)
    lines = list(grid.net.line.index)
    k = int(rng.integers(1, 4))
    out = [Element("substation", str(s)) for s in rng.choice(subs, size=k, replace=False)]
    n_lines = int(rng.integers(0, 3))
    out += [Element("line", int(i)) for i in rng.choice(lines, size=n_lines, replace=False)]
    return out


def state_net(grid: Grid, out: list[Element]) -> Any:
    """A pandapower copy with the struck elements out of service (DESIGN.md rule:
    a substation takes its buses and everything attached to them)."""
    net = copy.deepcopy(grid.net)
    buses: set[int] = set()
    for e in out:
        if e.kind == "substation":
            buses |= set(grid.buses_of(str(e.id)))
        elif e.kind == "bus":
            buses.add(int(e.id))
        else:
            getattr(net, e.kind).loc[int(e.id), "in_service"] = False
    dead = list(buses)
    net.bus.loc[dead, "in_service"] = False
    net.line.loc[net.line.from_bus.isin(dead) | net.line.to_bus.isin(dead), "in_service"] = False
    net.trafo.loc[net.trafo.hv_bus.isin(dead) | net.trafo.lv_bus.isin(dead), "in_service"] = False
    for table in ("gen", "sgen", "ext_grid", "load", "shunt"):
        df = getattr(net, table)
        df.loc[df.bus.isin(dead), "in_service"] = False
    return net


def pandapower_islands(net: Any) -> list[set[int]]:
    """In-service bus sets of the connected components (pandapower topology)."""
    graph = top.create_nxgraph(net, respect_switches=True)
    live = set(int(b) for b in net.bus.index[net.bus.in_service])
    islands = [{int(b) for b in comp} & live for comp in top.connected_components(graph)]
    return [i for i in islands if i]


def pandapower_energised(net: Any, islands: list[set[int]]) -> set[int]:
    """Buses in islands with an in-service ext_grid or gen."""
    sources = set(int(b) for b in net.ext_grid.bus[net.ext_grid.in_service]) | set(
        int(b) for b in net.gen.bus[net.gen.in_service]
    )
    return {b for island in islands if island & sources for b in island}


def engine_energised(compiled: CompiledGrid, outcome: Outcome) -> set[int]:
    return {b for b, pos in compiled.bus_lookup.items() if outcome.bus_energized[pos]}


def _quiet_run(run: Any, net: Any, **kwargs: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run(net, **kwargs)


def dispatched_net(
    case: Case, state: State, outcome: Outcome, net: Any, energised: set[int]
) -> Any:
    """``net`` (the struck pandapower copy, changed in place) set to the engine's
    served load and dispatch, with the buses outside ``energised`` out of service."""
    compiled = case.compiled
    net.bus["in_service"] = net.bus.index.isin(list(energised))
    net.load.loc[compiled.load_index, "p_mw"] = outcome.load_served_mw
    net.load["scaling"] = 1.0
    for kind in ("gen", "sgen"):
        sel = compiled.unit_kind == kind
        table = getattr(net, kind)
        if sel.any():
            table.loc[compiled.unit_index[sel], "p_mw"] = outcome.unit_p_mw[sel]
            table["scaling"] = 1.0
    net.gen["slack"] = False
    topo = topology(compiled, state, outcome.branch_in_service, case.cache)
    refs = set(int(r) for r in reference_buses(compiled, topo))
    eg_islands = {
        int(topo.labels[compiled.bus_lookup[int(b)]])
        for b in net.ext_grid.bus[net.ext_grid.in_service & net.ext_grid.bus.isin(list(energised))]
    }
    for g in net.gen.index[net.gen.in_service & net.gen.bus.isin(list(energised))]:
        pos = compiled.bus_lookup[int(net.gen.at[g, "bus"])]
        if pos in refs and int(topo.labels[pos]) not in eg_islands:
            net.gen.at[g, "slack"] = True
            refs.discard(pos)
    return net


def pandapower_flows(compiled: CompiledGrid, net: Any) -> tuple[np.ndarray, np.ndarray]:
    """Branch flows of a solved net in the compiled branch order, and a solved mask."""
    flow = np.zeros(compiled.n_branch)
    for kind, col in (("line", "p_from_mw"), ("trafo", "p_hv_mw")):
        sel = compiled.branch_kind == kind
        if sel.any():
            flow[sel] = getattr(net, f"res_{kind}")[col].reindex(compiled.branch_index[sel])
    return np.nan_to_num(flow), np.isfinite(flow)


def pandapower_unserved(demand: Any, solved: Any) -> float:
    """Demand (``load_mw`` and ``load_bus`` per load of the struck net, before
    dispatch) out of service or on buses left unsupplied (NaN voltage angle) by
    the ``rundcpp`` of ``solved``."""
    nan = solved.res_bus.va_degree.reindex(demand.bus).isna().to_numpy()
    return float(demand.p_mw[nan | ~demand.in_service.to_numpy()].sum())


def island_short(net: Any, islands: list[set[int]], energised: set[int]) -> bool:
    """True if some energised island holds more load than its sources can give.

    Capacity: ext_grids' ``max_p_mw`` (unlimited if not set), gens'
    ``max(max_p_mw, p_mw)`` and sgens' set points; demand: loads plus shunt
    conductance (at 1 pu, as in the DC model).
    """
    for island in islands:
        buses = list(island & energised)
        if not buses:
            continue
        eg = net.ext_grid[net.ext_grid.in_service & net.ext_grid.bus.isin(buses)]
        gen = net.gen[net.gen.in_service & net.gen.bus.isin(buses)]
        sgen = net.sgen[net.sgen.in_service & net.sgen.bus.isin(buses)]
        load = net.load[net.load.in_service & net.load.bus.isin(buses)]
        shunt = net.shunt[net.shunt.in_service & net.shunt.bus.isin(buses)]
        eg_cap = eg.max_p_mw if "max_p_mw" in eg else np.full(len(eg), np.nan)
        eg_cap = np.where(np.isfinite(eg_cap) & (eg_cap > 0), eg_cap, np.inf)
        cap = (
            eg_cap.sum() + np.maximum(gen.max_p_mw.fillna(np.inf), gen.p_mw).sum() + sgen.p_mw.sum()
        )
        need = (load.p_mw * load.scaling).sum() + (shunt.p_mw * shunt.step).sum()
        if need > cap - 1e-6:
            return True
    return False


def compare_state(case: Case, out: list[Element], *, trip: bool) -> dict[str, Any]:
    """Evaluate one state both ways; return the differences."""
    grid, compiled = case.grid, case.compiled
    state = compiled.state(out)
    outcome = solve(case, state, trip=trip)
    tripped = [t.element for t in outcome.tripped]
    net = state_net(grid, out + tripped)
    islands = pandapower_islands(net)
    energised = pandapower_energised(net, islands)
    result: dict[str, Any] = {
        "energised_equal": energised == engine_energised(compiled, outcome),
        "trips": len(tripped),
        "short": island_short(net, islands, energised),
    }
    demand = net.load[["bus", "in_service"]].assign(p_mw=net.load.p_mw * net.load.scaling)
    solved = dispatched_net(case, state, outcome, net, energised)
    _quiet_run(pp.rundcpp, solved)
    flow, ok = pandapower_flows(compiled, solved)
    live = outcome.branch_in_service & outcome.bus_energized[compiled.branch_from]
    va = solved.res_bus.va_degree.reindex(list(energised)).to_numpy(dtype=float)
    result["flows_solved"] = bool(np.all(ok[live]) and np.isfinite(va).all())
    result["flow_err"] = float(np.max(np.abs(flow - outcome.branch_flow_mw)[live], initial=0.0))
    result["dead_flow"] = float(np.max(np.abs(outcome.branch_flow_mw[~live]), initial=0.0))
    if not result["short"]:
        result["unserved_err"] = abs(pandapower_unserved(demand, solved) - outcome.unserved_mw)
        result["shed_mw"] = outcome.shed_mw
    return result


def check_network(name: str, *, seed: int, trip: bool) -> None:
    case = _case(name)
    rng = np.random.default_rng(seed)
    compared = 0
    for n in range(N_STATES):
        out = random_strikes(case.grid, rng)
        r = compare_state(case, out, trip=trip)
        label = f"{name} state {n}: {[str(e) for e in out]}"
        assert r["energised_equal"], f"{label}: energised buses differ from pandapower topology"
        assert r["flows_solved"], f"{label}: pandapower left an energised branch unsolved"
        assert r["flow_err"] <= TOL_MW, f"{label}: flow differs by {r['flow_err']} MW"
        assert r["dead_flow"] == 0.0, f"{label}: flow on a dead branch"
        if not r["short"]:
            compared += 1
            assert r["unserved_err"] <= TOL_MW, f"{label}: unserved off by {r['unserved_err']}"
            # enough supply everywhere: nothing is shed, only dark load is unserved
            assert r["shed_mw"] <= TOL_MW, f"{label}: {r['shed_mw']} MW shed without shortfall"
    # the unserved comparison must cover most states, or it proves little
    assert compared >= N_STATES // 2, f"{name}: only {compared} states without shortfall"


@pytest.mark.slow
@pytest.mark.parametrize(("name", "seed"), [("case30", 30), ("case118", 118)])
def test_small_cases_equal_pandapower_with_trip_cascade(name: str, seed: int) -> None:
    check_network(name, seed=seed, trip=True)


@pytest.mark.slow
def test_case300_equals_pandapower_with_trip_cascade() -> None:
    check_network("case300", seed=300, trip=True)


@pytest.mark.slow
def test_case1354pegase_equals_pandapower() -> None:
    # no cascade here: with raise-base ratings, dozens of pegase branches sit at
    # exactly 100 % in the base case and almost every strike cascades, which
    # makes 200 states slow without testing anything the smaller cases miss
    check_network("case1354pegase", seed=1354, trip=False)


def test_cascade_states_are_covered() -> None:
    """The trip-cascade comparison must include states that actually tripped."""
    case = _case("case30")
    rng = np.random.default_rng(30)
    trips = sum(
        len(solve(case, case.compiled.state(random_strikes(case.grid, rng)), trip=True).tripped) > 0
        for _ in range(60)
    )
    assert trips >= 5


def test_intact_case118_reproduces_rundcpp() -> None:
    """No strike: the engine's flows are pandapower's rundcpp of the file (1e-6 MW)."""
    case = _case("case118")
    [outcome] = evaluate(case.compiled, [case.compiled.base])
    net = copy.deepcopy(case.grid.net)
    _quiet_run(pp.rundcpp, net)
    flow, ok = pandapower_flows(case.compiled, net)
    assert ok.all()
    np.testing.assert_allclose(outcome.branch_flow_mw, flow, rtol=0, atol=TOL_MW)
    assert outcome.unserved_mw == 0.0
    assert outcome.tripped == ()


def test_ratings_file_options_give_same_flows() -> None:
    """Ratings only change limits, never the flows of a state without trips."""
    case = _case("case118")
    compiled = compile_grid(case.grid, options=EngineOptions(ratings="file"))
    out = [Element("substation", "bus68")]
    a = solve_plain(compiled, compiled.state(out), compiled.load_p_mw, EngineCache())
    b = solve(case, case.compiled.state(out), trip=False)
    np.testing.assert_allclose(a.branch_flow_mw, b.branch_flow_mw, rtol=0, atol=TOL_MW)
