"""Susceptance matrices of grid states: low-rank updates or a cached LU.

The DC power flow of a state solves :math:`M\\,\\theta = y` with
:math:`M = B + D_G`: the susceptance matrix :math:`B` of the energised
branches plus a one on the diagonal of every grounded bus (every bus outside
an energised island, and each energised island's reference). With ``y`` zero
outside energised islands and, at an island's reference, minus the sum of the
island's other entries, the reference angle comes out zero and the other
angles are those of the grounded system.

A state close to a reference state (the intact grid, or the last factorised
step of the same cascade) is solved by a low-rank update of the reference
factorisation (:mod:`gridmodel.engine.lowrank`). Otherwise its own matrix is
factorised as a new reference (an :math:`L D L^T` without pivoting; a
pivoting LU if that is not sound). Every state's :math:`B` is a sub-pattern
of the intact grid's, so that structure is built once per compiled grid:

* a fill-reducing bus order (minimum degree on the intact matrix). A state only
  removes branches and grounds buses, so the order stays good and each
  state's factorisation (SuperLU) skips the ordering step;
* the CSC structure, in that order, of the matrix with every branch and every
  diagonal. A state's matrix only fills the data array (zeros where a branch
  is out, plus one at grounded buses): no sorting or duplicate summing per
  state.

Factorisations are cached by topology (Monte Carlo states repeat) in small
least-recently-used caches; a result never depends on what is cached.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from gridmodel.engine.compiled import CompiledGrid
from gridmodel.engine.lowrank import ReferenceFactor, factor_reference, solve_reference, solve_updated

#: Factorisations kept per compiled grid.
LU_CACHE_SIZE = 512


#: Reference factorisations kept per compiled grid: the base state's and
#: recent cascade steps' (each step builds on the previous one).
REFERENCE_CACHE_SIZE = 16


def solve_grounded(
    compiled: CompiledGrid,
    live: np.ndarray,
    grounded: np.ndarray,
    rhs: np.ndarray,
    *,
    reference: ReferenceFactor | None = None,
) -> tuple[np.ndarray, ReferenceFactor | None]:
    """Solve :math:`(B + D_G)\\,\\theta = rhs` for the ``live`` branches and ``grounded`` buses.

    With ``reference`` (the factorisation of a nearby matrix, e.g. the intact
    grid's, from :func:`reference_factor`), the state is solved by a low-rank
    update of it when the update is small; otherwise this state's own matrix
    is factorised.

    Returns
    -------
    theta, reference
        The angles, and the reference to use for a state close to this one:
        ``reference`` itself when the update sufficed, else this state's own
        factorisation (None if it has none without pivoting).
    """
    if reference is not None:
        theta = solve_updated(
            reference,
            compiled.branch_from,
            compiled.branch_to,
            compiled.branch_b_pu,
            live,
            grounded,
            rhs,
        )
        if theta is not None:
            return theta, reference
    own = reference_factor(compiled, live, grounded)
    if own is not None:
        theta = solve_reference(own, rhs)
        if theta is not None:
            return theta, own
    order = _pattern(compiled).order  # no stable factorisation without pivoting: LU
    theta = np.empty(compiled.n_bus)
    theta[order] = _factor(compiled, live, grounded).solve(rhs[order])
    return theta, own


_REFERENCE: weakref.WeakKeyDictionary[CompiledGrid, OrderedDict[bytes, ReferenceFactor | None]] = (
    weakref.WeakKeyDictionary()
)


def reference_factor(
    compiled: CompiledGrid, live: np.ndarray, grounded: np.ndarray
) -> ReferenceFactor | None:
    """The factorisation of ``(live, grounded)`` as a reference for low-rank
    updates (cached, least recently used first out); None if it needs pivoting."""
    cache = _REFERENCE.setdefault(compiled, OrderedDict())
    key = np.packbits(live).tobytes() + np.packbits(grounded).tobytes()
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    order = _pattern(compiled).order
    position = np.empty(compiled.n_bus, dtype=np.int64)
    position[order] = np.arange(compiled.n_bus)
    try:
        factor = factor_reference(
            _grounded_matrix(compiled, live, grounded), position, live, grounded
        )
    except (np.linalg.LinAlgError, RuntimeError):  # needs pivoting
        factor = None
    cache[key] = factor
    if len(cache) > REFERENCE_CACHE_SIZE:
        cache.popitem(last=False)
    return factor


_LU: weakref.WeakKeyDictionary[CompiledGrid, OrderedDict[bytes, object]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True, eq=False)
class _Pattern:
    """Sparsity structures of a compiled grid (see the module docstring).

    ``slots`` maps each branch's four entries (ff, tt, ft, tf) and then each
    bus diagonal to its place in the CSC data array.
    """

    order: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    slots: np.ndarray
    diag_slot: np.ndarray  # per bus


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
    pattern = _Pattern(
        order=order,
        indptr=indptr,
        indices=(uniq % n).astype(np.int32),
        slots=slots,
        diag_slot=slots[4 * m :],
    )
    _PATTERN[compiled] = pattern
    return pattern


def _grounded_matrix(
    compiled: CompiledGrid, live: np.ndarray, grounded: np.ndarray
) -> sp.csc_matrix:
    """:math:`B + D_G` of the live branches and grounded buses in :class:`_Pattern` order."""
    pattern = _pattern(compiled)
    n = compiled.n_bus
    b = np.where(live, compiled.branch_b_pu, 0.0)
    weights = np.concatenate([b, b, -b, -b, np.zeros(n)])
    data = np.bincount(pattern.slots, weights=weights, minlength=len(pattern.indices))
    data[pattern.diag_slot[grounded]] += 1.0
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
