"""Structures of the intact grid that every state reuses, built once when compiling.

A state only removes elements, so three structures of the intact grid serve
every state:

* the **adjacency** of buses and the branch joining them (CSR form), walked
  by the island search (:mod:`gridmodel.engine.islands`);
* the **pattern** of the grounded DC susceptance matrix: a fill-reducing bus
  order (minimum degree on the intact matrix) and the CSC structure, in that
  order, of the matrix with every branch and every diagonal; a state's matrix
  only fills the data array (:mod:`gridmodel.engine.susceptance`);
* the **ranking of units** as an island's angle reference: external grids
  first, then generators by maximum output (ties by unit position).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu


@dataclass(frozen=True, eq=False)
class Adjacency:
    """Neighbours of each bus (``neighbour[indptr[b]:indptr[b + 1]]``) and the
    branch joining them (``via``)."""

    indptr: np.ndarray
    neighbour: np.ndarray
    via: np.ndarray


@dataclass(frozen=True, eq=False)
class Pattern:
    """Sparsity structure of the grounded susceptance matrix (see the module notes).

    ``slots`` maps each branch's four entries (ff, tt, ft, tf) and then each
    bus diagonal to its place in the CSC data array.
    """

    order: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    slots: np.ndarray
    diag_slot: np.ndarray  # per bus


def adjacency(n_bus: int, branch_from: np.ndarray, branch_to: np.ndarray) -> Adjacency:
    """The bus adjacency of the branches ``branch_from[k] - branch_to[k]``."""
    f, t = branch_from, branch_to
    ends = np.concatenate([f, t])
    order = np.argsort(ends, kind="stable")
    indptr = np.zeros(n_bus + 1, dtype=np.int64)
    np.cumsum(np.bincount(ends, minlength=n_bus), out=indptr[1:])
    neighbour = np.concatenate([t, f])[order].astype(np.int64)
    branches = np.arange(len(f), dtype=np.int64)
    via = np.concatenate([branches, branches])[order]
    return Adjacency(indptr, neighbour, via)


def pattern(
    n_bus: int, branch_from: np.ndarray, branch_to: np.ndarray, branch_b: np.ndarray
) -> Pattern:
    """The pattern of the susceptance matrix of branches with susceptance ``branch_b``."""
    n, m = n_bus, len(branch_from)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Pattern(empty, np.zeros(1, dtype=np.int32), empty.astype(np.int32), empty, empty)
    f, t = branch_from, branch_to
    buses = np.arange(n)
    rows = np.concatenate([f, t, f, t, buses])
    cols = np.concatenate([f, t, t, f, buses])
    # minimum-degree order of the intact matrix grounded at its first bus, with
    # every bus on the diagonal (+1): nonsingular even for a disconnected intact
    # grid; the order depends on the structure only
    b = np.abs(branch_b) + 1.0
    data = np.concatenate([b, b, -b, -b, np.ones(n)])
    keep = ~(((rows == 0) | (cols == 0)) & (rows != cols))
    intact = sp.csc_matrix((data[keep], (rows[keep], cols[keep])), shape=(n, n))
    lu = splu(intact, permc_spec="MMD_AT_PLUS_A", options={"SymmetricMode": True})
    order = np.argsort(lu.perm_c)
    position = np.empty(n, dtype=np.int64)
    position[order] = buses
    key = position[cols] * n + position[rows]
    uniq, slots = np.unique(key, return_inverse=True)
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(uniq // n, minlength=n), out=indptr[1:])
    return Pattern(
        order=order,
        indptr=indptr,
        indices=(uniq % n).astype(np.int32),
        slots=slots,
        diag_slot=slots[4 * m :],
    )


def unit_rank(unit_kind: np.ndarray, unit_pmax_mw: np.ndarray) -> np.ndarray:
    """Units by decreasing rank as an angle reference (see the module notes)."""
    units = np.arange(len(unit_kind))
    score = np.where(unit_kind == "ext_grid", np.inf, unit_pmax_mw)
    return units[np.lexsort((units, -score))]
