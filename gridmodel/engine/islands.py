"""Islands of a grid state: connected components and energisation.

Islands are the connected components of in-service buses joined by in-service
branches, found by a compiled depth-first search over the intact grid's
adjacency (:mod:`gridmodel.engine.structure`, built once per compiled grid).
Islands are numbered 0, 1, ... in order of their lowest bus. An island is
energised only if it holds an in-service grid-forming source (``ext_grid`` or
``gen``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from gridmodel.engine.cache import EngineCache
from gridmodel.engine.compiled import CompiledGrid, State


@dataclass(frozen=True)
class Topology:
    """Islands of a state: labels per bus (-1 for dead buses) and energisation."""

    labels: np.ndarray
    n_islands: int
    energized_island: np.ndarray
    bus_energized: np.ndarray
    unit_ok: np.ndarray


def topology(
    compiled: CompiledGrid, state: State, branch_ok: np.ndarray, cache: EngineCache
) -> Topology:
    """Islands and which of them hold an in-service grid-forming source.

    Kept in ``cache`` by the bus, branch and unit masks (Monte Carlo states
    repeat); the arrays are read-only.
    """
    key = b"".join(np.packbits(m).tobytes() for m in (state.bus, branch_ok, state.unit))
    return cache.of(compiled).topologies.get(key, lambda: _topology(compiled, state, branch_ok))


def island_labels(
    compiled: CompiledGrid, bus_live: np.ndarray, branch_ok: np.ndarray
) -> tuple[np.ndarray, int]:
    """Island of every live bus (-1 for dead buses) and the number of islands.

    ``branch_ok`` must only hold branches between live buses.
    """
    adj = compiled.adjacency
    return _label(adj.indptr, adj.neighbour, adj.via, bus_live, branch_ok)


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
    topo = Topology(
        labels,
        n_islands,
        energized_island,
        bus_energized,
        unit_ok & bus_energized[compiled.unit_bus],
    )
    for array in (topo.labels, topo.energized_island, topo.bus_energized, topo.unit_ok):
        array.setflags(write=False)
    return topo


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
