"""AC check of a grid state: pandapower Newton-Raphson per energised island.

The DC stage decides islands, energisation, load shedding and dispatch. The AC
check then runs pandapower's ``runpp`` on a copy of the net holding exactly
that state, with one slack per energised island (its external grid, or else
its largest generator). It reports AC branch loading, bus voltage violations
and convergence. A branch above the hard limit in AC trips as in DC (the
state is re-solved, then checked in AC again).

With ``ac_backend="lightsim2grid"`` the flow runs on a lightsim2grid model
built once per grid and changed per state (:mod:`gridmodel.engine.ac.lightsim`), island by
island, the main island on an instance whose admittance pattern never changes
(:mod:`gridmodel.engine.ac.lightsim_fixed`); what that model cannot represent (bus-bus
switches, three-winding transformers, storage, several external grids in one
island, ...) falls back to ``runpp`` here.

A flow that does not converge is never a crash and never NaN: the DC answer
is returned with ``converged=False`` and a warning naming the islands.
"""

from __future__ import annotations

import copy
import dataclasses
import warnings
from typing import Any

import numpy as np

from gridmodel.engine.compiled import CompiledGrid, State
from gridmodel.engine.dc import Outcome, Trip, reference_buses, solve_state, topology
from gridmodel.errors import interrupted
from gridmodel.network.grid import Element

#: Bus voltages outside this band (per unit) are reported.
VOLTAGE_BAND_PU = (0.90, 1.10)

#: Newton-Raphson iteration limit: pandapower's own default. Newton-Raphson
#: converges quadratically once near the solution; over 1,000 random strikes with
#: their trip cascades on each of case118, case300, case1354pegase and
#: ua-oblasts, no island flow that converged took more than 9 iterations, from
#: a flat or a DC start (and none of those that failed within 30 converged
#: later), so a higher limit only makes a diverging state slower.
MAX_ITERATIONS = 10


def ac_check(
    compiled: CompiledGrid,
    state: State,
    outcome: Outcome,
    *,
    demand_mw: np.ndarray | None = None,
) -> Outcome:
    """Check ``outcome`` (a DC evaluation of ``state``) with an AC power flow.

    Returns the outcome with AC flows and loading (MVA over rating), the AC
    trips added to its cascade, ``mode="ac"`` and warnings; on
    non-convergence the DC outcome with ``converged=False``.
    """
    limit = compiled.options.overload_limit_percent
    trip = compiled.options.overload == "trip"
    trips = list(outcome.tripped)
    step = max((t.step for t in trips), default=0)
    current = outcome
    for _ in range(compiled.n_branch + 1):
        solved = _run_ac(compiled, state, current)
        if solved is None:
            return dataclasses.replace(
                current,
                mode="ac",
                converged=False,
                tripped=tuple(trips),
                warnings=(
                    *current.warnings,
                    "AC power flow did not converge; DC results reported",
                ),
            )
        flow_mw, loading, notes = solved
        over = current.branch_in_service & (loading > limit * (1 + 1e-9))
        if not (trip and over.any()):
            return dataclasses.replace(
                current,
                mode="ac",
                branch_flow_mw=flow_mw,
                branch_loading_percent=loading,
                tripped=tuple(trips),
                warnings=(*current.warnings, *notes),
            )
        step += 1
        trips += [
            Trip(
                Element(str(compiled.branch_kind[p]), int(compiled.branch_index[p])),
                step,
                float(loading[p]),
            )
            for p in np.flatnonzero(over)
        ]
        reduced = dataclasses.replace(state, branch=current.branch_in_service & ~over)
        current = solve_state(compiled, reduced, demand_mw=demand_mw, trip=False)
    return current  # pragma: no cover - every pass trips at least one branch


def ac_branch_mva(compiled: CompiledGrid, state: State, outcome: Outcome) -> np.ndarray | None:
    """Apparent power (MVA, from end) of every branch in the AC flow of ``outcome``'s
    state; None if the flow does not converge."""
    solved = _solve_ac(compiled, state, outcome)
    return None if solved is None else solved[1]


def _run_ac(
    compiled: CompiledGrid, state: State, outcome: Outcome
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]] | None:
    """Run pandapower's AC flow on the state of ``outcome``; None if it fails.

    Returns active flow (MW), loading (percent of the rating, from the MVA
    flow) and notes on voltages.
    """
    solved = _solve_ac(compiled, state, outcome)
    if solved is None:
        return None
    flow, mva, notes = solved
    with np.errstate(divide="ignore", invalid="ignore"):
        loading = np.where(
            np.isfinite(compiled.branch_rating_mw), mva / compiled.branch_rating_mw * 100.0, 0.0
        )
    return flow, loading, notes


def _solve_ac(
    compiled: CompiledGrid, state: State, outcome: Outcome
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]] | None:
    """Active flow (MW), apparent flow (MVA) and voltage notes; None if it fails."""
    if compiled.options.ac_backend == "lightsim2grid":
        from gridmodel.engine.ac.lightsim import Unsupported, solve_ac_fast

        try:
            fast = solve_ac_fast(compiled, state, outcome)
        except Unsupported:  # not representable there: pandapower's runpp below
            pass
        else:
            if fast is None:
                return None
            flow, mva, vm = fast
            return flow, mva, _voltage_notes(compiled.grid.net.bus.index, vm)
    net = _state_net(compiled, state, outcome)
    kwargs: dict[str, Any] = {
        "init": "dc",
        "max_iteration": MAX_ITERATIONS,
        "calculate_voltage_angles": True,
    }
    if compiled.options.ac_backend == "lightsim2grid":
        slack_gen = net.gen["slack"].astype(bool) & net.gen["in_service"].astype(bool)
        n_slack = int(net.ext_grid["in_service"].astype(bool).sum()) + int(slack_gen.sum())
        # pandapower hands lightsim2grid a single slack only (several slacks
        # need a distributed slack, which it refuses across islands): a state
        # with several energised islands is solved by pandapower's own
        # Newton-Raphson, in one pass for all islands
        kwargs["lightsim2grid"] = n_slack <= 1
    solved = _run_pf(net, kwargs)
    if not solved:
        return None
    flow = np.zeros(compiled.n_branch)
    mva = np.zeros(compiled.n_branch)
    for kind, p_col, q_col in (
        ("line", "p_from_mw", "q_from_mvar"),
        ("trafo", "p_hv_mw", "q_hv_mvar"),
    ):
        sel = compiled.branch_kind == kind
        if not sel.any():
            continue
        res = getattr(net, f"res_{kind}").reindex(compiled.branch_index[sel])
        p = res[p_col].to_numpy(dtype=float)
        q = res[q_col].to_numpy(dtype=float)
        flow[sel] = np.nan_to_num(p)
        mva[sel] = np.nan_to_num(np.hypot(p, q))
    flow = np.where(outcome.branch_in_service, flow, 0.0)
    mva = np.where(outcome.branch_in_service, mva, 0.0)
    vm = net.res_bus["vm_pu"].reindex(net.bus.index).to_numpy(dtype=float)
    return flow, mva, _voltage_notes(net.bus.index, vm)


def _voltage_notes(buses: Any, vm: np.ndarray) -> tuple[str, ...]:
    """A note on the buses (pandapower indices ``buses``, voltages ``vm`` in pu,
    NaN when dead) outside :data:`VOLTAGE_BAND_PU`, naming the worst."""
    lo, hi = VOLTAGE_BAND_PU
    bad = np.isfinite(vm) & ((vm < lo) | (vm > hi))
    if not bad.any():
        return ()
    worst = int(np.flatnonzero(bad)[np.argmax(np.abs(vm[bad] - 1.0))])
    return (
        f"{int(bad.sum())} buses outside {lo:.2f}-{hi:.2f} pu "
        f"(worst: bus {int(buses[worst])} at {float(vm[worst]):.3f} pu)",
    )


def _run_pf(net: Any, kwargs: dict[str, Any]) -> bool:
    """Run ``runpp`` in place; False if it fails or does not converge."""
    import pandapower as pp

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pp.runpp(net, **kwargs)
    except Exception as exc:  # LoadflowNotConverged and numerical failures alike
        if interrupted(exc):
            raise
        return False
    return bool(net.converged)


def _state_net(compiled: CompiledGrid, state: State, outcome: Outcome) -> Any:
    """A pandapower copy of the net set to the evaluated state and dispatch."""
    net = copy.deepcopy(compiled.grid.net)
    topo = topology(compiled, state, outcome.branch_in_service)
    energized_pp = [b for pos in np.flatnonzero(topo.bus_energized) for b in compiled.bus_pp[pos]]
    net.bus["in_service"] = net.bus.index.isin(energized_pp)
    for kind in ("line", "trafo"):
        sel = compiled.branch_kind == kind
        if sel.any():
            table = getattr(net, kind)
            table.loc[compiled.branch_index[sel], "in_service"] = outcome.branch_in_service[sel]
    if len(net.switch):
        branch_switch = net.switch["et"].isin(["l", "t"])
        net.switch.loc[branch_switch, "closed"] = True
    # loads at their served power, reactive power in proportion
    load = net.load.loc[compiled.load_index]
    scaling = load["scaling"].to_numpy(dtype=float) if "scaling" in load else 1.0
    p_file = load["p_mw"].to_numpy(dtype=float) * scaling
    q_file = load["q_mvar"].to_numpy(dtype=float) * scaling
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(p_file != 0, outcome.load_served_mw / p_file, 0.0)
    net.load.loc[compiled.load_index, "p_mw"] = outcome.load_served_mw
    net.load.loc[compiled.load_index, "q_mvar"] = q_file * ratio
    net.load.loc[compiled.load_index, "scaling"] = 1.0
    net.load.loc[compiled.load_index, "in_service"] = ~outcome.load_dark
    # sources at the dispatch; one slack per energised island
    refs = set(int(b) for b in reference_buses(compiled, topo))
    for kind in ("ext_grid", "gen", "sgen"):
        sel = compiled.unit_kind == kind
        if not sel.any():
            continue
        idx = compiled.unit_index[sel]
        table = getattr(net, kind)
        table.loc[idx, "in_service"] = topo.unit_ok[sel]
        if kind in ("gen", "sgen"):
            table.loc[idx, "p_mw"] = outcome.unit_p_mw[sel]
            if "scaling" in table:
                table.loc[idx, "scaling"] = 1.0
    if len(net.gen):
        net.gen["slack"] = False
    eg_buses = {
        int(compiled.unit_bus[u])
        for u in np.flatnonzero(topo.unit_ok & (compiled.unit_kind == "ext_grid"))
    }
    for u in np.flatnonzero(topo.unit_ok & (compiled.unit_kind == "gen")):
        bus = int(compiled.unit_bus[u])
        island = topo.labels[bus]
        has_ext_grid = any(topo.labels[b] == island for b in eg_buses)
        if bus in refs and not has_ext_grid:
            net.gen.at[int(compiled.unit_index[u]), "slack"] = True
            refs.discard(bus)
    return net
