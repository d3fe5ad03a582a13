"""Compiled DC evaluation of one grid state, with the trip cascade.

The rules are those of :mod:`gridmodel.engine.dc` and
:mod:`gridmodel.engine.overload` (``trip``), in one compiled function per
state (:func:`cascade_state`) so that a batch of states costs no Python per
state (:mod:`gridmodel.engine.batch` drives it):

1. islands (:func:`~gridmodel.engine.islands._label`) and energisation;
2. the supply balance (:func:`~gridmodel.engine.supply._balance`);
3. the DC flow: a low-rank update of the intact grid's factorisation
   (:func:`~gridmodel.engine.lowrank._woodbury`), or, above the rank limit or
   the residual, this step's own :math:`L D L^T` (:mod:`gridmodel.engine.ldl`),
   which becomes the reference of the next steps: each of them changes that
   matrix in place and refactorises only the rows its changes reach
   (:func:`change_matrix`);
4. every branch above the trip threshold trips at once and the state is
   evaluated again, until nothing trips.

Each cascade step after the first is therefore an update of the last
factorisation by the branches just tripped, never a fresh sparse LU, and a
state whose first flow overloads nothing costs one step.

A state whose own matrix cannot be factorised without pivoting returns
:data:`FALLBACK`; the caller evaluates it on the pivoting path.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from gridmodel.engine.ldl import factor_numeric
from gridmodel.engine.lowrank import _ldl_solve, _residual, _woodbury_from
from gridmodel.engine.supply import _balance

#: Counters kept in the first array of the kernel's workspace (after the
#: reference flag): steps, steps whose trips split an island (islands and
#: balance made again), low-rank updates, factorisations.
COUNT_STEPS, COUNT_SPLITS, COUNT_UPDATES, COUNT_FACTORS = 1, 2, 3, 4

#: :func:`cascade_state` status: evaluated.
DONE = 0
#: :func:`cascade_state` status: a step needs a pivoting factorisation.
FALLBACK = -1


@njit(cache=True)
def stage_matrix(g, live, grounded, data):
    """The grounded susceptance matrix's values (intact pattern, factor order)."""
    f, b, slots, diag_slot = g[0], g[2], g[12], g[13]
    m = len(f)
    data[:] = 0.0
    for k in range(m):  # in np.bincount's order: ff, tt, ft, tf
        if live[k]:
            data[slots[k]] += b[k]
    for k in range(m):
        if live[k]:
            data[slots[m + k]] += b[k]
    for k in range(m):
        if live[k]:
            data[slots[2 * m + k]] -= b[k]
    for k in range(m):
        if live[k]:
            data[slots[3 * m + k]] -= b[k]
    for i in range(len(grounded)):
        if grounded[i]:
            data[diag_slot[i]] += 1.0


@njit(cache=True)
def change_matrix(g, ref_live, ref_grounded, live, grounded, data, position, parent, rows):
    """Change the reference's matrix values ``data`` to ``(live, grounded)`` in place,
    and mark in ``rows`` the factor rows that change with them (the elimination-tree
    paths from every changed bus up to the root)."""
    f, t, b, slots, diag_slot = g[0], g[1], g[2], g[12], g[13]
    m = len(f)
    for k in range(m):
        if ref_live[k] != live[k] and b[k] != 0.0:
            step = b[k] if live[k] else -b[k]
            data[slots[k]] += step
            data[slots[m + k]] += step
            data[slots[2 * m + k]] -= step
            data[slots[3 * m + k]] -= step
            _mark_path(position[f[k]], parent, rows)
            _mark_path(position[t[k]], parent, rows)
    for i in range(len(grounded)):
        if ref_grounded[i] != grounded[i]:
            data[diag_slot[i]] += 1.0 if grounded[i] else -1.0
            _mark_path(position[i], parent, rows)


@njit(cache=True)
def _mark_path(node, parent, rows):
    while node >= 0 and not rows[node]:
        rows[node] = True
        node = parent[node]


#: Most branches tripped at one step whose ends are searched for a path
#: (:func:`all_joined`); beyond it the islands are found afresh.
JOIN_CHECKS = 12


@njit(cache=True)
def all_joined(g, branch_ok, tripped, search):
    """Whether the ends of every branch in ``tripped`` are still joined by ``branch_ok``.

    If they all are, the islands are unchanged (removing branches can only
    split an island) and the island search is skipped. Each check is a
    two-sided breadth-first search that grows the smaller side: it ends as
    soon as the sides meet, or when one side runs out (a split, found after
    visiting the smaller part). More than :data:`JOIN_CHECKS` trips: False.
    """
    if len(tripped) > JOIN_CHECKS:
        return False
    indptr, neighbour, via = g[5], g[6], g[7]
    mark, side_a, side_b = search
    for k in tripped:
        mark[-1] += 1  # a new stamp per search, kept in the spare last slot
        stamp = mark[-1]
        a, b = g[0][k], g[1][k]
        mark[a], mark[b] = stamp, -stamp
        side_a[0], side_b[0] = a, b
        head_a, tail_a, head_b, tail_b = 0, 1, 0, 1
        met = False
        while not met and head_a < tail_a and head_b < tail_b:
            grow_a = tail_a - head_a <= tail_b - head_b
            node = side_a[head_a] if grow_a else side_b[head_b]
            own_mark, other = (stamp, -stamp) if grow_a else (-stamp, stamp)
            if grow_a:
                head_a += 1
            else:
                head_b += 1
            for p in range(indptr[node], indptr[node + 1]):
                if not branch_ok[via[p]]:
                    continue
                nxt = neighbour[p]
                if mark[nxt] == other:
                    met = True
                    break
                if mark[nxt] != own_mark:
                    mark[nxt] = own_mark
                    if grow_a:
                        side_a[tail_a] = nxt
                        tail_a += 1
                    else:
                        side_b[tail_b] = nxt
                        tail_b += 1
        if not met:
            return False
    return True


@njit(cache=True)
def islands_and_balance(g, bus, labels, n_isl, unit, load, pmax, demand, tol):
    """Energisation and supply balance of one step's islands (``labels``, ``n_isl``)."""
    unit_bus, forming = g[8], g[9]
    energized_island = np.zeros(n_isl, dtype=np.bool_)
    unit_ok = np.zeros(len(unit_bus), dtype=np.bool_)
    for u in range(len(unit_bus)):
        unit_ok[u] = unit[u] and bus[unit_bus[u]]
        if unit_ok[u] and forming[u]:
            energized_island[labels[unit_bus[u]]] = True
    energized = np.zeros(len(bus), dtype=np.bool_)
    for i in range(len(bus)):
        if bus[i]:
            energized[i] = energized_island[labels[i]]
    for u in range(len(unit_bus)):
        unit_ok[u] = unit_ok[u] and energized[unit_bus[u]]
    if n_isl == 0:
        served = np.zeros(len(demand))
        unit_p = np.zeros(len(unit_bus))
        dark = np.ones(len(demand), dtype=np.bool_)
    else:
        served, unit_p, dark = _balance(
            n_isl, labels, energized, energized_island, g[11], g[14], load, demand,
            g[15], unit_bus, unit_ok, forming, g[10], pmax, tol,
        )  # fmt: skip
    return energized_island, energized, unit_ok, served, unit_p, dark


@njit(cache=True)
def stage_rhs(g, base_mva, labels, n_isl, energized, unit_ok, served, unit_p, live):
    """Right-hand side of the grounded DC system, its grounded buses and ``pf_inj``."""
    f, t, b, shift = g[0], g[1], g[2], g[3]
    unit_bus, forming, rank, load_bus = g[8], g[9], g[16], g[14]
    n = len(labels)
    p = np.zeros(n)
    for u in range(len(unit_bus)):
        if unit_ok[u]:
            p[unit_bus[u]] += unit_p[u]
    drawn = np.zeros(n)
    for i in range(len(load_bus)):
        drawn[load_bus[i]] += served[i]
    rhs = np.zeros(n)
    for i in range(n):
        if energized[i]:
            rhs[i] = (p[i] - drawn[i] - g[11][i]) / base_mva
    pf_inj = np.zeros(len(f))
    inj_from = np.zeros(n)
    inj_to = np.zeros(n)
    for k in g[18]:  # only a phase shifter has an injection
        if live[k]:
            pf_inj[k] = -b[k] * shift[k]
        inj_from[f[k]] += pf_inj[k]
        inj_to[t[k]] += pf_inj[k]
    for i in range(n):
        rhs[i] -= inj_from[i] - inj_to[i]
    grounded = labels < 0  # dead buses
    ref_of = np.full(n_isl, -1, dtype=np.int64)
    for u in rank:  # the island's largest source is its angle reference
        if unit_ok[u] and forming[u] and ref_of[labels[unit_bus[u]]] < 0:
            ref_of[labels[unit_bus[u]]] = unit_bus[u]
    total = np.zeros(n_isl)
    for i in range(n):
        if energized[i]:
            total[labels[i]] += rhs[i]
        elif labels[i] >= 0 and ref_of[labels[i]] < 0:
            ref_of[labels[i]] = i  # a dark island is grounded at its lowest bus
    for isl in range(n_isl):
        r = ref_of[isl]
        grounded[r] = True
        rhs[r] -= total[isl]  # zero in a dark island
    return rhs, grounded, pf_inj


@njit(cache=True)
def update_columns(ref_live, ref_grounded, f, t, b, live, grounded):
    """The columns of the low-rank change from a reference to ``(live, grounded)``."""
    r = 0
    for k in range(len(f)):
        if ref_live[k] != live[k] and b[k] != 0.0:
            r += 1
    for i in range(len(grounded)):
        if ref_grounded[i] != grounded[i]:
            r += 1
    col_a = np.empty(r, dtype=np.int64)
    col_b = np.empty(r, dtype=np.int64)
    coef = np.empty(r)
    j = 0
    for k in range(len(f)):
        if ref_live[k] != live[k] and b[k] != 0.0:
            col_a[j], col_b[j] = f[k], t[k]
            coef[j] = b[k] if live[k] else -b[k]
            j += 1
    for i in range(len(grounded)):
        if ref_grounded[i] != grounded[i]:
            col_a[j], col_b[j] = i, -1
            coef[j] = 1.0 if grounded[i] else -1.0
            j += 1
    return col_a, col_b, coef


@njit(cache=True)
def solve_stage(base, own, sym, g, live, grounded, rhs, theta0, limits):
    """Angles of one step; updates ``own`` (the state's reference) when it factorises.

    ``own[0][0]`` is 1 while the state's own factorisation is its reference
    (changed and refactorised on the rows that change), 0 while the intact
    grid's is (updated up to the rank limit). ``theta0`` is the intact
    factorisation's solution for ``rhs`` if known (empty if not). Returns the angles, True (False if
    the step needs a pivoting factorisation) and the reference's solution
    for ``rhs`` (a next step with the same ``rhs`` reuses it).
    """
    rank_limit, residual_tol, pivot_tol, spd = limits
    flag_ref, o_live, o_grounded, o_li, o_lx, o_d, o_mx = own[:7]
    position, parent, lp = sym[0], sym[1], sym[3]
    mp, mi = sym[4], sym[5]
    f, t, b = g[0], g[1], g[2]
    if flag_ref[0] == 0:  # the intact grid's factorisation is the reference: update it
        col_a, col_b, coef = update_columns(base[10], base[11], f, t, b, live, grounded)
        if len(coef) <= rank_limit:
            if len(theta0) != len(rhs):
                theta0 = _ldl_solve(base[0], base[1], base[2], base[3], base[4], rhs)
            theta, residual = rhs, np.inf
            try:
                theta, residual = _woodbury_from(
                    theta0, base[0], base[1], base[2], base[3], base[4], base[5], base[6][0],
                    base[7], base[8], base[9], rhs, col_a, col_b, coef,
                )  # fmt: skip
            except Exception:  # a singular capacitance matrix: factorise instead
                residual = np.inf
            if residual <= residual_tol:
                flag_ref[COUNT_UPDATES] += 1
                return theta, True, theta0
    rows = own[8]
    if flag_ref[0] == 0:  # the workspace holds another state's factor: all of it anew
        stage_matrix(g, live, grounded, o_mx)
        rows[:] = True
    else:  # the state's own factor: its changed rows only
        rows[:] = False
        change_matrix(g, o_live, o_grounded, live, grounded, o_mx, position, parent, rows)
    if not factor_numeric(mp, mi, o_mx, sym[6], sym[7], sym[8], lp, o_li, o_lx, o_d, own[7],
                          rows, pivot_tol):  # fmt: skip
        return rhs, False, theta0
    flag_ref[0] = 1
    flag_ref[COUNT_FACTORS] += 1
    o_live[:] = live
    o_grounded[:] = grounded
    theta = _ldl_solve(position, lp, o_li, o_lx, o_d, rhs)
    if spd:  # LDL' of a definite matrix is backward stable: only a non-finite input is left
        for i in range(len(theta)):
            if not np.isfinite(theta[i]):
                return theta, False, theta
        return theta, True, theta
    none = np.zeros(0, dtype=np.int64)
    residual = _residual(position, mp, mi, o_mx, theta, rhs, none, none, np.zeros(0))
    return theta, residual <= residual_tol, theta
