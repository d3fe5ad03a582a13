"""Compiled :math:`L D L^T` factorisation of grid states' DC matrices.

Every state's grounded susceptance matrix :math:`M = B + D_G` fills a
sub-pattern of the intact grid's (:class:`~gridmodel.engine.structure.Pattern`,
already in a fill-reducing order), so one symbolic analysis of the intact
pattern serves them all (:func:`symbolic`): its elimination tree and the
column counts of :math:`L`. A state is then factorised numerically
(:func:`factor_numeric`, compiled) into that fixed structure, with its removed
branches as explicit zeros: no ordering, no allocation, no pivoting (as
:func:`gridmodel.engine.lowrank.factor_reference`; a pivot below
:data:`~gridmodel.engine.lowrank.PIVOT_TOL` of the largest is refused and the
caller falls back to a pivoting LU).

The algorithm is the up-looking one of T. A. Davis, *Algorithm 849: a concise
sparse Cholesky factorization package*, ACM TOMS 31(4), 2005: row :math:`k`
of :math:`L` is a sparse triangular solve whose pattern is the set of
elimination-tree paths from the non-zeros of column :math:`k`. Because the
intact pattern is used for every state, the factor's structure, its
elimination tree and the tree's depth are the same for all states, which is
what the low-rank updates (:mod:`gridmodel.engine.lowrank`) walk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from gridmodel.engine.lowrank import _tree_depth
from gridmodel.engine.structure import Pattern


@dataclass(frozen=True, eq=False)
class Symbolic:
    """The intact pattern's elimination tree (``parent``, -1 at a root), its
    depth, the column pointers ``l_indptr`` and row indices ``l_indices`` of
    the strictly lower factor, and the row schedule of the numeric
    factorisation: row :math:`k` of :math:`L` takes the columns
    ``row_cols[row_ptr[k]:row_ptr[k + 1]]`` in that (topological) order, each
    into the slot ``row_slot`` of ``l_indices``/the values."""

    parent: np.ndarray
    depth: int
    l_indptr: np.ndarray
    l_indices: np.ndarray
    row_ptr: np.ndarray
    row_cols: np.ndarray
    row_slot: np.ndarray

    @property
    def nnz(self) -> int:
        """Entries of the strictly lower factor."""
        return int(self.l_indptr[-1])


def symbolic(pattern: Pattern) -> Symbolic:
    """The elimination tree, the factor's structure and the row schedule (factor order)."""
    n = len(pattern.indptr) - 1
    ap = np.asarray(pattern.indptr, dtype=np.int64)
    ai = np.asarray(pattern.indices, dtype=np.int64)
    parent, counts = _symbolic(ap, ai, n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    row_ptr, row_cols, row_slot, indices = _schedule(ap, ai, parent, indptr, n)
    return Symbolic(
        parent=parent,
        depth=int(_tree_depth(parent)),
        l_indptr=indptr,
        l_indices=indices,
        row_ptr=row_ptr,
        row_cols=row_cols,
        row_slot=row_slot,
    )


@njit(cache=True)
def _symbolic(ap, ai, n):
    parent = np.full(n, -1, dtype=np.int64)
    counts = np.zeros(n, dtype=np.int64)
    flag = np.full(n, -1, dtype=np.int64)
    for k in range(n):
        flag[k] = k
        for p in range(ap[k], ap[k + 1]):
            i = ai[p]
            while i < k and flag[i] != k:
                if parent[i] == -1:
                    parent[i] = k
                counts[i] += 1
                flag[i] = k
                i = parent[i]
    return parent, counts


@njit(cache=True)
def _schedule(ap, ai, parent, lp, n):
    """The row schedule of :func:`factor_numeric` and the factor's row indices.

    Row :math:`k`'s pattern is the union of the elimination-tree paths from
    the non-zeros of column :math:`k` above the diagonal (Davis's up-looking
    algorithm, its symbolic half), kept in the order the numeric half takes it.
    """
    row_ptr = np.zeros(n + 1, dtype=np.int64)
    row_cols = np.empty(lp[n], dtype=np.int64)
    row_slot = np.empty(lp[n], dtype=np.int64)
    li = np.empty(lp[n], dtype=np.int64)
    flag = np.full(n, -1, dtype=np.int64)
    stack = np.empty(n, dtype=np.int64)
    nnz = np.zeros(n, dtype=np.int64)
    q = 0
    for k in range(n):
        top = n
        flag[k] = k
        for p in range(ap[k], ap[k + 1]):
            i = ai[p]
            if i <= k:
                length = 0
                while flag[i] != k:
                    stack[length] = i
                    length += 1
                    flag[i] = k
                    i = parent[i]
                while length > 0:
                    top -= 1
                    length -= 1
                    stack[top] = stack[length]
        while top < n:
            i = stack[top]
            top += 1
            row_cols[q] = i
            row_slot[q] = lp[i] + nnz[i]
            li[lp[i] + nnz[i]] = k
            nnz[i] += 1
            q += 1
        row_ptr[k + 1] = q
    return row_ptr, row_cols, row_slot, li


@njit(cache=True)
def factor_numeric(ap, ai, ax, row_ptr, row_cols, row_slot, lp, li, lx, d, y, rows, pivot_tol):
    """Factorise the symmetric matrix ``(ap, ai, ax)`` (CSC, factor order) in place.

    Writes the strictly lower factor's values ``lx`` (structure ``lp``, ``li``
    and schedule ``row_ptr``, ``row_cols``, ``row_slot`` of :class:`Symbolic`)
    and the diagonal ``d``. ``y`` is a zeroed work array of length ``n``,
    zeroed again on return. Only the rows marked in ``rows`` are computed;
    the others are kept, which is exact when their inputs did not change: a
    change in column :math:`j` of the matrix changes only the rows of
    :math:`j`'s elimination-tree ancestors (row :math:`k` reads the rows of
    its pattern, all of them descendants of :math:`k`). Returns False if a
    pivot is zero or below ``pivot_tol`` of the largest.
    """
    n = len(d)
    for k in range(n):
        if not rows[k]:
            continue
        for p in range(ap[k], ap[k + 1]):
            i = ai[p]
            if i <= k:
                y[i] += ax[p]
        dk = y[k]
        y[k] = 0.0
        for q in range(row_ptr[k], row_ptr[k + 1]):
            i = row_cols[q]
            yi = y[i]
            y[i] = 0.0
            end = row_slot[q]
            for p in range(lp[i], end):
                y[li[p]] -= lx[p] * yi
            l_ki = yi / d[i]
            dk -= l_ki * yi
            lx[end] = l_ki
        d[k] = dk
        if dk == 0.0 or dk != dk:
            for i in range(n):
                y[i] = 0.0
            return False
    largest = 0.0
    smallest = np.inf
    for k in range(n):
        largest = max(largest, abs(d[k]))
        smallest = min(smallest, abs(d[k]))
    return n == 0 or smallest > pivot_tol * largest
