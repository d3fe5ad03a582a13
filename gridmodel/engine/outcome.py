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
    islands 0, 1, ... (-1 on a dead bus).
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


def check_outcome(compiled: CompiledGrid, outcome: Outcome) -> None:
    """Raise :class:`~gridmodel.errors.InternalError` if ``outcome`` breaks an invariant.

    Checked (within :data:`ABSOLUTE_TOL_MW` plus :data:`RELATIVE_TOL` of the
    quantity): served load between 0 and its demand per load (a negative
    demand, generation modelled as a load, is served in ``[demand, 0]``) and
    zero on dark loads;
    unit output within ``[min(p0, 0), pmax]``; in every energised island,
    generation equal to served load plus fixed consumption; finite flows and
    non-negative loadings.
    """
    demand, served = outcome.load_demand_mw, outcome.load_served_mw
    tol = ABSOLUTE_TOL_MW + RELATIVE_TOL * np.abs(demand)
    labels, live = outcome.bus_island, outcome.bus_energized
    unit_p = outcome.unit_p_mw
    on = live[compiled.unit_bus]
    unit_tol = ABSOLUTE_TOL_MW + RELATIVE_TOL * np.abs(unit_p)
    if not (np.isfinite(served).all() and np.isfinite(unit_p[on]).all()):
        raise InternalError("served load or unit output is not finite")
    # a load with negative demand (generation modelled as load) is served in [demand, 0]
    _excess("served above demand", served - np.maximum(demand, 0.0), tol)
    _excess("served below zero (or below a negative demand)", np.minimum(demand, 0.0) - served, tol)
    _excess("served load on a dark load", np.where(outcome.load_dark, np.abs(served), 0.0), tol)
    high = np.where(on, unit_p - compiled.unit_pmax_mw, 0.0)
    _excess("unit output above its maximum", high, unit_tol)
    low = np.where(on, np.minimum(compiled.unit_p0_mw, 0.0) - unit_p, 0.0)
    _excess("unit output below its minimum", low, unit_tol)
    n = outcome.islands
    units = np.flatnonzero(on)
    supply = np.bincount(labels[compiled.unit_bus[units]], weights=unit_p[units], minlength=n)
    fed = np.flatnonzero(~outcome.load_dark)
    load_island = labels[compiled.load_bus[fed]]
    need = np.bincount(load_island, weights=served[fed], minlength=n)
    scale = np.bincount(load_island, weights=np.abs(demand[fed]), minlength=n)
    buses = np.flatnonzero(live)
    fixed = np.bincount(labels[buses], weights=compiled.bus_fixed_mw[buses], minlength=n)
    balance_tol = 10 * ABSOLUTE_TOL_MW + RELATIVE_TOL * (scale + np.abs(fixed))
    _excess("supply does not meet demand in an island", np.abs(supply - need - fixed), balance_tol)
    if not np.isfinite(outcome.branch_flow_mw).all():
        raise InternalError("a branch flow is not finite")
    if not (outcome.branch_loading_percent >= 0).all():
        raise InternalError("a branch loading is negative or not a number")


def _excess(what: str, excess: np.ndarray, tol: np.ndarray | float) -> None:
    """Raise if ``excess`` is above ``tol`` anywhere, naming the worst position."""
    bad = np.flatnonzero(excess > tol)
    if len(bad):
        worst = int(bad[np.argmax(excess[bad])])
        raise InternalError(
            f"{what} ({len(bad)} of them, worst by {float(excess[worst]):.6g} MW at {worst})"
        )
