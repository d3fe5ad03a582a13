"""The engine's cache: an explicit object the caller creates, owns and passes in.

Evaluating many states of one grid repeats work: Monte Carlo states repeat
topologies, a cascade's steps share a factorisation, and the AC backend keeps
a lightsim2grid model per grid. :class:`EngineCache` holds all of it, so
nothing lives in module globals and the caller decides how long it lives::

    cache = EngineCache()
    outcomes = evaluate(compiled, states, cache=cache)

A result never depends on what is cached: a cache only saves time (the
engine tests evaluate the same states with a fresh cache and a warm one and
expect the same numbers bit for bit).

Thread safety: an :class:`EngineCache` may be shared between threads;
evaluations through one cache then run one at a time (a lock is held for
each :func:`~gridmodel.engine.evaluate` call). For parallel work give each
thread or process its own cache.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from gridmodel.engine.compiled import CompiledGrid

#: Topologies kept per compiled grid (Monte Carlo states often repeat).
TOPOLOGY_CACHE_SIZE = 512
#: Reference factorisations kept per compiled grid: recent cascade steps'
#: (each step builds on the previous one).
REFERENCE_CACHE_SIZE = 16
#: Sparse LU factorisations kept per compiled grid.
LU_CACHE_SIZE = 512
#: Factorisations kept per compiled grid for the operator's shedding program
#: (states with an overload; a restoration timeline repeats a topology hour
#: after hour).
PTDF_CACHE_SIZE = 64

Value = TypeVar("Value")


class Recent(Generic[Value]):
    """A small least-recently-used store (not thread-safe on its own)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Value] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], Value]) -> Value:
        """The value under ``key``, made with ``make()`` and kept if absent."""
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        value = make()
        self._items[key] = value
        if len(self._items) > self.size:
            self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)


class GridCache:
    """What is kept for one compiled grid (see :class:`EngineCache`)."""

    def __init__(self) -> None:
        self.topologies: Recent[Any] = Recent(TOPOLOGY_CACHE_SIZE)
        self.references: Recent[Any] = Recent(REFERENCE_CACHE_SIZE)
        self.factors: Recent[Any] = Recent(LU_CACHE_SIZE)
        self.ptdf_factors: Recent[Any] = Recent(PTDF_CACHE_SIZE)
        #: the compiled kernel's arrays of the grid (:mod:`gridmodel.engine.batch`)
        self.kernel: Any = None


class EngineCache:
    """Caches of the engine for any number of compiled grids (see the module notes).

    Entries are kept per compiled grid (and the AC backends' models per
    network) only as long as that grid is alive elsewhere.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._grids: weakref.WeakKeyDictionary[CompiledGrid, GridCache] = (
            weakref.WeakKeyDictionary()
        )
        self._models: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()

    def of(self, compiled: CompiledGrid) -> GridCache:
        """The entries kept for ``compiled``."""
        entry = self._grids.get(compiled)
        if entry is None:
            entry = self._grids[compiled] = GridCache()
        return entry

    def model(self, compiled: CompiledGrid, backend: str, build: Callable[[], Any]) -> Any:
        """The model ``backend`` keeps for ``compiled``'s network, built on first use.

        A model depends on the network only, not on the engine options, so
        compiling in AC mode with ``raise-base`` ratings builds it once.
        """
        models = self._models.setdefault(compiled.grid, {})
        if backend not in models:
            models[backend] = build()
        return models[backend]

    def drop_model(self, compiled: CompiledGrid, backend: str) -> None:
        """Forget the model of ``backend`` for ``compiled``'s network (built again on use)."""
        self._models.get(compiled.grid, {}).pop(backend, None)
