"""Evaluate a grid state: islands, supply balance, DC power flow, cascades.

The fast path of gridmodel. One call of :func:`evaluate` takes a compiled grid
and a :class:`~gridmodel.engine.compiled.State` and returns an :class:`Outcome`
without calling pandapower (except in AC mode, see :mod:`gridmodel.engine.ac.check`).

Modelling rules (DESIGN.md):

1. Islands are the connected components of in-service buses joined by
   in-service branches (:mod:`gridmodel.engine.islands`).
2. An island is energised only if it holds an in-service grid-forming source
   (``ext_grid`` or ``gen``). Static generators (``sgen``) deliver power only
   inside an energised island. All load in a dark island is unserved.
3. In an energised island, supply is limited by the sources' maximum output.
   If demand exceeds it, load is shed, lowest priority class first
   (households, then essential goods, defence, and critical load last), in
   proportion within a class.
4. Otherwise the mismatch to the base dispatch is shared by the grid-forming
   sources in proportion to their headroom (up) or output (down): a
   distributed slack. In the intact grid this reproduces the file's dispatch.
5. DC power flow per energised island, the island's largest source as the
   angle reference.
6. Overloads (loading above the hard limit) trip at once and the state is
   re-solved until nothing trips (``overload="trip"``), or the operator sheds
   the least priority-weighted load that removes them (``overload="shed"``,
   :mod:`gridmodel.engine.shedding`).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from gridmodel.engine.compiled import CompiledGrid, State
from gridmodel.network.grid import Element
from gridmodel.engine.islands import Topology, topology
from gridmodel.engine.lowrank import ReferenceFactor
from gridmodel.engine.supply import balance
from gridmodel.engine.susceptance import reference_factor, solve_grounded


@dataclass(frozen=True)
class Trip:
    """A branch tripped by overload protection at cascade step ``step`` (1 = first)."""

    element: Element
    step: int
    loading_percent: float


@dataclass(frozen=True, eq=False)
class Outcome:
    """The result of evaluating one grid state.

    Arrays are in the compiled grid's index spaces (loads in
    ``compiled.load_index`` order, branches in ``compiled.branch_kind`` /
    ``branch_index`` order, buses internal).
    """

    load_demand_mw: np.ndarray
    load_served_mw: np.ndarray
    load_dark: np.ndarray
    bus_energized: np.ndarray
    unit_p_mw: np.ndarray
    branch_flow_mw: np.ndarray
    branch_loading_percent: np.ndarray
    branch_in_service: np.ndarray
    tripped: tuple[Trip, ...]
    islands: int
    energized_islands: int
    converged: bool = True
    mode: str = "dc"
    warnings: tuple[str, ...] = ()

    @property
    def load_mw(self) -> float:
        return float(self.load_demand_mw.sum())

    @property
    def served_mw(self) -> float:
        return float(self.load_served_mw.sum())

    @property
    def unserved_mw(self) -> float:
        return float((self.load_demand_mw - self.load_served_mw).sum())

    @property
    def dark_mw(self) -> float:
        """Demand of loads on de-energised buses (or struck loads)."""
        return float(self.load_demand_mw[self.load_dark].sum())

    @property
    def shed_mw(self) -> float:
        """Load shed in energised islands (supply shortfall or overloads)."""
        return self.unserved_mw - self.dark_mw


def evaluate(
    compiled: CompiledGrid, state: State, *, demand_mw: np.ndarray | None = None
) -> Outcome:
    """Evaluate ``state`` with the compiled grid's options.

    Parameters
    ----------
    compiled
        The compiled grid (its ``options`` choose DC/AC and trip/shed).
    state
        In-service masks (from :meth:`CompiledGrid.state`).
    demand_mw
        Demand per load in ``compiled.load_index`` order; default the net's
        ``p_mw * scaling``.

    Returns
    -------
    Outcome
    """
    options = compiled.options
    outcome = solve_state(compiled, state, demand_mw=demand_mw, trip=options.overload == "trip")
    if options.overload == "shed" and _overloaded(compiled, outcome).any():
        from gridmodel.engine.shedding import shed_overloads

        outcome = shed_overloads(compiled, state, outcome)
    if options.mode == "ac":
        from gridmodel.engine.ac.check import ac_check

        outcome = ac_check(compiled, state, outcome, demand_mw=demand_mw)
    return outcome


def solve_state(
    compiled: CompiledGrid,
    state: State,
    *,
    demand_mw: np.ndarray | None = None,
    trip: bool = True,
) -> Outcome:
    """DC evaluation of ``state``, with the trip cascade when ``trip`` is true."""
    demand = compiled.load_p_mw if demand_mw is None else np.asarray(demand_mw, dtype=float)
    branch_ok = state.branch & state.bus[compiled.branch_from] & state.bus[compiled.branch_to]
    limit = compiled.options.overload_limit_percent
    trips: list[Trip] = []
    step = 0
    reference = _reference(compiled)  # each cascade step builds on the last
    while True:
        result, reference = _dc_stage(compiled, state, branch_ok, demand, reference)
        if not trip:
            break
        loading = result.branch_loading_percent
        over = branch_ok & (loading > limit * (1 + 1e-9))
        if not over.any():
            break
        step += 1
        for pos in np.flatnonzero(over):
            trips.append(
                Trip(
                    Element(str(compiled.branch_kind[pos]), int(compiled.branch_index[pos])),
                    step,
                    float(loading[pos]),
                )
            )
        branch_ok = branch_ok & ~over
    if trips:
        result = _with(result, tripped=tuple(trips))
    return result


def _overloaded(compiled: CompiledGrid, outcome: Outcome) -> np.ndarray:
    limit = compiled.options.overload_limit_percent
    return outcome.branch_in_service & (outcome.branch_loading_percent > limit * (1 + 1e-9))


def _with(outcome: Outcome, **changes: object) -> Outcome:
    import dataclasses

    return dataclasses.replace(outcome, **changes)  # type: ignore[arg-type]


def _dc_stage(
    compiled: CompiledGrid,
    state: State,
    branch_ok: np.ndarray,
    demand: np.ndarray,
    reference: ReferenceFactor | None,
) -> tuple[Outcome, ReferenceFactor | None]:
    topo = topology(compiled, state, branch_ok)
    served, unit_p, load_dark = balance(compiled, topo, state, demand)
    flow, reference = _dc_solve(compiled, topo, branch_ok, served, unit_p, reference)
    outcome = _outcome(compiled, topo, branch_ok, demand, served, unit_p, load_dark, flow)
    return outcome, reference


def _outcome(
    compiled: CompiledGrid,
    topo: Topology,
    branch_ok: np.ndarray,
    demand: np.ndarray,
    served: np.ndarray,
    unit_p: np.ndarray,
    load_dark: np.ndarray,
    flow: np.ndarray,
) -> Outcome:
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
    ranked = _unit_rank(compiled)
    units = ranked[(topo.unit_ok & compiled.unit_forming)[ranked]]
    isl = topo.labels[compiled.unit_bus[units]]
    _, first = np.unique(isl, return_index=True)
    return compiled.unit_bus[units[first]]


def _unit_rank(compiled: CompiledGrid) -> np.ndarray:
    """Units by decreasing rank as an angle reference (cached)."""
    hit = _RANK.get(compiled)
    if hit is None:
        units = np.arange(len(compiled.unit_kind))
        score = np.where(compiled.unit_kind == "ext_grid", np.inf, compiled.unit_pmax_mw)
        hit = units[np.lexsort((units, -score))]
        _RANK[compiled] = hit
    return hit


_RANK: weakref.WeakKeyDictionary[CompiledGrid, np.ndarray] = weakref.WeakKeyDictionary()


def dc_flows(
    compiled: CompiledGrid,
    topo: Topology,
    branch_ok: np.ndarray,
    served: np.ndarray,
    unit_p: np.ndarray,
) -> np.ndarray:
    """DC branch flows (MW, from-end) for the given injections.

    Solves :math:`B\\,\\theta = P - P_{bus,inj}` with each energised island's
    reference angle fixed at zero and :math:`P_f = b(\\theta_f - \\theta_t) +
    P_{f,inj}` (pandapower ``dcpf`` conventions). Dark islands and dead buses
    carry no flow.
    """
    return _dc_solve(compiled, topo, branch_ok, served, unit_p, _reference(compiled))[0]


def _dc_solve(
    compiled: CompiledGrid,
    topo: Topology,
    branch_ok: np.ndarray,
    served: np.ndarray,
    unit_p: np.ndarray,
    reference: ReferenceFactor | None,
) -> tuple[np.ndarray, ReferenceFactor | None]:
    """:func:`dc_flows` from a reference matrix; also returns the next reference."""
    live = _energized_branches(compiled, topo, branch_ok)
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
    theta, reference = solve_grounded(compiled, live, grounded, rhs, reference=reference)
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


def _reference(compiled: CompiledGrid) -> ReferenceFactor | None:
    """Factorisation of the base state's DC matrix (cached per grid)."""
    if compiled not in _REFERENCE:
        base = compiled.base
        branch_ok = base.branch & base.bus[compiled.branch_from] & base.bus[compiled.branch_to]
        topo = topology(compiled, base, branch_ok)
        grounded, _ = grounding(compiled, topo)
        live = _energized_branches(compiled, topo, branch_ok)
        _REFERENCE[compiled] = reference_factor(compiled, live, grounded)
    return _REFERENCE[compiled]


def _energized_branches(
    compiled: CompiledGrid, topo: Topology, branch_ok: np.ndarray
) -> np.ndarray:
    """Branches in service inside an energised island (both ends live and joined)."""
    return branch_ok & topo.bus_energized[compiled.branch_from]


_REFERENCE: weakref.WeakKeyDictionary[CompiledGrid, ReferenceFactor | None] = (
    weakref.WeakKeyDictionary()
)
