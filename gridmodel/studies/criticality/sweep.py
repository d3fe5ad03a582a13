"""N-k criticality: which substations, and which pairs, hurt most when lost.

Every single substation (``k=1``) or pair of substations (``k=2``) is taken
out of the intact grid and the state is evaluated with the engine (grid
compiled once per process); outages are ranked by unserved MW, then
customers off. Pairs are enumerated exhaustively while there are at most
``max_pairs`` of them (200,000 by default; ``"all"``: every pair, up to
5,000,000); beyond that ``max_pairs`` distinct pairs are drawn with
``numpy.random.default_rng(seed)`` and the result says it was sampled.

The outages run in chunks (:mod:`~gridmodel.studies.criticality.space`) in
this process, on a process pool or on a Dask cluster
(:mod:`~gridmodel.studies.criticality.executors`); with an output folder each
chunk is written as it finishes and an interrupted study resumes
(:mod:`~gridmodel.studies.criticality.store`). The ranking keeps numbers only
(:mod:`~gridmodel.studies.criticality.ranking`), so memory does not grow with
the number of outages.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gridmodel.engine import CompiledGrid, EngineOptions, compile_grid
from gridmodel.errors import GridModelError, OptionError
from gridmodel.inputs import check_count, max_workers
from gridmodel.interrupts import stage
from gridmodel.network.grid import Grid
from gridmodel.studies.criticality.executors import ChunkJob, run_dask, run_pool, run_serial
from gridmodel.studies.criticality.ranking import Ranking
from gridmodel.studies.criticality.results import (
    criticality_summary,
    intact_state,
    rank_chunks_on_disk,
    write_results,
)
from gridmodel.studies.criticality.space import (
    OutageSpace,
    check_chunk_size,
    default_chunk_size,
    grid_fingerprint,
    outage_space,
)
from gridmodel.studies.criticality.store import StudyStore, precheck, read_manifest
from gridmodel.studies.impact import engine_options
from gridmodel.studies.montecarlo.executors import check_scheduler, dask_client
from gridmodel.studies.outages import MAX_PAIRS, CriticalityOptions

#: Most outages ``--top`` lists in ``summary.json``.
MAX_TOP = 10_000
#: Progress is reported every this many outages within a chunk, and after each chunk
#: (a progress bar redrawn per outage would cost more than many outages do).
PROGRESS_EVERY = 100


@dataclass(frozen=True)
class Plan:
    """How a study runs: its grid and outages, chunk size, and where chunks run."""

    compiled: CompiledGrid
    space: OutageSpace
    chunk_size: int
    workers: int = 1
    scheduler: str | None = None
    network: str | None = None
    use_cache: bool = False  # pool workers read (and fill) the cache of compiled grids

    @property
    def chunks(self) -> int:
        return -(-self.space.count // self.chunk_size)

    def chunk_range(self, chunk: int) -> tuple[int, int]:
        start = chunk * self.chunk_size
        return start, min(start + self.chunk_size, self.space.count)

    def jobs(self, chunks: Iterable[int]) -> Iterator[ChunkJob]:
        """The jobs of ``chunks``, made one at a time (positions computed when submitted)."""
        for chunk in chunks:
            start, stop = self.chunk_range(chunk)
            yield ChunkJob(chunk, start, self.space.positions(start, stop))


def check_counts(*, top: int, workers: int) -> None:
    """Check ``top`` (1 to :data:`MAX_TOP`) and ``workers`` (1 to four per CPU, at most 256).

    Raises
    ------
    OptionError
        Naming the parameter and the range.
    """
    check_count(top, field="top", high=MAX_TOP)
    check_count(workers, field="workers", high=max_workers())


def rank_outages(
    compiled: CompiledGrid,
    *,
    options: CriticalityOptions,
    on_progress: Callable[[int], None] | None = None,
    workers: int = 1,
    network: str | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    use_cache: bool = False,
) -> tuple[pd.DataFrame, OutageSpace]:
    """Rank single substations (``k=1``) or pairs (``k=2``) by the load they cut off.

    Parameters
    ----------
    compiled
        The compiled grid (its options choose DC/AC, trip/shed, ratings).
    options
        ``k``, ``max_pairs``, ``seed``.
    on_progress
        Called with the number of outages evaluated so far.
    workers, network, use_cache
        Worker processes; more than 1 needs ``network`` (what
        :func:`~gridmodel.network.catalog.load_network` loads ``compiled.grid`` from;
        with ``use_cache``, read compiled from the cache of compiled grids, or written there).
    scheduler
        A Dask scheduler (``"local"`` or an address); the grid is sent to its workers.
    chunk_size
        Outages per chunk (default: a 32nd of them, 500 to 20,000).

    Returns
    -------
    table, outages
        The ranking (:data:`~gridmodel.studies.criticality.ranking.COLUMNS`;
        sorted by ``unserved_mw`` then ``customers_off``, descending, ties in
        outage order; ``rank`` from 1; at most
        :data:`~gridmodel.studies.criticality.ranking.RANKED_MAX` rows) and
        the outages evaluated (how many of how many, sampled or not).
    """
    space = outage_space(len(compiled.grid.substations), options)
    size = chunk_size or default_chunk_size(space.count)
    return _rank(Plan(compiled, space, size, workers, scheduler, network, use_cache), on_progress)


def _rank(
    plan: Plan, on_progress: Callable[[int], None] | None
) -> tuple[pd.DataFrame, OutageSpace]:
    """:func:`rank_outages` of a plan: every chunk evaluated, ranked in memory."""
    ranking = Ranking(plan.space.k)
    done = 0

    def rows(n: int) -> None:
        if on_progress is not None and n % PROGRESS_EVERY == 0:
            on_progress(done + n)

    for job, figures in execute(plan, plan.jobs(range(plan.chunks)), on_rows=rows):
        ranking.add(job.start, job.positions, figures)
        done += len(figures)
        rows(0)
    return ranking.table(plan.compiled.grid), plan.space


def execute(
    plan: Plan, jobs: Iterator[ChunkJob], *, on_rows: Callable[[int], None] | None = None
) -> Generator[tuple[ChunkJob, pd.DataFrame], None, None]:
    """Run ``jobs`` where ``plan`` says: Dask, a process pool, or this process."""
    engine = plan.compiled.options
    if plan.scheduler is not None:
        workers = plan.workers if plan.scheduler == "local" else None
        with dask_client(plan.scheduler, workers=workers) as client:
            key = grid_fingerprint(plan.compiled)
            yield from run_dask(plan.compiled.grid, key, engine, jobs, client=client)
    elif plan.workers > 1 and plan.network is not None and plan.chunks > 1:
        yield from run_pool(
            plan.network, engine, jobs, workers=plan.workers, use_cache=plan.use_cache
        )
    else:
        yield from run_serial(plan.compiled, jobs, on_rows=on_rows)


def criticality(
    grid: Grid | CompiledGrid,
    k: int = 1,
    *,
    mode: str = "dc",
    overload: str = "trip",
    ratings: str = "raise-base",
    limit: float | None = None,
    ac_backend: str = "auto",
    max_pairs: int | str = MAX_PAIRS,
    seed: int = 0,
    workers: int = 1,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    network: str | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    resume: bool = False,
    top: int = 20,
    on_progress: Callable[[int], None] | None = None,
    use_cache: bool = False,
) -> pd.DataFrame:
    """Rank substations (``k=1``) or pairs (``k=2``) by unserved MW and customers off.

    Parameters
    ----------
    grid
        The network (:func:`gridmodel.load_network`), or the network compiled
        with the engine options the other arguments give (as
        :func:`~gridmodel.engine.prepare.prepare_grid` reads it from the cache).
    k
        Substations lost together: 1 or 2.
    mode, overload, ratings, limit, ac_backend
        Engine options, as for :func:`gridmodel.impact`.
    max_pairs
        For ``k=2``: all pairs up to this many (1 to 5,000,000), a seeded
        sample beyond; ``"all"``: every pair (up to 5,000,000).
    seed
        Seed of the pair sample.
    workers, network, use_cache
        Worker processes; more than 1 needs ``network`` (the name or path the
        workers load ``grid`` from; with ``use_cache``, read compiled from the
        cache of compiled grids, and written there if it is not: off by
        default, the command line turns it on).
    scheduler
        A Dask scheduler: ``"local"`` (a new ``LocalCluster`` of ``workers``
        processes) or an address such as ``tcp://host:8786``.
    chunk_size
        Outages per chunk file (default: a 32nd of them, 500 to 20,000).
    out
        When given, every outage's figures stream to ``out/outages/*.parquet``
        as chunks finish; when all are done the folder gets ``criticality.csv``
        (the ranking), ``summary.json`` (the ``top`` outages),
        ``network_state.json`` (the intact grid, for the report's map) and
        ``run.json`` (see :mod:`~gridmodel.studies.criticality.store`).
    overwrite
        Replace a non-empty folder gridmodel did not write, or an unfinished study.
    resume
        Finish an interrupted study in ``out`` (same network and options).
    top
        Outages listed in ``summary.json``.
    on_progress
        Called with the number of outages evaluated so far (those on disk included).

    Returns
    -------
    DataFrame
        The ranking (the first 100,000 outages at most); ``attrs`` holds
        ``outages_total``, ``outages_evaluated`` and ``sampled``.
    """
    options = CriticalityOptions(k=k, max_pairs=max_pairs, seed=seed)
    check_counts(top=top, workers=workers)
    check_scheduler(scheduler)
    if chunk_size is not None:
        check_chunk_size(chunk_size)
    engine = engine_options(
        mode=mode, overload=overload, ratings=ratings, limit=limit, ac_backend=ac_backend
    )
    if out is not None:
        precheck(Path(out), resume=resume, overwrite=overwrite)  # before any work
        if resume and chunk_size is None:
            chunk_size = resumed_chunk_size(Path(out))
    started = time.perf_counter()
    compiled = _compiled(grid, engine)
    space = outage_space(len(compiled.grid.substations), options)
    plan = Plan(
        compiled,
        space,
        chunk_size or default_chunk_size(space.count),
        workers,
        scheduler,
        network,
        use_cache,
    )
    if out is None:
        table, _ = _rank(plan, on_progress)
    else:
        table = run_study(
            plan, Path(out), options, top=top, resume=resume, overwrite=overwrite,
            on_progress=on_progress, started=started,
        )  # fmt: skip
    table.attrs.update(
        outages_total=int(space.total),
        outages_evaluated=int(space.count),
        sampled=bool(space.sampled),
    )
    return table


def _compiled(grid: Grid | CompiledGrid, engine: EngineOptions) -> CompiledGrid:
    """``grid`` compiled with ``engine``: as given if it was compiled with those options."""
    if not isinstance(grid, CompiledGrid):
        return compile_grid(grid, options=engine)
    if grid.options != engine:
        raise OptionError(
            f"the grid was compiled with {grid.options}, not the options asked ({engine})",
            field="grid",
            allowed="a Grid, or a CompiledGrid compiled with the same engine options",
        )
    return grid


def resumed_chunk_size(out: Path) -> int | None:
    """The chunk size of the study in ``out`` (``None``: none readable; the resume decides)."""
    value = (read_manifest(out) or {}).get("chunk_size")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def study_manifest(plan: Plan, options: CriticalityOptions) -> dict[str, Any]:
    """What identifies a study: a resume must have the same (``manifest.json``)."""
    engine = plan.compiled.options
    space = plan.space
    return {
        "network": plan.compiled.grid.name,
        "network_sha256": grid_fingerprint(plan.compiled),
        "substations": space.substations,
        "k": space.k,
        "options": {
            "mode": engine.mode,
            "overload": engine.overload,
            "ratings": engine.ratings,
            "overload_limit_percent": float(engine.overload_limit_percent),
            "ac_backend": engine.ac_backend,
        },
        "max_pairs": options.max_pairs,
        "seed": options.seed,
        "outages_total": space.total,
        "outages": space.count,
        "sampled": space.sampled,
        "chunk_size": plan.chunk_size,
        "chunks": plan.chunks,
    }


def run_study(
    plan: Plan,
    out: Path,
    options: CriticalityOptions,
    *,
    top: int,
    resume: bool,
    overwrite: bool,
    on_progress: Callable[[int], None] | None,
    started: float,
) -> pd.DataFrame:
    """Evaluate the chunks missing from ``out``, then write the ranking and mark it complete."""
    store = StudyStore.open(
        out, study_manifest(plan, options), plan.space, resume=resume, overwrite=overwrite
    )
    ranking = Ranking(plan.space.k)  # chunks read back now, the others as they finish
    on_disk = rank_chunks_on_disk(store, ranking) if resume else set()
    done = sum(stop - start for start, stop in map(plan.chunk_range, on_disk))
    resumed_outages = done

    def rows(n: int) -> None:
        if on_progress is not None and n % PROGRESS_EVERY == 0:
            on_progress(done + n)

    rows(0)
    missing = [c for c in range(plan.chunks) if c not in on_disk]
    results = execute(plan, plan.jobs(missing), on_rows=rows)
    try:
        for job, figures in results:
            store.write_chunk(job.chunk, figures)
            ranking.add(job.start, job.positions, figures)
            done += len(figures)
            rows(0)
            stage("chunk")  # testing hook: a chunk is on disk
    except (GridModelError, KeyboardInterrupt):
        results.close()
        store.remove_if_empty()  # nothing to resume: no folder left behind
        raise
    finally:
        results.close()  # stops a worker pool now, not when the traceback is dropped
    table = ranking.table(plan.compiled.grid)
    elapsed = time.perf_counter() - started
    run = plan.space.count - resumed_outages
    write_results(
        store,
        table,
        summary=criticality_summary(plan.compiled, options, plan.space, table, top=top),
        intact=intact_state(plan.compiled),
        run_info={
            "workers": plan.workers,
            "scheduler": plan.scheduler,
            "chunk_size": plan.chunk_size,
            "chunks_run": len(missing),
            "chunks_resumed": len(on_disk),
            "outages_run": run,
            "elapsed_s": round(elapsed, 3),
            "ms_per_outage": round(1000 * elapsed / max(run, 1), 3),
        },
    )
    return table
