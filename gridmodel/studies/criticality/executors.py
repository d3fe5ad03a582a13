"""Where the chunks of a criticality study run: here, on a process pool, on Dask.

Each executor takes chunk jobs and yields ``(job, figures)`` as chunks
finish, with at most two jobs per worker submitted and not yet handed back
(:func:`~gridmodel.studies.montecarlo.executors.bounded_completion`), so the
driver holds a few chunks whatever the number of outages. A worker compiles
the grid once, on its first job, and evaluates every chunk with
:func:`~gridmodel.studies.outages.evaluate_outages`: which executor ran a
chunk never changes its figures.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gridmodel.engine import CompiledGrid, EngineCache, EngineOptions, compile_grid
from gridmodel.engine.prepare import prepare_grid
from gridmodel.network.grid import Grid
from gridmodel.studies.montecarlo.executors import bounded_completion
from gridmodel.studies.outages import evaluate_outages
from gridmodel.studies.workers import WORKER_MEMO, process_pool


@dataclass(frozen=True)
class ChunkJob:
    """Chunk ``chunk``: outages from ``start``, at these substation ``positions``."""

    chunk: int
    start: int
    positions: np.ndarray


def substation_ids(compiled: CompiledGrid) -> list[str]:
    """The substation ids the positions of a study refer to, in the grid's order."""
    return [str(s) for s in compiled.grid.substations.index]


def evaluate_block(
    network: str | Grid,
    key: str,
    engine: EngineOptions,
    positions: np.ndarray,
    use_cache: bool = False,
) -> pd.DataFrame:
    """Worker side: the figures of ``positions``, the grid compiled once per worker.

    ``network`` is what :func:`~gridmodel.network.catalog.load_network` loads
    (with ``use_cache``, read compiled from the cache of compiled grids when
    it is there: :func:`~gridmodel.engine.prepare.prepare_grid`), or the grid
    itself; ``key`` names it in the worker's memo.
    """

    def prepare() -> tuple[CompiledGrid, EngineCache]:
        cache = EngineCache()
        if isinstance(network, str):
            prepared = prepare_grid(network, options=engine, use_cache=use_cache, cache=cache)
            return prepared.compiled, cache
        return compile_grid(network, options=engine, cache=cache), cache

    compiled, cache = WORKER_MEMO.get(("criticality", key, engine), prepare)
    return evaluate_outages(compiled, substation_ids(compiled), positions, cache=cache)


def run_serial(
    compiled: CompiledGrid,
    jobs: Iterable[ChunkJob],
    *,
    on_rows: Callable[[int], None] | None = None,
) -> Iterator[tuple[ChunkJob, pd.DataFrame]]:
    """Evaluate chunks one after another in this process; ``on_rows(n)`` within a chunk."""
    cache = EngineCache()
    subs = substation_ids(compiled)
    for job in jobs:
        yield job, evaluate_outages(compiled, subs, job.positions, cache=cache, on_progress=on_rows)


def run_pool(
    network: str,
    engine: EngineOptions,
    jobs: Iterable[ChunkJob],
    *,
    workers: int,
    use_cache: bool = False,
) -> Iterator[tuple[ChunkJob, pd.DataFrame]]:
    """Evaluate chunks on a local process pool; each worker loads ``network`` once
    (``use_cache``: compiled, from the cache of compiled grids when it is there)."""
    with process_pool(workers) as pool:  # stops its workers on an exception or a signal
        yield from bounded_completion(
            jobs,
            lambda job: pool.submit(
                evaluate_block, network, network, engine, job.positions, use_cache
            ),
            lambda fs: cf.wait(fs, return_when=cf.FIRST_COMPLETED).done,
            lambda f: f.result(),
            in_flight=2 * workers,
        )


def run_dask(
    grid: Grid,
    key: str,
    engine: EngineOptions,
    jobs: Iterable[ChunkJob],
    *,
    client: Any,
) -> Iterator[tuple[ChunkJob, pd.DataFrame]]:
    """Evaluate chunks on a Dask cluster through ``client``; the grid is sent once to each worker.

    ``key`` (the grid's fingerprint) names the grid in the workers' memo and
    the tasks on the cluster.
    """
    import distributed  # dask_client made the client, so it is installed

    shipped = client.scatter(grid, broadcast=True)
    threads = sum(client.nthreads().values()) or 1
    live: set[Any] = set()

    def submit(job: ChunkJob) -> Any:
        future = client.submit(
            evaluate_block,
            shipped,
            key,
            engine,
            job.positions,
            key=f"gridmodel-criticality-{key[:16]}-{job.chunk}-{job.start}",
            pure=False,
        )
        live.add(future)
        return future

    def result(future: Any) -> pd.DataFrame:
        figures = future.result()
        live.discard(future)
        future.release()
        return figures

    try:
        yield from bounded_completion(
            jobs,
            submit,
            lambda fs: distributed.wait(fs, return_when="FIRST_COMPLETED").done,
            result,
            in_flight=2 * threads,
        )
    finally:
        if live:
            client.cancel(list(live))
