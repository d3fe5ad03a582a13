"""Islands of a grid state: connected components and energisation.

Islands are the connected components of in-service buses joined by in-service
branches, found by a compiled depth-first search over the intact grid's
adjacency (built once per compiled grid). Islands are numbered 0, 1, ... in
order of their lowest bus. An island is energised only if it holds an
in-service grid-forming source (``ext_grid`` or ``gen``).
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from numba import njit

from gridmodel.engine.compiled import CompiledGrid, State

#: Topologies kept per compiled grid (Monte Carlo states often repeat).
TOPOLOGY_CACHE_SIZE = 512


@dataclass(frozen=True)
class Topology:
    """Islands of a state: labels per bus (-1 for dead buses) and energisation."""

    labels: np.ndarray
    n_islands: int
    energized_island: np.ndarray
    bus_energized: np.ndarray
    unit_ok: np.ndarray


def topology(compiled: CompiledGrid, state: State, branch_ok: np.ndarray) -> Topology:
    """Islands and which of them hold an in-service grid-forming source.

    Cached by the bus, branch and unit masks (Monte Carlo states repeat); the
    cached arrays are read-only.
    """
    cache = _TOPOLOGY.setdefault(compiled, OrderedDict())
    key = b"".join(np.packbits(m).tobytes() for m in (state.bus, branch_ok, state.unit))
    hit = cache.get(key)
    if hit is not None:
        cache.move_to_end(key)
        return hit
    topo = _topology(compiled, state, branch_ok)
    for array in (topo.labels, topo.energized_island, topo.bus_energized, topo.unit_ok):
        array.setflags(write=False)
    cache[key] = topo
    if len(cache) > TOPOLOGY_CACHE_SIZE:
        cache.popitem(last=False)
    return topo


def island_labels(
    compiled: CompiledGrid, bus_live: np.ndarray, branch_ok: np.ndarray
) -> tuple[np.ndarray, int]:
    """Island of every live bus (-1 for dead buses) and the number of islands.

    ``branch_ok`` must only hold branches between live buses.
    """
    indptr, neighbour, via = _adjacency(compiled)
    return _label(indptr, neighbour, via, bus_live, branch_ok)


def _topology(compiled: CompiledGrid, state: State, branch_ok: np.ndarray) -> Topology:
    n = compiled.n_bus
    labels, n_islands = island_labels(compiled, state.bus, branch_ok)
    live = state.bus
    unit_ok = state.unit & state.bus[compiled.unit_bus]
    forming = unit_ok & compiled.unit_forming
    energized_island = np.zeros(n_islands, dtype=bool)
    energized_island[labels[compiled.unit_bus[forming]]] = True
    bus_energized = np.zeros(n, dtype=bool)
    bus_energized[live] = energized_island[labels[live]]
    return Topology(
        labels,
        n_islands,
        energized_island,
        bus_energized,
        unit_ok & bus_energized[compiled.unit_bus],
    )


def _adjacency(compiled: CompiledGrid) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Neighbours of each bus in CSR form and the branch joining them (cached)."""
    hit = _ADJACENCY.get(compiled)
    if hit is None:
        f, t = compiled.branch_from, compiled.branch_to
        ends = np.concatenate([f, t])
        order = np.argsort(ends, kind="stable")
        indptr = np.zeros(compiled.n_bus + 1, dtype=np.int64)
        np.cumsum(np.bincount(ends, minlength=compiled.n_bus), out=indptr[1:])
        neighbour = np.concatenate([t, f])[order].astype(np.int64)
        branches = np.arange(compiled.n_branch, dtype=np.int64)
        via = np.concatenate([branches, branches])[order]
        hit = (indptr, neighbour, via)
        _ADJACENCY[compiled] = hit
    return hit


@njit(cache=True)
def _label(indptr, neighbour, via, bus_live, branch_ok):
    n = len(bus_live)
    labels = np.full(n, -1, dtype=np.int64)
    stack = np.empty(n, dtype=np.int64)
    count = 0
    for root in range(n):
        if not bus_live[root] or labels[root] >= 0:
            continue
        labels[root] = count
        stack[0] = root
        top = 1
        while top > 0:
            top -= 1
            bus = stack[top]
            for p in range(indptr[bus], indptr[bus + 1]):
                other = neighbour[p]
                if branch_ok[via[p]] and labels[other] < 0:
                    labels[other] = count
                    stack[top] = other
                    top += 1
        count += 1
    return labels, count


_TOPOLOGY: weakref.WeakKeyDictionary[CompiledGrid, OrderedDict[bytes, Topology]] = (
    weakref.WeakKeyDictionary()
)
_ADJACENCY: weakref.WeakKeyDictionary[CompiledGrid, tuple[np.ndarray, np.ndarray, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)
