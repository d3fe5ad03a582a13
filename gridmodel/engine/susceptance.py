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

Both come from :mod:`gridmodel.engine.structure`. Factorisations are kept by
topology (Monte Carlo states repeat) in the caller's
:class:`~gridmodel.engine.cache.EngineCache`; a result never depends on what
is kept.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from gridmodel.engine.cache import EngineCache
from gridmodel.engine.compiled import CompiledGrid
from gridmodel.engine.lowrank import (
    ReferenceFactor,
    factor_reference,
    solve_reference,
    solve_updated,
)


def solve_grounded(
    compiled: CompiledGrid,
    live: np.ndarray,
    grounded: np.ndarray,
    rhs: np.ndarray,
    *,
    reference: ReferenceFactor | None,
    cache: EngineCache,
) -> tuple[np.ndarray, ReferenceFactor | None]:
    """Solve :math:`(B + D_G)\\,\\theta = rhs` for the ``live`` branches and ``grounded`` buses.

    With ``reference`` (the factorisation of a nearby matrix, e.g. the intact
    grid's), the state is solved by a low-rank update of it when the update is
    small; otherwise this state's own matrix is factorised (kept in ``cache``).

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
    key = np.packbits(live).tobytes() + np.packbits(grounded).tobytes()
    entries = cache.of(compiled)
    own = entries.references.get(key, lambda: reference_factor(compiled, live, grounded))
    if own is not None:
        theta = solve_reference(own, rhs)
        if theta is not None:
            return theta, own
    # no stable factorisation without pivoting: a pivoting LU
    lu = entries.factors.get(key, lambda: _pivoting_lu(compiled, live, grounded))
    order = compiled.pattern.order
    theta = np.empty(compiled.n_bus)
    theta[order] = lu.solve(rhs[order])
    return theta, own


def solve_grounded_many(
    compiled: CompiledGrid,
    live: np.ndarray,
    grounded: np.ndarray,
    rhs: np.ndarray,
    *,
    cache: EngineCache,
) -> np.ndarray:
    """Solve :math:`(B + D_G)\\,X = rhs` for many right-hand sides at once (columns of ``rhs``).

    The state's own matrix is factorised (sparse LU with pivoting, in the
    pattern's order) and kept in ``cache`` by topology, apart from the
    factorisations :func:`solve_grounded` keeps.
    """
    key = np.packbits(live).tobytes() + np.packbits(grounded).tobytes()
    lu = cache.of(compiled).ptdf_factors.get(key, lambda: _pivoting_lu(compiled, live, grounded))
    order = compiled.pattern.order
    solution = np.empty_like(rhs, dtype=float)
    solution[order] = lu.solve(np.ascontiguousarray(rhs[order], dtype=float))
    return solution


def reference_factor(
    compiled: CompiledGrid, live: np.ndarray, grounded: np.ndarray
) -> ReferenceFactor | None:
    """The factorisation of ``(live, grounded)`` as a reference for low-rank
    updates; None if it needs pivoting."""
    order = compiled.pattern.order
    position = np.empty(compiled.n_bus, dtype=np.int64)
    position[order] = np.arange(compiled.n_bus)
    try:
        return factor_reference(
            _grounded_matrix(compiled, live, grounded), position, live, grounded
        )
    except (np.linalg.LinAlgError, RuntimeError):  # needs pivoting
        return None


def _grounded_matrix(
    compiled: CompiledGrid, live: np.ndarray, grounded: np.ndarray
) -> sp.csc_matrix:
    """:math:`B + D_G` of the live branches and grounded buses, in the pattern's order."""
    pattern = compiled.pattern
    n = compiled.n_bus
    b = np.where(live, compiled.branch_b_pu, 0.0)
    weights = np.concatenate([b, b, -b, -b, np.zeros(n)])
    data = np.bincount(pattern.slots, weights=weights, minlength=len(pattern.indices))
    data[pattern.diag_slot[grounded]] += 1.0
    return sp.csc_matrix((data, pattern.indices, pattern.indptr), shape=(n, n))


def _pivoting_lu(compiled: CompiledGrid, live: np.ndarray, grounded: np.ndarray) -> Any:
    """Sparse LU (with pivoting) of the grounded susceptance matrix in the pattern's order."""
    return splu(_grounded_matrix(compiled, live, grounded), permc_spec="NATURAL")
