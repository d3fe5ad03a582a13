"""Susceptance matrices of grid states: one sparsity pattern per grid, cached LU.

The DC power flow of a state solves :math:`B\\,\\theta = P` with the rows and
columns of grounded buses (dead buses and each island's reference) replaced by
the identity. Every state's :math:`B` is a sub-pattern of the intact grid's,
so the structure is built once per compiled grid:

* a fill-reducing bus order (minimum degree on the intact matrix). A state only
  removes branches and grounds buses, so the order stays good and each
  state's factorisation (SuperLU) skips the ordering step;
* the CSC structure, in that order, of the matrix with every branch and every
  diagonal. A state's matrix only fills the data array (zeros where a branch
  is out or a bus grounded): no sorting or duplicate summing per state;
* branch endpoints sorted by bus, for the connectivity graph of a state.

Factorisations are cached by topology (Monte Carlo states repeat).
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from gridmodel.compiled import CompiledGrid

#: Factorisations kept per compiled grid.
LU_CACHE_SIZE = 512


def connectivity_graph(compiled: CompiledGrid, branch_ok: np.ndarray) -> sp.csr_matrix:
    """Bus adjacency (both directions) of the branches in ``branch_ok``."""
    pattern = _pattern(compiled)
    n = compiled.n_bus
    keep = branch_ok[pattern.graph_branch]
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(pattern.graph_row[keep], minlength=n), out=indptr[1:])
    indices = pattern.graph_col[keep]
    return sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(n, n))


def solve_grounded(
    compiled: CompiledGrid, live: np.ndarray, grounded: np.ndarray, rhs: np.ndarray
) -> np.ndarray:
    """Solve :math:`B\\,\\theta = rhs` for the live branches, grounded buses fixed.

    ``rhs`` must be zero at grounded buses (their angle is then zero).
    """
    order = _pattern(compiled).order
    theta = np.empty(compiled.n_bus)
    theta[order] = _factor(compiled, live, grounded).solve(rhs[order])
    return theta


_LU: weakref.WeakKeyDictionary[CompiledGrid, OrderedDict[bytes, object]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True, eq=False)
class _Pattern:
    """Sparsity structures of a compiled grid (see the module docstring).

    ``slots`` maps each branch's four entries (ff, tt, ft, tf) and then each
    bus diagonal to its place in the CSC data array; ``slot_row`` and
    ``slot_col`` name the buses of each place.
    """

    order: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    slots: np.ndarray
    slot_row: np.ndarray
    slot_col: np.ndarray
    diag_slot: np.ndarray  # per bus
    graph_row: np.ndarray
    graph_col: np.ndarray
    graph_branch: np.ndarray


_PATTERN: weakref.WeakKeyDictionary[CompiledGrid, _Pattern] = weakref.WeakKeyDictionary()


def _pattern(compiled: CompiledGrid) -> _Pattern:
    pattern = _PATTERN.get(compiled)
    if pattern is not None:
        return pattern
    n, m = compiled.n_bus, compiled.n_branch
    f, t = compiled.branch_from, compiled.branch_to
    buses = np.arange(n)
    rows = np.concatenate([f, t, f, t, buses])
    cols = np.concatenate([f, t, t, f, buses])
    # minimum-degree order of the intact matrix grounded at its first bus
    b = np.abs(compiled.branch_b_pu) + 1.0
    # every bus on the diagonal (+1): nonsingular even for a disconnected intact
    # grid; the order depends on the structure only
    data = np.concatenate([b, b, -b, -b, np.ones(n)])
    keep = ~(((rows == 0) | (cols == 0)) & (rows != cols))
    intact = sp.csc_matrix((data[keep], (rows[keep], cols[keep])), shape=(n, n))
    lu = splu(intact, permc_spec="MMD_AT_PLUS_A", options={"SymmetricMode": True})
    order = np.argsort(lu.perm_c)
    position = np.empty(n, dtype=np.int64)
    position[order] = buses
    # CSC structure in that order; slots of every entry
    key = position[cols] * n + position[rows]
    uniq, slots = np.unique(key, return_inverse=True)
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(uniq // n, minlength=n), out=indptr[1:])
    slot_row = order[uniq % n]
    slot_col = order[uniq // n]
    sort = np.argsort(np.concatenate([f, t]), kind="stable")
    pattern = _Pattern(
        order=order,
        indptr=indptr,
        indices=(uniq % n).astype(np.int32),
        slots=slots,
        slot_row=slot_row,
        slot_col=slot_col,
        diag_slot=slots[4 * m :],
        graph_row=np.concatenate([f, t])[sort],
        graph_col=np.concatenate([t, f])[sort],
        graph_branch=np.concatenate([np.arange(m), np.arange(m)])[sort],
    )
    _PATTERN[compiled] = pattern
    return pattern


def _grounded_matrix(
    compiled: CompiledGrid, live: np.ndarray, grounded: np.ndarray
) -> sp.csc_matrix:
    """Susceptance matrix of the live branches in :class:`_Pattern` order, with
    the rows and columns of grounded buses replaced by the identity."""
    pattern = _pattern(compiled)
    n = compiled.n_bus
    b = np.where(live, compiled.branch_b_pu, 0.0)
    weights = np.concatenate([b, b, -b, -b, np.zeros(n)])
    data = np.bincount(pattern.slots, weights=weights, minlength=len(pattern.indices))
    data[grounded[pattern.slot_row] | grounded[pattern.slot_col]] = 0.0
    data[pattern.diag_slot[grounded]] = 1.0
    return sp.csc_matrix((data, pattern.indices, pattern.indptr), shape=(n, n))


def _factor(compiled: CompiledGrid, live: np.ndarray, grounded: np.ndarray) -> Any:
    """Sparse LU of the grounded susceptance matrix in :class:`_Pattern` order,
    cached by topology."""
    cache = _LU.setdefault(compiled, OrderedDict())
    key = np.packbits(live).tobytes() + np.packbits(grounded).tobytes()
    hit = cache.get(key)
    if hit is not None:
        cache.move_to_end(key)
        return hit
    lu = splu(_grounded_matrix(compiled, live, grounded), permc_spec="NATURAL")
    cache[key] = lu
    if len(cache) > LU_CACHE_SIZE:
        cache.popitem(last=False)
    return lu
