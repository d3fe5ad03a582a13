"""Worker processes of the studies, and what a worker keeps between its tasks.

Monte Carlo sweeps and N-k criticality run on a local process pool
(:func:`process_pool`) or a Dask cluster. A worker prepares its grid once, on
its first task, and keeps it for the next ones in :data:`WORKER_MEMO`: one
explicit store per process, keyed by what the prepared item depends on (a
scenario's fingerprint, a network and its engine options), per thread, so
threads never share an engine cache.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any


class WorkerMemo:
    """The item a worker thread prepared last, under its key.

    Only the last key is kept (one scenario or network at a time keeps memory
    flat). Each thread has its own item: thread-safe without locks.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The item under ``key``, made with ``make()`` if this thread has another."""
        if getattr(self._local, "key", None) != key or not hasattr(self._local, "item"):
            self._local.key = None
            self._local.item = make()
            self._local.key = key
        return self._local.item


#: The memo of this process's worker tasks (see the module notes).
WORKER_MEMO = WorkerMemo()


#: Thread-pool sizes of the numerical libraries, set to 1 in worker processes.
THREAD_ENV: tuple[str, ...] = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)


@contextmanager
def single_threaded_children() -> Iterator[None]:
    """Start child processes with one BLAS/OpenMP thread each (restored afterwards).

    Several worker processes that each start a BLAS thread per core
    oversubscribe the cores: on a 2-core machine two workers with
    multi-threaded OpenBLAS ran the restoration timeline at a third of the
    speed of one (measured, ``benchmarks/montecarlo.py``). Dask's nanny does
    the same for its workers. A variable the user set is left alone.
    """
    saved = {name: os.environ.get(name) for name in THREAD_ENV}
    for name in THREAD_ENV:
        os.environ.setdefault(name, "1")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def process_pool(workers: int) -> Iterator[cf.ProcessPoolExecutor]:
    """A process pool of ``workers`` fresh interpreters (``spawn``), single-threaded BLAS.

    ``spawn`` rather than ``fork`` (unsafe with threads) or ``forkserver``
    (whose server keeps the environment of its first use): every worker
    starts with the environment of :func:`single_threaded_children` and
    compiles the grid once, on its first task.
    """
    context = multiprocessing.get_context("spawn")
    with (
        single_threaded_children(),
        cf.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool,
    ):
        yield pool
