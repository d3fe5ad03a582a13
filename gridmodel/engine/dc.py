"""One DC evaluation of a grid state: islands, supply balance and DC power flow.

Modelling rules (DESIGN.md):

1. Islands are the connected components of in-service buses joined by
   in-service branches (:mod:`gridmodel.engine.islands`).
2. An island is energised only if it holds an in-service grid-forming source
   (``ext_grid`` or ``gen``). Static generators (``sgen``) deliver power only
   inside an energised island. All load in a dark island is unserved.
3. In an energised island, supply is limited by the sources' maximum output.
   If demand exceeds it, load is shed, lowest priority class first (other
   industry, then households, essential goods, defence, and critical load
   last), in proportion within a class (:mod:`gridmodel.engine.supply`).
4. Otherwise the mismatch to the base dispatch is shared by the grid-forming
   sources in proportion to their headroom (up) or output (down): a
   distributed slack. In the intact grid this reproduces the file's dispatch.
5. DC power flow per energised island, the island's largest source as the
   angle reference.

What happens to overloaded branches is the business of
:mod:`gridmodel.engine.overload`.
"""

from __future__ import annotations

import numpy as np

from gridmodel.engine.cache import EngineCache
from gridmodel.engine.compiled import CompiledGrid, State
from gridmodel.engine.islands import Topology, topology
from gridmodel.engine.lowrank import ReferenceFactor
from gridmodel.engine.outcome import Outcome
from gridmodel.engine.supply import balance
from gridmodel.engine.susceptance import reference_factor, solve_grounded


def dc_stage(
    compiled: CompiledGrid,
    state: State,
    branch_ok: np.ndarray,
    demand: np.ndarray,
    reference: ReferenceFactor | None,
    cache: EngineCache,
) -> tuple[Outcome, ReferenceFactor | None]:
    """Islands, supply balance and DC flow of ``state`` with the branches ``branch_ok``.

    Returns the outcome and the factorisation a state close to this one should
    be solved from (``reference``, or this state's own).
    """
    topo = topology(compiled, state, branch_ok, cache)
    served, unit_p, load_dark = balance(compiled, topo, state, demand)
    flow, reference = _dc_solve(compiled, topo, branch_ok, served, unit_p, reference, cache)
    outcome = make_outcome(compiled, topo, branch_ok, demand, served, unit_p, load_dark, flow)
    return outcome, reference


def branches_in_service(compiled: CompiledGrid, state: State) -> np.ndarray:
    """Branches in service with both ends on live buses."""
    return state.branch & state.bus[compiled.branch_from] & state.bus[compiled.branch_to]


def make_outcome(
    compiled: CompiledGrid,
    topo: Topology,
    branch_ok: np.ndarray,
    demand: np.ndarray,
    served: np.ndarray,
    unit_p: np.ndarray,
    load_dark: np.ndarray,
    flow: np.ndarray,
) -> Outcome:
    """The outcome of served load, dispatch and flows (loading from the ratings)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        loading = np.where(
            np.isfinite(compiled.branch_rating_mw),
            np.abs(flow) / compiled.branch_rating_mw * 100.0,
            0.0,
        )
    return Outcome(
        load_demand_mw=demand,
        load_served_mw=served,
        load_dark=load_dark,
        bus_energized=topo.bus_energized,
        bus_island=topo.labels,
        unit_p_mw=unit_p,
        branch_flow_mw=flow,
        branch_loading_percent=loading,
        branch_in_service=branch_ok,
        tripped=(),
        islands=topo.n_islands,
        energized_islands=int(topo.energized_island.sum()),
    )


def bus_injections_mw(
    compiled: CompiledGrid, topo: Topology, served: np.ndarray, unit_p: np.ndarray
) -> np.ndarray:
    """Net active injection per internal bus (generation - load - fixed), MW."""
    n = compiled.n_bus
    p = np.bincount(
        compiled.unit_bus, weights=np.where(topo.unit_ok, unit_p, 0.0), minlength=n
    ) - np.bincount(compiled.load_bus, weights=served, minlength=n)
    p = p - np.where(topo.bus_energized, compiled.bus_fixed_mw, 0.0)  # float if no unit/load
    return np.where(topo.bus_energized, p, 0.0)


def reference_buses(compiled: CompiledGrid, topo: Topology) -> np.ndarray:
    """Angle reference of each energised island: the bus of its largest source.

    External grids rank first, then generators by maximum output (ties by
    unit position).
    """
    ranked = compiled.unit_rank
    units = ranked[(topo.unit_ok & compiled.unit_forming)[ranked]]
    isl = topo.labels[compiled.unit_bus[units]]
    _, first = np.unique(isl, return_index=True)
    return compiled.unit_bus[units[first]]


def dc_flows(
    compiled: CompiledGrid,
    topo: Topology,
    branch_ok: np.ndarray,
    served: np.ndarray,
    unit_p: np.ndarray,
    cache: EngineCache,
) -> np.ndarray:
    """DC branch flows (MW, from-end) for the given injections.

    Solves :math:`B\\,\\theta = P - P_{bus,inj}` with each energised island's
    reference angle fixed at zero and :math:`P_f = b(\\theta_f - \\theta_t) +
    P_{f,inj}` (pandapower ``dcpf`` conventions). Dark islands and dead buses
    carry no flow.
    """
    reference = compiled.base_factor
    return _dc_solve(compiled, topo, branch_ok, served, unit_p, reference, cache)[0]


def _dc_solve(
    compiled: CompiledGrid,
    topo: Topology,
    branch_ok: np.ndarray,
    served: np.ndarray,
    unit_p: np.ndarray,
    reference: ReferenceFactor | None,
    cache: EngineCache,
) -> tuple[np.ndarray, ReferenceFactor | None]:
    """:func:`dc_flows` from a reference matrix; also returns the next reference."""
    live = energized_branches(compiled, topo, branch_ok)
    p_pu = bus_injections_mw(compiled, topo, served, unit_p) / compiled.base_mva
    b = np.where(live, compiled.branch_b_pu, 0.0)
    pf_inj = -b * compiled.branch_shift_rad
    n = compiled.n_bus
    if n == 0:
        return np.zeros(compiled.n_branch), reference
    p_bus_inj = np.bincount(compiled.branch_from, weights=pf_inj, minlength=n) - np.bincount(
        compiled.branch_to, weights=pf_inj, minlength=n
    )
    rhs = p_pu - p_bus_inj  # both terms are zero outside energised islands
    grounded, refs = grounding(compiled, topo)
    # each reference takes minus the rest of its island: its angle is then zero
    labels = topo.labels
    energized = topo.bus_energized
    total = np.bincount(labels[energized], weights=rhs[energized], minlength=topo.n_islands)
    rhs[refs] -= total[labels[refs]]
    theta, reference = solve_grounded(
        compiled, live, grounded, rhs, reference=reference, cache=cache
    )
    flow_pu = b * (theta[compiled.branch_from] - theta[compiled.branch_to]) + pf_inj
    return np.where(live, flow_pu * compiled.base_mva, 0.0), reference


def grounding(compiled: CompiledGrid, topo: Topology) -> tuple[np.ndarray, np.ndarray]:
    """Grounded buses of a state's DC matrix, and the energised islands' references.

    Every bus outside an energised island (its branches are left out of the
    matrix, so its row is the identity) and each energised island's reference
    are grounded.
    """
    grounded = ~topo.bus_energized
    refs = reference_buses(compiled, topo)
    grounded[refs] = True
    return grounded, refs


def base_factor(compiled: CompiledGrid) -> ReferenceFactor | None:
    """Factorisation of the base state's DC matrix (None if it needs pivoting)."""
    branch_ok = branches_in_service(compiled, compiled.base)
    topo = topology(compiled, compiled.base, branch_ok, EngineCache())
    grounded, _ = grounding(compiled, topo)
    live = energized_branches(compiled, topo, branch_ok)
    return reference_factor(compiled, live, grounded)


def energized_branches(compiled: CompiledGrid, topo: Topology, branch_ok: np.ndarray) -> np.ndarray:
    """Branches in service inside an energised island (both ends live and joined)."""
    return branch_ok & topo.bus_energized[compiled.branch_from]
