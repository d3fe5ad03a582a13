"""Operator load shedding: the least priority-weighted shed that removes overloads.

Used when ``overload = "shed"``: instead of letting protection trip overloaded
branches (a cascade), the operator redispatches the sources within their
limits and sheds load, lowest priority class first, until every branch is
within its hard limit.

The linear program, per state (DC model, MW and radians)::

    maximise    sum_l w_l s_l  -  eps * sum_u |p_u - p_u^0|
    subject to  sum_{u at i} p_u - sum_{l at i} s_l - F_i = (B theta)_i + P_inj,i
                    (every energised bus i)
                theta_ref = 0   (one bus per island)
                -R_k <= b_k (theta_f - theta_t) + P_f,inj,k <= R_k   (rated branches)
                0 <= s_l <= d_l,   lo_u <= p_u <= pmax_u

with ``w_l`` the priority weight of load ``l`` (:data:`~gridmodel.engine.options.PRIORITY_WEIGHT`),
``F_i`` the non-curtailable consumption at bus ``i`` and ``p_u^0`` the
dispatch of the supply balance. The small ``eps`` keeps the dispatch close to
the balance dispatch when several solutions shed the same load. Solved with
HiGHS (``scipy.optimize.linprog(method="highs")``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from gridmodel.engine.cache import EngineCache
from gridmodel.engine.compiled import CompiledGrid, State
from gridmodel.engine.dc import dc_flows, make_outcome, reference_buses
from gridmodel.engine.islands import Topology, topology
from gridmodel.engine.options import PRIORITY_WEIGHT
from gridmodel.engine.outcome import Outcome
from gridmodel.engine.supply import balance

#: Cost per MW of redispatch away from the balance dispatch (tie-breaker only).
REDISPATCH_COST = 1e-4


def shed_overloads(
    compiled: CompiledGrid, state: State, outcome: Outcome, cache: EngineCache
) -> Outcome | None:
    """Re-dispatch and shed load so that no branch exceeds the hard limit.

    Parameters
    ----------
    compiled, state
        The grid and the state that ``outcome`` evaluated (without trips).
    outcome
        The supply-balance outcome, with overloads.
    cache
        The engine cache of the evaluation.

    Returns
    -------
    Outcome or None
        Served load and dispatch from the linear program, flows re-solved with
        them; None if the program is infeasible (a phase shifter alone
        overloads a branch).
    """
    branch_ok = outcome.branch_in_service
    topo = topology(compiled, state, branch_ok, cache)
    demand = outcome.load_demand_mw
    _, unit_p0, load_dark = balance(compiled, topo, state, demand)
    solution = _solve_lp(compiled, topo, branch_ok, demand, load_dark, unit_p0)
    if solution is None:
        return None
    served, unit_p = solution
    flow = dc_flows(compiled, topo, branch_ok, served, unit_p, cache)
    return make_outcome(compiled, topo, branch_ok, demand, served, unit_p, load_dark, flow)


def _solve_lp(
    compiled: CompiledGrid,
    topo: Topology,
    branch_ok: np.ndarray,
    demand: np.ndarray,
    load_dark: np.ndarray,
    unit_p0: np.ndarray,
) -> tuple[np.ndarray, np.ndarray] | None:
    base = compiled.base_mva
    buses = np.flatnonzero(topo.bus_energized)
    bus_pos = np.full(compiled.n_bus, -1)
    bus_pos[buses] = np.arange(len(buses))
    units = np.flatnonzero(topo.unit_ok)
    loads = np.flatnonzero(~load_dark)
    live = np.flatnonzero(branch_ok & topo.bus_energized[compiled.branch_from])
    n_t, n_u, n_l = len(buses), len(units), len(loads)
    # variable layout: theta | p | s | dev_up | dev_down
    o_p, o_s = n_t, n_t + n_u
    o_up, o_dn = o_s + n_l, o_s + n_l + n_u
    n_var = o_dn + n_u

    b_mw = compiled.branch_b_pu[live] * base
    f = bus_pos[compiled.branch_from[live]]
    t = bus_pos[compiled.branch_to[live]]
    pf_inj = -b_mw * compiled.branch_shift_rad[live]
    inj = np.zeros(n_t)
    np.add.at(inj, f, pf_inj)
    np.subtract.at(inj, t, pf_inj)

    # nodal balance: p - s - B theta = fixed + inj
    rows = [np.concatenate([f, t, f, t])]
    cols = [np.concatenate([f, t, t, f])]
    vals = [-np.concatenate([b_mw, b_mw, -b_mw, -b_mw])]
    rows.append(bus_pos[compiled.unit_bus[units]])
    cols.append(o_p + np.arange(n_u))
    vals.append(np.ones(n_u))
    rows.append(bus_pos[compiled.load_bus[loads]])
    cols.append(o_s + np.arange(n_l))
    vals.append(-np.ones(n_l))
    # dispatch deviation: p - up + down = p0
    r = n_t + np.arange(n_u)
    rows += [r, r, r]
    cols += [o_p + np.arange(n_u), o_up + np.arange(n_u), o_dn + np.arange(n_u)]
    vals += [np.ones(n_u), -np.ones(n_u), np.ones(n_u)]
    a_eq = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_t + n_u, n_var),
    )
    b_eq = np.concatenate([compiled.bus_fixed_mw[buses] + inj, unit_p0[units]])

    # branch limits on rated branches: |b (theta_f - theta_t) + pf_inj| <= R
    rating = compiled.branch_rating_mw[live] * compiled.options.overload_limit_percent / 100.0
    rated = np.isfinite(rating)
    k = np.flatnonzero(rated)
    m = len(k)
    rr = np.concatenate([np.arange(m), np.arange(m)])
    cc = np.concatenate([f[k], t[k]])
    vv = np.concatenate([b_mw[k], -b_mw[k]])
    flow_rows = sp.csr_matrix((vv, (rr, cc)), shape=(m, n_var))
    a_ub = sp.vstack([flow_rows, -flow_rows]).tocsr()
    b_ub = np.concatenate([rating[k] - pf_inj[k], rating[k] + pf_inj[k]])

    bounds = np.zeros((n_var, 2))
    bounds[:n_t] = (-np.inf, np.inf)
    refs = bus_pos[reference_buses(compiled, topo)]
    bounds[refs] = (0.0, 0.0)
    lo = np.where(compiled.unit_forming, np.minimum(compiled.unit_p0_mw, 0.0), 0.0)
    hi = np.where(
        compiled.unit_forming, compiled.unit_pmax_mw, np.maximum(compiled.unit_p0_mw, 0.0)
    )
    bounds[o_p : o_p + n_u, 0] = lo[units]
    bounds[o_p : o_p + n_u, 1] = hi[units]
    bounds[o_s : o_s + n_l, 1] = demand[loads]
    bounds[o_up:, 1] = np.inf

    weight = np.array([PRIORITY_WEIGHT.get(int(p), 1.0) for p in compiled.load_priority[loads]])
    cost = np.zeros(n_var)
    cost[o_s : o_s + n_l] = -weight
    cost[o_up:] = REDISPATCH_COST
    result = linprog(
        cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs"
    )
    if result.status != 0:
        return None
    x = result.x
    served = np.zeros(len(demand))
    served[loads] = np.clip(x[o_s : o_s + n_l], 0.0, demand[loads])
    unit_p = np.zeros(len(compiled.unit_kind))
    unit_p[units] = x[o_p : o_p + n_u]
    return served, unit_p
