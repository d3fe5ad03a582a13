"""Batched evaluation: many grid states per call, through the compiled kernel.

N-1 and N-2 criticality, Monte Carlo hits and the trip handling of
:func:`~gridmodel.engine.evaluate` hand the engine a batch of states
(:class:`StateBatch`: one row of masks per state). The whole batch is
evaluated in one compiled call (:func:`~gridmodel.engine.kernel_batch.run_batch`)
that shares the intact grid's factorisation, finds islands, balances supply,
solves the DC flow and runs the trip cascade of each state with no Python in
between, and reduces each outcome to its figures
(:func:`batch_figures`) or keeps its arrays to build the
:class:`~gridmodel.engine.outcome.Outcome` (:func:`trip_outcomes`).

One state evaluated alone goes through the same compiled function as in a
batch, so a batch's results equal the one-state path's bit for bit. A state
whose cascade meets a matrix that needs a pivoting factorisation (a grid
with negative reactances) is evaluated on the Python path
(:func:`~gridmodel.engine.cascade.cascade`) instead; so is a grid without a
base factorisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gridmodel.engine.cache import EngineCache
from gridmodel.engine.cascade import cascade
from gridmodel.engine.compiled import CompiledGrid, State
from gridmodel.engine.figures import totals
from gridmodel.engine.kernel import DONE, FALLBACK
from gridmodel.engine.kernel_batch import FIGURE_NAMES, run_batch
from gridmodel.engine.ldl import symbolic
from gridmodel.engine.lowrank import PIVOT_TOL, RESIDUAL_PU, rank_limit
from gridmodel.engine.outcome import (
    ABSOLUTE_TOL_MW,
    RELATIVE_TOL,
    BranchTrip,
    Outcome,
    check_outcome,
)
from gridmodel.engine.shedding import LIMIT_SLACK
from gridmodel.engine.supply import TOL_MW
from gridmodel.errors import InternalError
from gridmodel.network.grid import Element

#: Largest low-rank update of the intact grid's factorisation the kernel
#: solves before it factorises the step itself. The kernel's own
#: factorisation is cheap (compiled, into the intact pattern), so the
#: crossover is far below the Python path's
#: (:func:`~gridmodel.engine.lowrank.rank_limit`): on case1354pegase an
#: update of rank 1 took 33 us, rank 10 54 us, rank 20 68 us and rank 40
#: 107 us, against about 70 us for the matrix, its factorisation, a solve
#: and the residual (measured in compiled loops, 2-core machine, load 2.7).
#: Once a state has its own factorisation, every later step refactorises
#: the rows its changes reach instead (a few per cent of them): as fast as
#: updating it up to this rank (N-2 sample of case1354pegase, within the
#: noise of four interleaved runs), and one path fewer.
KERNEL_RANK_LIMIT = 16


@dataclass(frozen=True, eq=False)
class StateBatch:
    """States as rows of in-service masks (``True`` = in service) and unit limits."""

    bus: np.ndarray
    branch: np.ndarray
    unit: np.ndarray
    load: np.ndarray
    pmax: np.ndarray

    def __len__(self) -> int:
        return int(self.bus.shape[0])

    @classmethod
    def of(cls, compiled: CompiledGrid, states: Sequence[State]) -> StateBatch:
        """The batch of ``states`` (their own unit limits, else the compiled ones)."""

        def rows(name: str) -> np.ndarray:
            return np.array([getattr(s, name) for s in states], dtype=bool).reshape(len(states), -1)

        pmax = [compiled.unit_limits(s) for s in states]
        return cls(
            bus=rows("bus"),
            branch=rows("branch"),
            unit=rows("unit"),
            load=rows("load"),
            pmax=np.array(pmax, dtype=float).reshape(len(states), -1),
        )

    def state(self, row: int) -> State:
        """Row ``row`` as a :class:`State`."""
        return State(
            bus=self.bus[row].copy(),
            branch=self.branch[row].copy(),
            unit=self.unit[row].copy(),
            load=self.load[row].copy(),
            pmax=self.pmax[row].copy(),
        )


@dataclass(frozen=True, eq=False)
class KernelArrays:
    """What the kernel reads of a compiled grid, and its workspace (see :func:`kernel_arrays`)."""

    grid: tuple[Any, ...]
    base: tuple[Any, ...]
    sym: tuple[Any, ...]
    own: tuple[Any, ...]
    params: tuple[float, int, float, float, float, bool]
    elements: tuple[Element, ...]


def kernel_arrays(compiled: CompiledGrid, cache: EngineCache) -> KernelArrays | None:
    """The kernel's arrays of ``compiled``, built once per cache (None: no kernel path)."""
    entries = cache.of(compiled)
    if entries.kernel is None:
        entries.kernel = _build(compiled) or False
    return entries.kernel or None


def _build(compiled: CompiledGrid) -> KernelArrays | None:
    base = compiled.base_factor
    if compiled.n_bus == 0 or base is None:
        return None
    pattern = compiled.pattern
    sym = symbolic(pattern)
    position = np.empty(compiled.n_bus, dtype=np.int64)
    position[pattern.order] = np.arange(compiled.n_bus)
    i64 = np.int64
    grid = (
        compiled.branch_from.astype(i64),
        compiled.branch_to.astype(i64),
        compiled.branch_b_pu.astype(float),
        compiled.branch_shift_rad.astype(float),
        compiled.branch_rating_mw.astype(float),
        compiled.adjacency.indptr.astype(i64),
        compiled.adjacency.neighbour.astype(i64),
        compiled.adjacency.via.astype(i64),
        compiled.unit_bus.astype(i64),
        compiled.unit_forming.astype(bool),
        compiled.unit_p0_mw.astype(float),
        compiled.bus_fixed_mw.astype(float),
        pattern.slots.astype(i64),
        pattern.diag_slot.astype(i64),
        compiled.load_bus.astype(i64),
        compiled.load_priority.astype(i64),
        compiled.unit_rank.astype(i64),
        compiled.load_customers.astype(float),
        np.flatnonzero(compiled.branch_shift_rad != 0).astype(i64),  # the phase shifters
    )
    base_arrays = (
        base.position, base.l_indptr, base.l_indices, base.l_data, base.diag, base.parent,
        np.array([base.depth], dtype=i64), base.m_indptr, base.m_indices, base.m_data,
        base.branches.astype(bool), base.grounded.astype(bool),
    )  # fmt: skip
    sym_arrays = (
        position, sym.parent, np.array([sym.depth], dtype=i64), sym.l_indptr,
        pattern.indptr.astype(i64), pattern.indices.astype(i64),
        sym.row_ptr, sym.row_cols, sym.row_slot,
    )  # fmt: skip
    own = (
        np.zeros(8, dtype=i64),  # the reference flag, then the kernel's counters
        np.zeros(compiled.n_branch, dtype=bool),
        np.zeros(compiled.n_bus, dtype=bool),
        sym.l_indices.copy(),  # the factor's structure is the intact one's, fixed
        np.zeros(sym.nnz),
        np.zeros(compiled.n_bus),
        np.zeros(len(pattern.indices)),
        np.zeros(compiled.n_bus),  # the factorisation's work vector, kept zero
        np.zeros(compiled.n_bus, dtype=bool),  # the factor rows to compute
    )
    params = (
        float(compiled.base_mva),
        int(min(rank_limit(compiled.n_bus), KERNEL_RANK_LIMIT)),
        float(RESIDUAL_PU),
        float(PIVOT_TOL),
        float(TOL_MW),
        bool(np.all(compiled.branch_b_pu > 0)),  # every state's matrix is definite
    )
    elements = tuple(
        Element(str(k), int(i))
        for k, i in zip(compiled.branch_kind, compiled.branch_index, strict=True)
    )
    return KernelArrays(grid, base_arrays, sym_arrays, own, params, elements)


def _threshold(compiled: CompiledGrid, trip_above: float | None = None) -> float:
    """The loading (percent) above which the kernel trips a branch."""
    limit = compiled.options.overload_limit_percent if trip_above is None else trip_above
    return float(limit * (1 + LIMIT_SLACK))


def _keep(compiled: CompiledGrid, rows: int) -> tuple[np.ndarray, ...]:
    n, m, u, d = compiled.n_bus, compiled.n_branch, len(compiled.unit_bus), len(compiled.load_bus)
    return (
        np.zeros((rows, n), dtype=np.int64),
        np.zeros(rows, dtype=np.int64),
        np.zeros((rows, n), dtype=bool),
        np.zeros((rows, d)),
        np.zeros((rows, u)),
        np.zeros((rows, d), dtype=bool),
        np.zeros((rows, m)),
        np.zeros((rows, m)),
        np.zeros((rows, m), dtype=bool),
        np.zeros((16, 4)),
    )


def _run(
    compiled: CompiledGrid,
    arrays: KernelArrays,
    batch: StateBatch,
    demand: np.ndarray,
    *,
    full: bool,
    trip_above: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[np.ndarray, ...]]:
    keep = _keep(compiled, len(batch) if full else 0)
    masks = (batch.bus, batch.branch, batch.unit, batch.load)
    status, figures, trips = run_batch(
        arrays.grid, arrays.base, arrays.sym, arrays.own, masks,
        np.ascontiguousarray(batch.pmax, dtype=float), np.ascontiguousarray(demand, dtype=float),
        _threshold(compiled, trip_above), arrays.params, (ABSOLUTE_TOL_MW, RELATIVE_TOL),
        full, keep,
    )  # fmt: skip
    return status, figures, trips, keep


def batch_figures(
    compiled: CompiledGrid,
    batch: StateBatch,
    *,
    demand: np.ndarray | None = None,
    cache: EngineCache | None = None,
    trip_above: float | None = None,
) -> np.ndarray:
    """The trip cascade's figures of every state of ``batch``.

    ``trip_above``: as for :func:`trip_outcomes` (``inf``: no cascade).

    Returns
    -------
    numpy.ndarray
        ``(len(batch), len(FIGURE_NAMES))``, columns in
        :data:`~gridmodel.engine.kernel_batch.FIGURE_NAMES` order (MW,
        customers off as a float, counts as floats).

    Raises
    ------
    InternalError
        An outcome breaks an invariant of the model (a bug).
    """
    cache = cache if cache is not None else EngineCache()
    demand = compiled.load_p_mw if demand is None else np.asarray(demand, dtype=float)
    with cache.lock:
        arrays = kernel_arrays(compiled, cache)
        if arrays is None:
            status = np.full(len(batch), FALLBACK)
            figures = np.zeros((len(batch), len(FIGURE_NAMES)))
        else:
            status, figures, _, _ = _run(
                compiled, arrays, batch, demand, full=False, trip_above=trip_above
            )
        for row in np.flatnonzero(status != DONE):
            state = batch.state(int(row))
            figures[row] = _python_figures(compiled, state, demand, cache, trip_above)
    return figures


def _python_figures(
    compiled: CompiledGrid,
    state: State,
    demand: np.ndarray,
    cache: EngineCache,
    trip_above: float | None,
) -> np.ndarray:
    """Figures of one state on the Python path (invariants checked there)."""
    return outcome_figures(compiled, _python_outcome(compiled, state, demand, cache, trip_above))


def outcome_figures(compiled: CompiledGrid, outcome: Outcome) -> np.ndarray:
    """An outcome's :func:`~gridmodel.engine.figures.totals` in
    :data:`~gridmodel.engine.kernel_batch.FIGURE_NAMES` order (floats)."""
    found = totals(compiled, outcome)
    return np.array([float(found[name]) for name in FIGURE_NAMES])


def _python_outcome(
    compiled: CompiledGrid,
    state: State,
    demand: np.ndarray,
    cache: EngineCache,
    trip_above: float | None = None,
) -> Outcome:
    limit = compiled.options.overload_limit_percent if trip_above is None else trip_above
    outcome = cascade(compiled, state, demand, cache, trip_above=limit, relieve=False)
    check_outcome(compiled, outcome, compiled.unit_limits(state))
    return outcome


def trip_outcomes(
    compiled: CompiledGrid,
    states: Sequence[State],
    demand: np.ndarray,
    cache: EngineCache,
    *,
    trip_above: float | None = None,
) -> list[Outcome]:
    """The trip cascade's :class:`Outcome` of every state (one compiled call).

    ``trip_above``: the loading (percent of the rating) above which a branch
    trips; default the options' hard limit, ``inf`` for the plain DC answer.
    """
    demand = np.asarray(demand, dtype=float)
    arrays = kernel_arrays(compiled, cache)
    if arrays is None or not states:
        return [_python_outcome(compiled, s, demand, cache, trip_above) for s in states]
    batch = StateBatch.of(compiled, states)
    status, figures, trips, keep = _run(
        compiled, arrays, batch, demand, full=True, trip_above=trip_above
    )
    by_row: dict[int, list[BranchTrip]] = {}
    for row, branch, step, loading in trips:
        by_row.setdefault(int(row), []).append(
            BranchTrip(arrays.elements[int(branch)], int(step), float(loading))
        )
    outcomes = []
    for row, state in enumerate(states):
        if status[row] == FALLBACK:
            outcomes.append(_python_outcome(compiled, state, demand, cache, trip_above))
        elif status[row] != DONE:
            _python_outcome(compiled, state, demand, cache, trip_above)  # raises with details
            raise InternalError(f"the compiled cascade broke invariant {int(status[row])}")
        else:
            outcomes.append(_outcome(keep, row, demand, figures[row], by_row.get(row, [])))
    return outcomes


def _outcome(
    keep: tuple[np.ndarray, ...],
    row: int,
    demand: np.ndarray,
    figures: np.ndarray,
    trips: list[BranchTrip],
) -> Outcome:
    labels, islands, energized, served, unit_p, dark, flow, loading, branch_ok = keep[:9]
    return Outcome(
        load_demand_mw=demand,
        load_served_mw=served[row].copy(),
        load_dark=dark[row].copy(),
        bus_energized=energized[row].copy(),
        bus_island=labels[row].copy(),
        unit_p_mw=unit_p[row].copy(),
        branch_flow_mw=flow[row].copy(),
        branch_loading_percent=loading[row].copy(),
        branch_in_service=branch_ok[row].copy(),
        tripped=tuple(trips),
        islands=int(islands[row]),
        energized_islands=int(figures[FIGURE_NAMES.index("energized_islands")]),
    )
