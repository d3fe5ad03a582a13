"""The operator's shedding program in its first, full formulation (not a test module).

The independent reference for :mod:`gridmodel.engine.shedding`: one phase
angle per energised bus, a nodal balance per bus, a limit row per rated
branch, over every energised island at once, solved from scratch by
``scipy.optimize.linprog(method="highs")``. It is the program the engine
solved before the compact formulation (PTDF rows, only islands with an
overload, constraint generation) replaced it; ``test_shedding_reference.py``
compares the two, and ``benchmarks/shedding.py`` times both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from gridmodel.engine import CompiledGrid, EngineCache, Outcome, State
from gridmodel.engine.dc import reference_buses
from gridmodel.engine.islands import topology
from gridmodel.engine.options import PRIORITY_WEIGHT

#: Cost per MW of redispatch away from the balance dispatch (the program's tie-breaker).
REDISPATCH_COST = 1e-4


@dataclass(frozen=True)
class FullProgram:
    """``min cost x`` s.t. ``a_ub x <= b_ub``, ``a_eq x = b_eq``, ``bounds``;
    variables ``theta | p | s | up | down``."""

    cost: np.ndarray
    a_ub: sp.csr_matrix
    b_ub: np.ndarray
    a_eq: sp.csr_matrix
    b_eq: np.ndarray
    bounds: np.ndarray
    units: np.ndarray  # unit of each p
    loads: np.ndarray  # load of each s
    o_p: int
    o_s: int
    n_loads: int
    n_units: int


def full_program(
    compiled: CompiledGrid, state: State, outcome: Outcome, cache: EngineCache
) -> FullProgram:
    """The full program of ``state``, whose supply-balance outcome is ``outcome``
    (its dispatch is ``p^0``)."""
    topo = topology(compiled, state, outcome.branch_in_service, cache)
    pmax = compiled.unit_limits(state)
    buses = np.flatnonzero(topo.bus_energized)
    bus_pos = np.full(compiled.n_bus, -1)
    bus_pos[buses] = np.arange(len(buses))
    units, loads = np.flatnonzero(topo.unit_ok), np.flatnonzero(~outcome.load_dark)
    n_t, n_u, n_l = len(buses), len(units), len(loads)
    o_p, o_s = n_t, n_t + n_u
    o_up = o_s + n_l
    n_var = o_up + 2 * n_u
    live = np.flatnonzero(outcome.branch_in_service & topo.bus_energized[compiled.branch_from])
    b_mw = compiled.branch_b_pu[live] * compiled.base_mva
    f, t = bus_pos[compiled.branch_from[live]], bus_pos[compiled.branch_to[live]]
    pf_inj = -b_mw * compiled.branch_shift_rad[live]
    # nodal balance p - s - B theta = fixed + inj; deviation p - up + down = p0
    inj = np.zeros(n_t)
    np.add.at(inj, f, pf_inj)
    np.subtract.at(inj, t, pf_inj)
    r = n_t + np.arange(n_u)
    rows = [np.concatenate([f, t, f, t]), bus_pos[compiled.unit_bus[units]]]
    rows += [bus_pos[compiled.load_bus[loads]], r, r, r]
    cols = [np.concatenate([f, t, t, f]), o_p + np.arange(n_u), o_s + np.arange(n_l)]
    cols += [o_p + np.arange(n_u), o_up + np.arange(n_u), o_up + n_u + np.arange(n_u)]
    vals = [-np.concatenate([b_mw, b_mw, -b_mw, -b_mw]), np.ones(n_u), -np.ones(n_l)]
    vals += [np.ones(n_u), -np.ones(n_u), np.ones(n_u)]
    a_eq = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_t + n_u, n_var),
    )
    b_eq = np.concatenate([compiled.bus_fixed_mw[buses] + inj, outcome.unit_p_mw[units]])
    # branch limits |b (theta_f - theta_t) + pf_inj| <= R on rated branches
    rating = compiled.branch_rating_mw[live] * compiled.options.overload_limit_percent / 100.0
    k = np.flatnonzero(np.isfinite(rating))
    m = len(k)
    flow_rows = sp.csr_matrix(
        (
            np.concatenate([b_mw[k], -b_mw[k]]),
            (np.concatenate([np.arange(m)] * 2), np.concatenate([f[k], t[k]])),
        ),
        shape=(m, n_var),
    )
    weight = np.array([PRIORITY_WEIGHT.get(int(p), 1.0) for p in compiled.load_priority[loads]])
    cost = np.zeros(n_var)
    cost[o_s:o_up] = -weight
    cost[o_up:] = REDISPATCH_COST
    # bounds: free angles (zero at each island's reference), units, 0 <= s <= demand
    bounds = np.zeros((n_var, 2))
    bounds[:n_t] = (-np.inf, np.inf)
    bounds[bus_pos[reference_buses(compiled, topo)]] = (0.0, 0.0)
    lo = np.where(compiled.unit_forming, np.minimum(compiled.unit_p0_mw, 0.0), 0.0)
    hi = np.where(
        compiled.unit_forming, pmax, np.maximum(np.minimum(compiled.unit_p0_mw, pmax), 0.0)
    )
    bounds[o_p:o_s, 0], bounds[o_p:o_s, 1] = lo[units], hi[units]
    bounds[o_s:o_up, 1] = outcome.load_demand_mw[loads]
    bounds[o_up:, 1] = np.inf
    return FullProgram(
        cost=cost,
        a_ub=sp.vstack([flow_rows, -flow_rows]).tocsr(),
        b_ub=np.concatenate([rating[k] - pf_inj[k], rating[k] + pf_inj[k]]),
        a_eq=a_eq,
        b_eq=b_eq,
        bounds=bounds,
        units=units,
        loads=loads,
        o_p=o_p,
        o_s=o_s,
        n_loads=len(outcome.load_demand_mw),
        n_units=len(compiled.unit_kind),
    )


def solve_full(program: FullProgram) -> tuple[np.ndarray, np.ndarray] | None:
    """Served load and dispatch at the program's optimum, or None if it is infeasible."""
    result = linprog(
        program.cost,
        A_ub=program.a_ub,
        b_ub=program.b_ub,
        A_eq=program.a_eq,
        b_eq=program.b_eq,
        bounds=program.bounds,
        method="highs",
    )
    if result.status != 0:
        return None
    n_l = len(program.loads)
    demand = program.bounds[program.o_s : program.o_s + n_l, 1]
    served = np.zeros(program.n_loads)
    served[program.loads] = np.clip(result.x[program.o_s : program.o_s + n_l], 0.0, demand)
    unit_p = np.zeros(program.n_units)
    unit_p[program.units] = result.x[program.o_p : program.o_s]
    return served, unit_p


def reference_shed(
    compiled: CompiledGrid, state: State, outcome: Outcome, cache: EngineCache
) -> tuple[np.ndarray, np.ndarray] | None:
    """Served load and dispatch of the full program, or None if it is infeasible."""
    return solve_full(full_program(compiled, state, outcome, cache))


def served_range(program: FullProgram, load: int, worst: float) -> tuple[float, float]:
    """Least and most ``load`` can be served over the solutions whose objective
    (:func:`objective`, to maximise) is at least ``worst``."""
    at = program.o_s + int(np.flatnonzero(program.loads == load)[0])
    a_ub = sp.vstack([program.a_ub, sp.csr_matrix(program.cost)]).tocsr()
    # objective >= worst  <=>  cost x <= -worst + (the objective's constant part: none)
    b_ub = np.concatenate([program.b_ub, [-worst]])
    ends = []
    for sign in (1.0, -1.0):
        c = np.zeros(len(program.cost))
        c[at] = sign
        result = linprog(
            c, A_ub=a_ub, b_ub=b_ub, A_eq=program.a_eq, b_eq=program.b_eq,
            bounds=program.bounds, method="highs",
        )  # fmt: skip
        assert result.status == 0, result.message
        ends.append(float(result.x[at]))
    return ends[0], ends[1]


def objective(
    compiled: CompiledGrid, outcome: Outcome, served: np.ndarray, unit_p: np.ndarray
) -> float:
    """The program's objective (to maximise) at ``served`` and ``unit_p``, with
    ``outcome``'s dispatch as ``p^0``."""
    weight = np.array([PRIORITY_WEIGHT.get(int(p), 1.0) for p in compiled.load_priority])
    on = outcome.bus_energized[compiled.unit_bus]
    moved = np.abs(unit_p - outcome.unit_p_mw)[on].sum()
    return float(weight @ served - REDISPATCH_COST * moved)
