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

import dataclasses
from dataclasses import dataclass

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
    supplied, unit_p0, load_dark = balance(compiled, topo, state, demand)
    solution = _solve_lp(
        compiled, topo, branch_ok, demand, load_dark, unit_p0, compiled.unit_limits(state)
    )
    if solution is None:
        return None
    served, unit_p = solution
    flow = dc_flows(compiled, topo, branch_ok, served, unit_p, cache)
    relieved = make_outcome(compiled, topo, branch_ok, demand, served, unit_p, load_dark, flow)
    return dataclasses.replace(relieved, load_supplied_mw=supplied)


@dataclass(frozen=True)
class _Layout:
    """Variables of the program: ``theta | p | s | dev_up | dev_down`` and what they index."""

    buses: np.ndarray  # energised internal buses (one angle each)
    bus_pos: np.ndarray  # position of each internal bus among ``buses`` (-1 if dark)
    units: np.ndarray  # units in service (one output each)
    loads: np.ndarray  # loads not dark (one served MW each)

    @property
    def o_p(self) -> int:
        return len(self.buses)

    @property
    def o_s(self) -> int:
        return self.o_p + len(self.units)

    @property
    def o_up(self) -> int:
        return self.o_s + len(self.loads)

    @property
    def n_var(self) -> int:
        return self.o_up + 2 * len(self.units)


def _solve_lp(
    compiled: CompiledGrid,
    topo: Topology,
    branch_ok: np.ndarray,
    demand: np.ndarray,
    load_dark: np.ndarray,
    unit_p0: np.ndarray,
    pmax: np.ndarray,
) -> tuple[np.ndarray, np.ndarray] | None:
    buses = np.flatnonzero(topo.bus_energized)
    bus_pos = np.full(compiled.n_bus, -1)
    bus_pos[buses] = np.arange(len(buses))
    lay = _Layout(buses, bus_pos, np.flatnonzero(topo.unit_ok), np.flatnonzero(~load_dark))
    live = np.flatnonzero(branch_ok & topo.bus_energized[compiled.branch_from])
    b_mw = compiled.branch_b_pu[live] * compiled.base_mva
    f = bus_pos[compiled.branch_from[live]]
    t = bus_pos[compiled.branch_to[live]]
    pf_inj = -b_mw * compiled.branch_shift_rad[live]
    a_eq, b_eq = _balance_rows(compiled, lay, f, t, b_mw, pf_inj, unit_p0)
    a_ub, b_ub = _limit_rows(compiled, lay, live, f, t, b_mw, pf_inj)
    n_u, n_l = len(lay.units), len(lay.loads)
    weight = np.array([PRIORITY_WEIGHT.get(int(p), 1.0) for p in compiled.load_priority[lay.loads]])
    cost = np.zeros(lay.n_var)
    cost[lay.o_s : lay.o_s + n_l] = -weight
    cost[lay.o_up :] = REDISPATCH_COST
    bounds = _bounds(compiled, topo, lay, demand, pmax)
    result = linprog(
        cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs"
    )
    if result.status != 0:
        return None
    x = result.x
    served = np.zeros(len(demand))
    # HiGHS meets the bounds within its feasibility tolerance (1e-7): the solution
    # is put on them exactly, so a served load never exceeds its demand
    served[lay.loads] = np.clip(x[lay.o_s : lay.o_s + n_l], 0.0, demand[lay.loads])
    unit_p = np.zeros(len(compiled.unit_kind))
    unit_p[lay.units] = x[lay.o_p : lay.o_p + n_u]
    return served, unit_p


def _balance_rows(
    compiled: CompiledGrid,
    lay: _Layout,
    f: np.ndarray,
    t: np.ndarray,
    b_mw: np.ndarray,
    pf_inj: np.ndarray,
    unit_p0: np.ndarray,
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Nodal balance ``p - s - B theta = fixed + inj`` and dispatch deviation
    ``p - up + down = p0``."""
    n_t, n_u, n_l = len(lay.buses), len(lay.units), len(lay.loads)
    inj = np.zeros(n_t)
    np.add.at(inj, f, pf_inj)
    np.subtract.at(inj, t, pf_inj)
    rows = [np.concatenate([f, t, f, t])]
    cols = [np.concatenate([f, t, t, f])]
    vals = [-np.concatenate([b_mw, b_mw, -b_mw, -b_mw])]
    rows.append(lay.bus_pos[compiled.unit_bus[lay.units]])
    cols.append(lay.o_p + np.arange(n_u))
    vals.append(np.ones(n_u))
    rows.append(lay.bus_pos[compiled.load_bus[lay.loads]])
    cols.append(lay.o_s + np.arange(n_l))
    vals.append(-np.ones(n_l))
    r = n_t + np.arange(n_u)
    o_dn = lay.o_up + n_u
    rows += [r, r, r]
    cols += [lay.o_p + np.arange(n_u), lay.o_up + np.arange(n_u), o_dn + np.arange(n_u)]
    vals += [np.ones(n_u), -np.ones(n_u), np.ones(n_u)]
    a_eq = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_t + n_u, lay.n_var),
    )
    b_eq = np.concatenate([compiled.bus_fixed_mw[lay.buses] + inj, unit_p0[lay.units]])
    return a_eq, b_eq


def _limit_rows(
    compiled: CompiledGrid,
    lay: _Layout,
    live: np.ndarray,
    f: np.ndarray,
    t: np.ndarray,
    b_mw: np.ndarray,
    pf_inj: np.ndarray,
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Branch limits on rated branches: ``|b (theta_f - theta_t) + pf_inj| <= R``."""
    rating = compiled.branch_rating_mw[live] * compiled.options.overload_limit_percent / 100.0
    k = np.flatnonzero(np.isfinite(rating))
    m = len(k)
    rr = np.concatenate([np.arange(m), np.arange(m)])
    cc = np.concatenate([f[k], t[k]])
    vv = np.concatenate([b_mw[k], -b_mw[k]])
    flow_rows = sp.csr_matrix((vv, (rr, cc)), shape=(m, lay.n_var))
    a_ub = sp.vstack([flow_rows, -flow_rows]).tocsr()
    b_ub = np.concatenate([rating[k] - pf_inj[k], rating[k] + pf_inj[k]])
    return a_ub, b_ub


def _bounds(
    compiled: CompiledGrid, topo: Topology, lay: _Layout, demand: np.ndarray, pmax: np.ndarray
) -> np.ndarray:
    """Free angles (zero at each island's reference), unit limits, ``0 <= s <= demand``."""
    n_t, n_u, n_l = len(lay.buses), len(lay.units), len(lay.loads)
    bounds = np.zeros((lay.n_var, 2))
    bounds[:n_t] = (-np.inf, np.inf)
    bounds[lay.bus_pos[reference_buses(compiled, topo)]] = (0.0, 0.0)
    lo = np.where(compiled.unit_forming, np.minimum(compiled.unit_p0_mw, 0.0), 0.0)
    hi = np.where(
        compiled.unit_forming, pmax, np.maximum(np.minimum(compiled.unit_p0_mw, pmax), 0.0)
    )
    bounds[lay.o_p : lay.o_p + n_u, 0] = lo[lay.units]
    bounds[lay.o_p : lay.o_p + n_u, 1] = hi[lay.units]
    bounds[lay.o_s : lay.o_s + n_l, 1] = demand[lay.loads]
    bounds[lay.o_up :, 1] = np.inf
    return bounds
