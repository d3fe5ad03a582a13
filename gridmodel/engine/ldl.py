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
    depth and the column pointers of the strictly lower factor."""

    parent: np.ndarray
    depth: int
    l_indptr: np.ndarray

    @property
    def nnz(self) -> int:
        """Entries of the strictly lower factor."""
        return int(self.l_indptr[-1])


def symbolic(pattern: Pattern) -> Symbolic:
    """The elimination tree and column counts of the intact pattern (factor order)."""
    n = len(pattern.indptr) - 1
    parent, counts = _symbolic(
        np.asarray(pattern.indptr, dtype=np.int64), np.asarray(pattern.indices, dtype=np.int64), n
    )
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return Symbolic(parent=parent, depth=int(_tree_depth(parent)), l_indptr=indptr)


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
def factor_numeric(ap, ai, ax, parent, lp, li, lx, d, y, flag, stack, nnz, pivot_tol):
    """Factorise the symmetric matrix ``(ap, ai, ax)`` (CSC, factor order) in place.

    Writes the strictly lower factor's rows ``li`` and values ``lx`` (column
    pointers ``lp`` from :func:`symbolic`) and the diagonal ``d``; ``y``,
    ``flag``, ``stack`` and ``nnz`` are work arrays of length ``n``. Returns
    False if a pivot is zero or below ``pivot_tol`` of the largest.
    """
    n = len(d)
    for k in range(n):
        y[k] = 0.0
        top = n
        flag[k] = k
        nnz[k] = 0
        for p in range(ap[k], ap[k + 1]):
            i = ai[p]
            if i <= k:
                y[i] += ax[p]
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
        d[k] = y[k]
        y[k] = 0.0
        while top < n:
            i = stack[top]
            top += 1
            yi = y[i]
            y[i] = 0.0
            end = lp[i] + nnz[i]
            for p in range(lp[i], end):
                y[li[p]] -= lx[p] * yi
            l_ki = yi / d[i]
            d[k] -= l_ki * yi
            li[end] = k
            lx[end] = l_ki
            nnz[i] += 1
        if d[k] == 0.0 or d[k] != d[k]:
            return False
    largest = 0.0
    smallest = np.inf
    for k in range(n):
        largest = max(largest, abs(d[k]))
        smallest = min(smallest, abs(d[k]))
    return n == 0 or smallest > pivot_tol * largest
