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
import signal
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

from gridmodel.interrupts import deferred, stage


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

    Workers ignore SIGINT (a Ctrl-C reaches the whole process group; the
    command line reports it once). When the block ends with an exception
    (Ctrl-C, SIGTERM, an error) the queued tasks are cancelled and the
    workers are terminated rather than waited for.
    """
    context = multiprocessing.get_context("spawn")
    with single_threaded_children():
        pool = _Pool(max_workers=workers, mp_context=context, initializer=_ignore_sigint)
    try:
        stage("workers")
        yield pool
    except BaseException:
        with deferred():
            stop_pool(pool)
        raise
    pool.shutdown(wait=True)


class _Pool(cf.ProcessPoolExecutor):
    """A process pool whose ``submit`` is not split by a signal.

    ``submit`` may start a worker process; a signal in the middle would leave
    a half-started child that the pool does not know of (and that prints a
    traceback when the parent is gone). A child starts with SIGINT blocked
    (the mask is inherited), so a Ctrl-C to the process group while it
    imports does not reach it; :func:`_ignore_sigint` then ignores it.
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        with deferred(), sigint_blocked():
            return super().submit(fn, *args, **kwargs)


@contextmanager
def sigint_blocked() -> Iterator[None]:
    """Block SIGINT in this thread inside the block.

    Processes and threads started meanwhile inherit the mask: a Ctrl-C to
    the process group does not reach them (the parent stops them).
    """
    if not hasattr(signal, "pthread_sigmask"):  # Windows
        yield
        return
    saved = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, saved)


def stop_pool(pool: cf.ProcessPoolExecutor, *, timeout: float = 5.0) -> None:
    """Cancel the queued tasks of ``pool`` and terminate its worker processes."""
    # no public way to stop running tasks before Python 3.14 (terminate_workers):
    # the executor's own table of its processes
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout)
        if process.is_alive():
            process.kill()
            process.join(timeout)


def _ignore_sigint() -> None:
    """Worker initializer: leave Ctrl-C to the parent process (see :class:`_Pool`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
