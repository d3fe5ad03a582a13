"""Low-rank updates of a reference susceptance factorisation.

The DC flow of a state solves :math:`M\\,\\theta = y` with
:math:`M = B + D_G`: the susceptance matrix of the branches in the matrix plus
a one on the diagonal of every grounded bus (see :mod:`gridmodel.engine.susceptance`).
A strike changes a handful of entries of a reference matrix :math:`M_0` (the
intact grid's, or an earlier step of the same cascade): each removed branch
:math:`k` adds :math:`-b_k a_k a_k^T` (:math:`a_k = e_f - e_t`) and each
newly grounded bus :math:`+e_i e_i^T`, so

.. math:: M = M_0 + V C V^T

with :math:`r` columns in :math:`V`. With :math:`M_0 = P^T L D L^T P`
factorised once per grid, the Sherman-Morrison-Woodbury identity gives

.. math::

    \\theta = M_0^{-1}\\,(y - V S^{-1} V^T \\theta_0), \\qquad
    \\theta_0 = M_0^{-1} y, \\qquad
    S = C^{-1} + W^T D^{-1} W, \\quad W = L^{-1} P V.

Each column of :math:`V` has one or two non-zeros, so each column of
:math:`W` is non-zero only on the elimination-tree paths from those buses to
the root (a few dozen buses even on thousand-bus grids), and a state costs two
triangular solve pairs and an :math:`r \\times r` dense solve instead of a
sparse factorisation.

Every answer is checked by its residual :math:`\\|M\\theta - y\\|_\\infty`;
a rank above :func:`rank_limit` or a residual above :data:`RESIDUAL_PU` returns
``None`` and the caller factorises the state's matrix instead. The result
depends only on the state and its reference (the intact grid, or a step of
the state's own cascade), never on other states, so Monte Carlo samples are
reproducible whatever the order or the number of workers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numba import njit
from scipy.sparse.linalg import splu

#: Bounds of the largest number of changed entries (branches and grounded
#: buses) solved by low-rank update (:func:`rank_limit`). Beyond it,
#: factorising the state as a new reference is cheaper: measured crossovers
#: against that are about 110 on case118, 180 on case1354pegase and 220 on
#: case2869pegase; the limit sits at about 70 % of them, since a new
#: reference also makes the next cascade steps cheap.
MIN_RANK_LIMIT = 24
MAX_RANK = 256

#: Smallest pivot, relative to the largest, accepted in a reference
#: factorisation (no pivoting: a matrix with a negative-reactance branch is
#: indefinite but usually still factorises; residuals are checked).
PIVOT_TOL = 1e-12

#: Largest accepted residual of the updated solve (per unit injection, i.e.
#: 1e-7 MW on a 100 MVA base).
RESIDUAL_PU = 1e-9


@dataclass(frozen=True, eq=False)
class ReferenceFactor:
    """:math:`M_0 = P^T L D L^T P` of a reference matrix, and :math:`P M_0 P^T`.

    ``position[i]`` is bus ``i``'s place in the factor order; ``l_*`` hold the
    strictly lower part of the unit lower factor in CSC form; ``parent`` is the
    elimination tree (-1 at a root); ``depth`` its height.
    """

    branches: np.ndarray
    grounded: np.ndarray
    position: np.ndarray
    l_indptr: np.ndarray
    l_indices: np.ndarray
    l_data: np.ndarray
    diag: np.ndarray
    parent: np.ndarray
    depth: int
    m_indptr: np.ndarray
    m_indices: np.ndarray
    m_data: np.ndarray


def factor_reference(
    ordered: sp.csc_matrix,
    position: np.ndarray,
    branches: np.ndarray,
    grounded: np.ndarray,
) -> ReferenceFactor:
    """Factorise a symmetric matrix as :math:`P^T L D L^T P` (no pivoting).

    ``ordered`` is the matrix with its buses already in a fill-reducing order
    (bus ``i`` at row and column ``position[i]``); ``branches`` and
    ``grounded`` are the masks it was built from.
    """
    n = ordered.shape[0]
    lu = splu(
        ordered,
        permc_spec="NATURAL",
        diag_pivot_thresh=0.0,
        options={"SymmetricMode": True},
    )
    natural = np.arange(n)
    if not (np.array_equal(lu.perm_r, natural) and np.array_equal(lu.perm_c, natural)):
        raise np.linalg.LinAlgError("the factorisation pivoted")
    lower, parent = _strict_lower(lu.L)
    diag = lu.U.diagonal().copy()
    if n and not (np.abs(diag) > PIVOT_TOL * np.abs(diag).max()).all():
        raise np.linalg.LinAlgError("a pivot of the factorisation is (nearly) zero")
    matrix = sp.csc_matrix(ordered)
    return ReferenceFactor(
        branches=branches.copy(),
        grounded=grounded.copy(),
        position=np.asarray(position, dtype=np.int64),
        l_indptr=lower.indptr.astype(np.int64),
        l_indices=lower.indices.astype(np.int64),
        l_data=lower.data.astype(float),
        diag=diag,
        parent=parent,
        depth=int(_tree_depth(parent)),
        m_indptr=matrix.indptr.astype(np.int64),  # factor order
        m_indices=matrix.indices.astype(np.int64),
        m_data=matrix.data.astype(float),
    )


def solve_reference(ref: ReferenceFactor, rhs: np.ndarray) -> np.ndarray | None:
    """Solve :math:`M_0\\,\\theta = rhs` with the reference factorisation itself.

    Returns ``None`` if the residual exceeds :data:`RESIDUAL_PU` (an
    indefinite matrix factorised without pivoting can be inaccurate).
    """
    rhs = np.ascontiguousarray(rhs, dtype=float)
    theta = _ldl_solve(ref.position, ref.l_indptr, ref.l_indices, ref.l_data, ref.diag, rhs)
    none = np.zeros(0, dtype=np.int64)
    residual = _residual(
        ref.position, ref.m_indptr, ref.m_indices, ref.m_data, theta, rhs, none, none, np.zeros(0)
    )
    return theta if residual <= RESIDUAL_PU else None


def solve_updated(
    ref: ReferenceFactor,
    branch_from: np.ndarray,
    branch_to: np.ndarray,
    branch_b: np.ndarray,
    branches: np.ndarray,
    grounded: np.ndarray,
    rhs: np.ndarray,
) -> np.ndarray | None:
    """Solve :math:`M\\,\\theta = rhs` for the matrix of ``branches`` and ``grounded``.

    Returns ``None`` when the update has more than :func:`rank_limit` columns or
    its residual exceeds :data:`RESIDUAL_PU` (the caller then factorises).
    """
    removed = np.flatnonzero((ref.branches != branches) & (branch_b != 0.0))
    changed = np.flatnonzero(ref.grounded != grounded)
    rank = len(removed) + len(changed)
    if rank > rank_limit(len(grounded)):
        return None
    col_a = np.concatenate([branch_from[removed], changed]).astype(np.int64)
    col_b = np.concatenate([branch_to[removed], np.full(len(changed), -1)]).astype(np.int64)
    coef = np.concatenate(
        [
            np.where(branches[removed], 1.0, -1.0) * branch_b[removed],
            np.where(grounded[changed], 1.0, -1.0),
        ]
    )
    rhs = np.ascontiguousarray(rhs, dtype=float)
    try:
        theta, residual = _woodbury(
            ref.position,
            ref.l_indptr,
            ref.l_indices,
            ref.l_data,
            ref.diag,
            ref.parent,
            ref.depth,
            ref.m_indptr,
            ref.m_indices,
            ref.m_data,
            rhs,
            col_a,
            col_b,
            coef,
        )
    except np.linalg.LinAlgError:  # a singular capacitance matrix: factorise instead
        return None
    if not residual <= RESIDUAL_PU:
        return None
    return theta


def rank_limit(n_bus: int) -> int:
    """Largest update solved by low rank on a grid of ``n_bus`` buses."""
    return min(MAX_RANK, max(MIN_RANK_LIMIT, int(28 * max(n_bus, 1) ** 0.2)))


def _strict_lower(unit_lower: sp.csc_matrix) -> tuple[sp.csc_matrix, np.ndarray]:
    """The strictly lower part of a unit lower factor, and its elimination tree.

    The tree's parent of column ``j`` is the first row below the diagonal.
    """
    unit_lower = sp.csc_matrix(unit_lower)
    n = unit_lower.shape[0]
    counts = np.diff(unit_lower.indptr)
    cols = np.repeat(np.arange(n), counts)
    below = unit_lower.indices > cols
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols[below], minlength=n), out=indptr[1:])
    lower = sp.csc_matrix((unit_lower.data[below], unit_lower.indices[below], indptr), (n, n))
    parent = np.full(n, -1, dtype=np.int64)
    rows = np.where(below, unit_lower.indices, n)
    if len(rows):
        first = np.minimum.reduceat(rows, unit_lower.indptr[:-1].clip(max=len(rows) - 1))
        first = np.where(counts > 0, first, n)
        parent = np.where(first < n, first, -1).astype(np.int64)
    return lower, parent


@njit(cache=True)
def _tree_depth(parent):
    depth = np.zeros(len(parent), dtype=np.int64)
    deepest = 0
    for j in range(len(parent) - 1, -1, -1):  # parents come after children
        if parent[j] >= 0:
            depth[j] = depth[parent[j]] + 1
            deepest = max(deepest, depth[j])
    return deepest


@njit(cache=True)
def _diagonal_and_backward(lp, li, lx, d, x):
    """``x`` := :math:`L^{-T} D^{-1} x` in place (factor order)."""
    n = len(d)
    for j in range(n):
        x[j] /= d[j]
    for j in range(n - 1, -1, -1):
        s = x[j]
        for p in range(lp[j], lp[j + 1]):
            s -= lx[p] * x[li[p]]
        x[j] = s


@njit(cache=True)
def _ldl_solve(position, lp, li, lx, d, y):
    n = len(d)
    x = np.empty(n)
    for i in range(n):
        x[position[i]] = y[i]
    for j in range(n):
        xj = x[j]
        if xj != 0.0:
            for p in range(lp[j], lp[j + 1]):
                x[li[p]] -= lx[p] * xj
    _diagonal_and_backward(lp, li, lx, d, x)
    out = np.empty(n)
    for i in range(n):
        out[i] = x[position[i]]
    return out


@njit(cache=True)
def _woodbury(position, lp, li, lx, d, parent, depth, mp, mi, mx, y, col_a, col_b, coef):
    theta0 = _ldl_solve(position, lp, li, lx, d, y)
    return _woodbury_from(theta0, position, lp, li, lx, d, parent, depth, mp, mi, mx, y, col_a,
                          col_b, coef)  # fmt: skip


@njit(cache=True)
def _woodbury_from(theta0, position, lp, li, lx, d, parent, depth, mp, mi, mx, y, col_a, col_b,
                   coef):  # fmt: skip
    """:func:`_woodbury` given :math:`\\theta_0 = M_0^{-1} y` (a cascade step reuses it)."""
    n = len(d)
    r = len(coef)
    # sparse forward solves W_j = L^-1 P v_j along elimination-tree paths
    width = 2 * (depth + 1)
    nodes = np.empty(r * width, dtype=np.int64)
    values = np.empty(r * width)
    start = np.zeros(r + 1, dtype=np.int64)
    mark = np.full(n, -1, dtype=np.int64)
    work = np.zeros(n)
    for j in range(r):
        k = start[j]
        for end in range(2):
            bus = col_a[j] if end == 0 else col_b[j]
            if bus < 0:
                continue
            node = position[bus]
            work[node] += 1.0 if end == 0 else -1.0
            while node >= 0 and mark[node] != j:
                mark[node] = j
                nodes[k] = node
                k += 1
                node = parent[node]
        path = np.sort(nodes[start[j] : k])
        nodes[start[j] : k] = path
        for node in path:
            xj = work[node]
            if xj != 0.0:
                for p in range(lp[node], lp[node + 1]):
                    work[li[p]] -= lx[p] * xj
        for q in range(start[j], k):
            values[q] = work[nodes[q]]
            work[nodes[q]] = 0.0
        start[j + 1] = k
    # S = C^-1 + W^T D^-1 W
    s = np.zeros((r, r))
    for i in range(r):
        for q in range(start[i], start[i + 1]):
            work[nodes[q]] = values[q] / d[nodes[q]]
        for j in range(i, r):
            acc = 0.0
            for q in range(start[j], start[j + 1]):
                acc += values[q] * work[nodes[q]]
            s[i, j] = acc
            s[j, i] = acc
        for q in range(start[i], start[i + 1]):
            work[nodes[q]] = 0.0
        s[i, i] += 1.0 / coef[i]
    u = np.empty(r)
    for j in range(r):
        u[j] = theta0[col_a[j]] - (theta0[col_b[j]] if col_b[j] >= 0 else 0.0)
    z = np.linalg.solve(s, u)
    # theta = theta0 - M0^-1 V z, and M0^-1 V z = P^T L^-T D^-1 (W z): W is known,
    # so only the backward solve is left
    for j in range(r):
        for q in range(start[j], start[j + 1]):
            work[nodes[q]] += z[j] * values[q]
    _diagonal_and_backward(lp, li, lx, d, work)
    theta = np.empty(n)
    for i in range(n):
        theta[i] = theta0[i] - work[position[i]]
    return theta, _residual(position, mp, mi, mx, theta, y, col_a, col_b, coef)


@njit(cache=True)
def _residual(position, mp, mi, mx, theta, y, col_a, col_b, coef):
    """:math:`\\|M\\theta - y\\|_\\infty` with :math:`M = M_0 + V C V^T` (NaN gives inf)."""
    n = len(y)
    r = len(coef)
    res = -y.copy()
    bus_at = np.empty(n, dtype=np.int64)
    for i in range(n):
        bus_at[position[i]] = i
    for c in range(n):
        tc = theta[bus_at[c]]
        for p in range(mp[c], mp[c + 1]):
            res[bus_at[mi[p]]] += mx[p] * tc
    for j in range(r):
        vt = theta[col_a[j]] - (theta[col_b[j]] if col_b[j] >= 0 else 0.0)
        res[col_a[j]] += coef[j] * vt
        if col_b[j] >= 0:
            res[col_b[j]] -= coef[j] * vt
    worst = 0.0
    for i in range(n):
        a = abs(res[i])
        if a > worst or a != a:
            worst = a if a == a else np.inf
    return worst
