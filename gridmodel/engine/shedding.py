"""Operator load shedding: the least priority-weighted shed that removes overloads.

Used when ``overload = "shed"`` or ``"operator"``: instead of letting
protection trip overloaded branches (a cascade), the operator redispatches
the sources within their limits and sheds load, lowest priority class first,
until every branch is within its hard limit.

The linear program, per state (DC model, MW)::

    maximise    sum_l w_l s_l  -  eps * sum_u |p_u - p_u^0|
    subject to  sum_{u in I} p_u - sum_{l in I} s_l = sum_{i in I} F_i   (every energised island I)
                -R_k <= P_k^0 + sum_i c_k,i (dP_i) <= R_k                 (rated branches k)
                0 <= s_l <= d_l,   lo_u <= p_u <= pmax_u

with ``w_l`` the priority weight of load ``l``
(:data:`~gridmodel.engine.options.PRIORITY_WEIGHT`), ``F_i`` the
non-curtailable consumption at bus ``i``, ``p_u^0``, ``s_l^0`` and ``P_k^0``
the dispatch, served load and flows of the supply balance, ``dP_i`` the
change of the net injection at bus ``i`` (units minus loads) from them, and
``c_k`` the branch's power transfer distribution factors
(:mod:`gridmodel.engine.sensitivity`). The small ``eps`` keeps the dispatch
close to the balance dispatch when several solutions shed the same load. It
is the program with a phase angle per bus and a nodal balance per bus
(Wood & Wollenberg, section 7.2), with the angles eliminated.

Three things keep it small, and none changes its optimum:

* only islands with an overloaded branch enter it. Elsewhere the balance
  answer already meets every limit, serves the most priority-weighted load
  the island's sources allow and deviates from ``p^0`` by nothing, so it is
  optimal there, and it is kept as it is;
* a branch limit enters only once it binds (constraint generation): the
  program starts with the overloaded branches, and after each solve the DC
  flows of its answer are checked on every rated branch of those islands;
  the branches above their limit are added and the program is solved again
  from its last basis (:class:`~gridmodel.engine.linear_program.LinearProgram`).
  It ends with an answer that meets every limit, optimal for a relaxation of
  the program, hence for the program;
* ``|p_u - p_u^0|`` is split into an increase and a decrease, each bounded.

Generation modelled as a negative load is not the operator's to shed: it
keeps what the balance gives it. Solved with HiGHS.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from gridmodel.engine.cache import EngineCache
from gridmodel.engine.compiled import CompiledGrid, State
from gridmodel.engine.dc import dc_flows, energized_branches, make_outcome
from gridmodel.engine.islands import Topology, topology
from gridmodel.engine.linear_program import LinearProgram, dense_rows
from gridmodel.engine.options import PRIORITY_WEIGHT
from gridmodel.engine.outcome import Outcome
from gridmodel.engine.sensitivity import branch_ptdf

#: Cost per MW of redispatch away from the balance dispatch (tie-breaker only).
REDISPATCH_COST = 1e-4

#: Relative slack on the hard limit (numerical noise is not an overload).
LIMIT_SLACK = 1e-9


def shed_overloads(
    compiled: CompiledGrid, state: State, outcome: Outcome, cache: EngineCache
) -> Outcome | None:
    """Re-dispatch and shed load so that no branch exceeds the hard limit.

    Parameters
    ----------
    compiled, state
        The grid and the state that ``outcome`` evaluated (without trips).
    outcome
        The supply-balance outcome of ``state``, with overloads.
    cache
        The engine cache of the evaluation.

    Returns
    -------
    Outcome or None
        Served load and dispatch from the linear program, flows solved with
        them; None if the program is infeasible (a phase shifter alone
        overloads a branch).
    """
    branch_ok = outcome.branch_in_service
    topo = topology(compiled, state, branch_ok, cache)
    program = _program(compiled, topo, outcome, compiled.unit_limits(state))
    solution = _relieve(compiled, topo, program, outcome, cache)
    if solution is None:
        return None
    served, unit_p, flow = solution
    demand = outcome.load_demand_mw
    relieved = make_outcome(
        compiled, topo, branch_ok, demand, served, unit_p, outcome.load_dark, flow
    )
    return dataclasses.replace(relieved, load_supplied_mw=outcome.load_served_mw)


@dataclass(frozen=True)
class _Program:
    """Columns ``up | down | s`` over the islands with an overload, and what they index.

    ``up`` and ``down`` are each unit's output above and below ``p^0``;
    ``s`` is each load's served MW.
    """

    islands: np.ndarray  # island labels with an overload
    units: np.ndarray  # units in service there
    loads: np.ndarray  # loads not dark there
    col_bus: np.ndarray  # bus of each column
    col_sign: np.ndarray  # +1 where the column injects, -1 where it draws
    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    rated: np.ndarray  # rated branches in service inside those islands
    limit_mw: np.ndarray  # hard limit of every branch (MW; inf if unrated)

    @property
    def n_unit(self) -> int:
        return len(self.units)


def _program(
    compiled: CompiledGrid, topo: Topology, outcome: Outcome, pmax: np.ndarray
) -> _Program:
    """Columns, bounds and costs of the program over the islands with an overload."""
    limit_mw = compiled.branch_rating_mw * compiled.options.overload_limit_percent / 100.0
    live = energized_branches(compiled, topo, outcome.branch_in_service)
    flow = np.abs(outcome.branch_flow_mw)
    over = live & (flow > limit_mw)
    islands = np.unique(topo.labels[compiled.branch_from[over]])
    in_islands = np.zeros(topo.n_islands + 1, dtype=bool)  # the last entry: dead buses
    in_islands[islands] = True
    unit_in = topo.unit_ok & in_islands[topo.labels[compiled.unit_bus]]
    load_in = ~outcome.load_dark & in_islands[topo.labels[compiled.load_bus]]
    units, loads = np.flatnonzero(unit_in), np.flatnonzero(load_in)
    p0 = outcome.unit_p_mw[units]
    forming = compiled.unit_forming[units]
    cap = pmax[units]
    lo = np.where(forming, np.minimum(compiled.unit_p0_mw[units], 0.0), 0.0)
    hi = np.where(forming, cap, np.maximum(np.minimum(compiled.unit_p0_mw[units], cap), 0.0))
    demand = outcome.load_demand_mw[loads]
    # generation modelled as a negative load keeps what the balance gives it
    s_lo = np.where(demand >= 0.0, 0.0, outcome.load_served_mw[loads])
    s_hi = np.where(demand >= 0.0, demand, outcome.load_served_mw[loads])
    weight = priority_weights(compiled.load_priority[loads])
    n_u, n_l = len(units), len(loads)
    rated = np.flatnonzero(
        live & np.isfinite(limit_mw) & in_islands[topo.labels[compiled.branch_from]]
    )
    return _Program(
        islands=islands,
        units=units,
        loads=loads,
        col_bus=np.concatenate([compiled.unit_bus[units]] * 2 + [compiled.load_bus[loads]]),
        col_sign=np.concatenate([np.ones(n_u), -np.ones(n_u), -np.ones(n_l)]),
        cost=np.concatenate([np.full(2 * n_u, REDISPATCH_COST), -weight]),
        lower=np.concatenate([np.maximum(lo - p0, 0.0), np.maximum(p0 - hi, 0.0), s_lo]),
        upper=np.concatenate([np.maximum(hi - p0, 0.0), np.maximum(p0 - lo, 0.0), s_hi]),
        rated=rated,
        limit_mw=limit_mw,
    )


def priority_weights(priority: np.ndarray) -> np.ndarray:
    """The weight of each load's priority class (:data:`PRIORITY_WEIGHT`; 1 if unlisted)."""
    classes = np.fromiter(PRIORITY_WEIGHT, dtype=np.int64)
    weights = np.fromiter(PRIORITY_WEIGHT.values(), dtype=float)
    where = np.searchsorted(classes, priority).clip(max=len(classes) - 1)
    return np.where(classes[where] == priority, weights[where], 1.0)


def _relieve(
    compiled: CompiledGrid,
    topo: Topology,
    program: _Program,
    outcome: Outcome,
    cache: EngineCache,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Solve the program by constraint generation (see the module notes).

    Returns served load, dispatch and DC flows, or None if it is infeasible.
    """
    branch_ok = outcome.branch_in_service
    if not len(program.islands):  # nothing above the limit: the balance answer stands
        return outcome.load_served_mw, outcome.unit_p_mw, outcome.branch_flow_mw
    lp = LinearProgram(program.cost, program.lower, program.upper)
    lp.add_rows(*_island_rows(compiled, topo, program, outcome))
    limit = program.limit_mw
    flow = outcome.branch_flow_mw
    added = np.zeros(compiled.n_branch, dtype=bool)
    new = program.rated[np.abs(flow[program.rated]) > limit[program.rated]]
    for _ in range(len(program.rated) + 1):  # every round adds a branch
        ptdf = branch_ptdf(compiled, topo, branch_ok, new, cache)
        lp.add_rows(*_limit_rows(program, outcome, new, ptdf))
        added[new] = True
        x = lp.solve()
        if x is None:
            return None
        served, unit_p = _answer(program, outcome, x)
        flow = dc_flows(compiled, topo, branch_ok, served, unit_p, cache)
        rated = program.rated
        above = np.abs(flow[rated]) > limit[rated] * (1 + LIMIT_SLACK)
        new = rated[above & ~added[rated]]
        if not len(new):
            break
    return served, unit_p, flow


def _island_rows(
    compiled: CompiledGrid, topo: Topology, program: _Program, outcome: Outcome
) -> tuple[np.ndarray, ...]:
    """Supply meets demand in each island: ``sum(up - down - s) = sum F - sum p^0``."""
    n = len(program.islands)
    row_of = np.full(topo.n_islands, -1)
    row_of[program.islands] = np.arange(n)
    col_row = row_of[topo.labels[program.col_bus]]
    order = np.argsort(col_row, kind="stable")
    start = np.searchsorted(col_row[order], np.arange(n))
    energized = topo.bus_energized
    fixed = np.bincount(
        topo.labels[energized], weights=compiled.bus_fixed_mw[energized], minlength=topo.n_islands
    )
    units = program.units
    p0 = np.bincount(
        topo.labels[compiled.unit_bus[units]],
        weights=outcome.unit_p_mw[units],
        minlength=topo.n_islands,
    )
    rhs = (fixed - p0)[program.islands]
    return rhs, rhs, start, order, program.col_sign[order]


def _limit_rows(
    program: _Program, outcome: Outcome, branches: np.ndarray, ptdf: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Branch limits ``-R <= P^0 + c (dP) <= R`` as rows over the columns."""
    coef = ptdf[:, program.col_bus] * program.col_sign
    # dP of a load is -(s - s^0): its s^0 moves to the bounds
    on_loads = coef[:, 2 * program.n_unit :]
    offset = outcome.branch_flow_mw[branches] - on_loads @ outcome.load_served_mw[program.loads]
    limit = program.limit_mw[branches]
    start, index, value = dense_rows(coef)
    return -limit - offset, limit - offset, start, index, value


def _answer(program: _Program, outcome: Outcome, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Served load and dispatch of a solution (the balance's outside the program)."""
    # HiGHS meets the bounds within its feasibility tolerance (1e-7): the solution
    # is put on them exactly, so a served load never exceeds its demand
    x = np.clip(x, program.lower, program.upper)
    n_u = program.n_unit
    served = outcome.load_served_mw.copy()
    served[program.loads] = x[2 * n_u :]
    unit_p = outcome.unit_p_mw.copy()
    unit_p[program.units] = outcome.unit_p_mw[program.units] + x[:n_u] - x[n_u : 2 * n_u]
    return served, unit_p
