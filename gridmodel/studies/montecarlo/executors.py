"""Where chunks run: in this process, on a local process pool, or on a Dask cluster.

Every executor takes chunk tasks and yields ``(task, table)`` as chunks
finish, with at most ``in_flight`` tasks submitted and not yet handed back,
so the driver never holds more than a few chunk tables however many samples
the run has. Which executor ran a chunk never changes its rows (see
:mod:`gridmodel.studies.montecarlo.sampling`).

Dask (``distributed``) is an optional extra, imported only when a scheduler is
asked for.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import pyarrow as pa

from gridmodel.errors import GridModelError, OptionError
from gridmodel.interrupts import deferred, stage
from gridmodel.studies.montecarlo.sampling import evaluate_chunk
from gridmodel.studies.workers import process_pool, sigint_blocked

T = TypeVar("T")
F = TypeVar("F")

_ADDRESS = re.compile(
    r"^(tcp|tls|ws|wss|ucx|inproc)://(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.\-]+):([0-9]{1,5})$",
    re.ASCII,
)
_ADDRESS_ALLOWED = "local, or a scheduler address such as tcp://host:8786"

#: How long to try to reach an existing Dask scheduler.
CONNECT_TIMEOUT = "10s"


@dataclass(frozen=True)
class ChunkTask:
    """Chunk ``chunk`` of a run: samples ``start`` (inclusive) to ``stop`` (exclusive)."""

    chunk: int
    start: int
    stop: int


def check_scheduler(scheduler: str | None) -> str | None:
    """Validate ``--scheduler``: ``None``, ``"local"`` or ``tcp://host:port``.

    Raises
    ------
    OptionError
        Anything else, or a port outside 1..65535.
    """
    if scheduler is None or scheduler == "local":
        return scheduler
    match = _ADDRESS.match(scheduler.strip())
    if match is None or not 0 < int(match.group(2)) < 65536:
        raise OptionError(
            f"not a Dask scheduler address: {scheduler!r}",
            field="--scheduler",
            allowed=_ADDRESS_ALLOWED,
        )
    return scheduler.strip()


def bounded_completion(
    tasks: Iterable[T],
    submit: Callable[[T], F],
    wait_first: Callable[[list[F]], Iterable[F]],
    result: Callable[[F], Any],
    *,
    in_flight: int,
) -> Iterator[tuple[T, Any]]:
    """Submit ``tasks`` keeping at most ``in_flight`` pending; yield results as they finish.

    Tasks are pulled from ``tasks`` lazily, only when a slot frees up.
    """
    if in_flight < 1:
        raise ValueError("in_flight must be >= 1")
    pending: dict[F, T] = {}
    source = iter(tasks)
    exhausted = False

    def fill() -> None:
        nonlocal exhausted
        while not exhausted and len(pending) < in_flight:
            task = next(source, None)
            if task is None:
                exhausted = True
                return
            pending[submit(task)] = task

    fill()
    while pending:
        done = list(wait_first(list(pending)))
        for future in done:
            task = pending.pop(future)
            yield task, result(future)
        fill()


def run_serial(
    scenario: Any, tasks: Iterable[ChunkTask], *, timeline: bool = True
) -> Iterator[tuple[ChunkTask, pa.Table]]:
    """Evaluate chunks one after another in this process."""
    for task in tasks:
        yield task, evaluate_chunk(scenario, task.start, task.stop, timeline=timeline)


def run_pool(
    scenario: Any,
    tasks: Iterable[ChunkTask],
    *,
    workers: int,
    timeline: bool = True,
    in_flight: int | None = None,
) -> Iterator[tuple[ChunkTask, pa.Table]]:
    """Evaluate chunks on a local process pool (see :func:`process_pool`)."""
    with process_pool(workers) as pool:  # stops its workers on an exception or a signal
        yield from bounded_completion(
            tasks,
            lambda t: pool.submit(evaluate_chunk, scenario, t.start, t.stop, timeline=timeline),
            lambda fs: cf.wait(fs, return_when=cf.FIRST_COMPLETED).done,
            lambda f: f.result(),
            in_flight=in_flight or 2 * workers,
        )


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise GridModelError(
            "--scheduler needs Dask, which is not installed",
            field="--scheduler",
            allowed="pip install 'gridmodel[distributed]', or run without --scheduler",
        ) from None
    return distributed


@contextmanager
def dask_client(scheduler: str, *, workers: int | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: to ``scheduler``, or to a new ``LocalCluster`` for ``"local"``.

    The local cluster has ``workers`` worker processes (default: CPU count)
    with one thread each.
    """
    distributed = _distributed()
    check_scheduler(scheduler)
    if scheduler == "local":
        with sigint_blocked():  # its event-loop thread, and the workers it starts, keep the mask
            cluster = distributed.LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            )
        try:
            with distributed.Client(cluster) as client:
                stage("workers")
                yield client
        finally:
            with deferred():
                cluster.close()
        return
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise OptionError(
            f"cannot connect to the Dask scheduler {scheduler!r} ({exc})",
            field="--scheduler",
            allowed=_ADDRESS_ALLOWED,
        ) from None
    try:
        stage("workers")
        yield client
    finally:
        with deferred():
            client.close()


def run_dask(
    scenario: Any,
    tasks: Iterable[ChunkTask],
    *,
    client: Any,
    timeline: bool = True,
    in_flight: int | None = None,
) -> Iterator[tuple[ChunkTask, pa.Table]]:
    """Evaluate chunks on a Dask cluster through ``client``."""
    distributed = _distributed()
    from gridmodel.studies.montecarlo.sampling import fingerprint

    token = fingerprint(scenario)[:16]
    shipped = client.scatter(scenario, broadcast=True)
    threads = sum(client.nthreads().values()) or 1
    live: set[Any] = set()

    def submit(task: ChunkTask) -> Any:
        future = client.submit(
            evaluate_chunk,
            shipped,
            task.start,
            task.stop,
            timeline=timeline,
            key=f"gridmodel-chunk-{token}-{task.start}-{task.stop}",
            pure=False,
        )
        live.add(future)
        return future

    def result(future: Any) -> pa.Table:
        table = future.result()
        live.discard(future)
        future.release()
        return table

    try:
        yield from bounded_completion(
            tasks,
            submit,
            lambda fs: distributed.wait(fs, return_when="FIRST_COMPLETED").done,
            result,
            in_flight=in_flight or 2 * threads,
        )
    finally:
        if live:
            client.cancel(list(live))
