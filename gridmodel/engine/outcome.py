"""What evaluating a grid state gives: the :class:`Outcome`, and its invariants.

Every outcome the engine hands out has passed :func:`check_outcome`: served
load between 0 and its demand per load, nothing served on a dark load, the
dispatch within the units' limits, supply equal to demand in every energised
island, and finite flows. A violation is a bug in the engine, raised as an
:class:`~gridmodel.errors.InternalError`, never clamped away.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from gridmodel.engine.compiled import CompiledGrid
from gridmodel.errors import InternalError
from gridmodel.network.grid import Element

#: Absolute tolerance (MW) of the invariant checks, plus :data:`RELATIVE_TOL` of
#: the quantity checked (the shedding program is solved to 1e-7 MW per row).
ABSOLUTE_TOL_MW = 1e-6
#: Relative tolerance of the invariant checks.
RELATIVE_TOL = 1e-6


@dataclass(frozen=True)
class BranchTrip:
    """A branch tripped by overload protection at cascade step ``step`` (1 = first)."""

    element: Element
    step: int
    loading_percent: float


@dataclass(frozen=True, eq=False)
class Outcome:
    """The result of evaluating one grid state.

    Arrays are in the compiled grid's index spaces (loads in
    ``compiled.load_index`` order, branches in ``compiled.branch_kind`` /
    ``branch_index`` order, buses internal). ``bus_island`` numbers the
    islands 0, 1, ... (-1 on a dead bus). ``load_supplied_mw`` is what the
    supply balance alone serves (before the operator's overload relief);
    ``None`` when nothing was shed for overloads (then it is the served load).
    """

    load_demand_mw: np.ndarray
    load_served_mw: np.ndarray
    load_dark: np.ndarray
    bus_energized: np.ndarray
    bus_island: np.ndarray
    unit_p_mw: np.ndarray
    branch_flow_mw: np.ndarray
    branch_loading_percent: np.ndarray
    branch_in_service: np.ndarray
    tripped: tuple[BranchTrip, ...]
    islands: int
    energized_islands: int
    converged: bool = True
    mode: str = "dc"
    warnings: tuple[str, ...] = ()
    load_supplied_mw: np.ndarray | None = None

    @property
    def supplied_mw(self) -> np.ndarray:
        """Per load: what the supply balance serves before overload relief."""
        return self.load_served_mw if self.load_supplied_mw is None else self.load_supplied_mw

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


def check_outcome(compiled: CompiledGrid, outcome: Outcome, pmax: np.ndarray | None = None) -> None:
    """Raise :class:`~gridmodel.errors.InternalError` if ``outcome`` breaks an invariant.

    Checked (within :data:`ABSOLUTE_TOL_MW` plus :data:`RELATIVE_TOL` of the
    quantity): served load between 0 and its demand per load (a negative
    demand, generation modelled as a load, is served in ``[demand, 0]``) and
    zero on dark loads;
    unit output within ``[min(p0, 0), pmax]``; in every energised island,
    generation equal to served load plus fixed consumption; finite flows and
    non-negative loadings.
    """
    code, count, excess, where = _violation(
        outcome.load_demand_mw,
        outcome.load_served_mw,
        outcome.load_dark,
        compiled.load_bus,
        outcome.bus_island,
        outcome.bus_energized,
        compiled.bus_fixed_mw,
        outcome.unit_p_mw,
        compiled.unit_bus,
        compiled.unit_p0_mw,
        compiled.unit_pmax_mw if pmax is None else pmax,
        outcome.branch_flow_mw,
        outcome.branch_loading_percent,
        max(outcome.islands, 0),
        ABSOLUTE_TOL_MW,
        RELATIVE_TOL,
    )
    if code:
        what = _VIOLATIONS[code]
        if count:
            what += f" ({count} of them, worst by {excess:.6g} MW at {where})"
        raise InternalError(what)


#: What each code of :func:`_violation` means.
_VIOLATIONS = {
    1: "served load or unit output is not finite",
    2: "served above demand",
    3: "served below zero (or below a negative demand)",
    4: "served load on a dark load",
    5: "unit output above its maximum",
    6: "unit output below its minimum",
    7: "supply does not meet demand in an island",
    8: "a branch flow is not finite",
    9: "a branch loading is negative or not a number",
}


@njit(cache=True)
def _worse(state, code, excess, position):
    """Keep the first failing check's code, its count and its worst excess."""
    if state[0] == 0 or state[0] == code:
        state[0] = code
        state[1] += 1
        if excess > state[2]:
            state[2] = excess
            state[3] = position


@njit(cache=True)
def _violation(
    demand,
    served,
    dark,
    load_bus,
    labels,
    live,
    bus_fixed,
    unit_p,
    unit_bus,
    unit_p0,
    pmax,
    flow,
    loading,
    n_islands,
    abs_tol,
    rel_tol,
):
    """The first broken invariant: (code, count, worst excess MW, position); code 0 if none."""
    state = np.zeros(4)
    need = np.zeros(n_islands)
    scale = np.zeros(n_islands)
    for i in range(len(demand)):
        d, s = demand[i], served[i]
        tol = abs_tol + rel_tol * abs(d)
        if not np.isfinite(s):
            return 1, 0, 0.0, i
        if s - max(d, 0.0) > tol:
            _worse(state, 2, s - max(d, 0.0), i)
        if min(d, 0.0) - s > tol:
            _worse(state, 3, min(d, 0.0) - s, i)
        if dark[i]:
            if abs(s) > tol:
                _worse(state, 4, abs(s), i)
        else:
            isl = labels[load_bus[i]]
            need[isl] += s
            scale[isl] += abs(d)
    supply = np.zeros(n_islands)
    for u in range(len(unit_p)):
        if not live[unit_bus[u]]:
            continue
        p = unit_p[u]
        if not np.isfinite(p):
            return 1, 0, 0.0, u
        tol = abs_tol + rel_tol * abs(p)
        if p - pmax[u] > tol:
            _worse(state, 5, p - pmax[u], u)
        if min(unit_p0[u], 0.0) - p > tol:
            _worse(state, 6, min(unit_p0[u], 0.0) - p, u)
        supply[labels[unit_bus[u]]] += p
    fixed = np.zeros(n_islands)
    for b in range(len(live)):
        if live[b]:
            fixed[labels[b]] += bus_fixed[b]
    for isl in range(n_islands):
        gap = abs(supply[isl] - need[isl] - fixed[isl])
        if gap > 10 * abs_tol + rel_tol * (scale[isl] + abs(fixed[isl])):
            _worse(state, 7, gap, isl)
    if state[0] != 0:
        return int(state[0]), int(state[1]), state[2], int(state[3])
    for k in range(len(flow)):
        if not np.isfinite(flow[k]):
            return 8, 0, 0.0, k
        if not loading[k] >= 0.0:
            return 9, 0, 0.0, k
    return 0, 0, 0.0, -1
