"""A Monte Carlo sweep: many samples of one scenario, streamed to a chunk store.

:func:`run_montecarlo` splits samples ``0 .. N-1`` into chunks of ``chunk_size``,
hands the chunks still missing to an executor (serial, process pool or Dask)
and writes each finished chunk at once, so the driver holds at most
``in_flight`` chunk tables (2 per worker) whatever ``N`` is. When every chunk
is on disk it writes ``summary.json`` and marks the folder complete.
"""

from __future__ import annotations

import platform
import shutil
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from gridmodel.errors import GridModelError
from gridmodel.inputs import MAX_SAMPLES, MAX_SEED, check_count, max_workers
from gridmodel.interrupts import stage
from gridmodel.scenario import Scenario
from gridmodel.studies.montecarlo.executors import (
    ChunkTask,
    check_scheduler,
    dask_client,
    run_dask,
    run_pool,
    run_serial,
)
from gridmodel.studies.montecarlo.sampling import cached_context, fingerprint
from gridmodel.studies.montecarlo.store import ChunkStore, RunSpec
from gridmodel.studies.restore import check_strategy

#: Default samples per chunk (one Parquet file), impact only.
DEFAULT_CHUNK_SIZE = 500

#: Default samples per chunk when every sample runs its restoration timeline
#: (about 0.5 s each): small enough for a steady progress bar and cheap resumes.
DEFAULT_TIMELINE_CHUNK_SIZE = 20


@dataclass(frozen=True)
class SweepOptions:
    """How to run a sweep.

    Parameters
    ----------
    samples
        Number of samples (>= 1); samples are numbered ``0 .. samples - 1``.
    seed
        Overrides the scenario's seed when given.
    workers
        Worker processes (>= 1). 1 without a scheduler runs in this process.
    scheduler
        ``None``, ``"local"`` (a new Dask ``LocalCluster``) or a Dask
        scheduler address (``tcp://host:8786``).
    chunk_size
        Samples per chunk file (>= 1); default :data:`DEFAULT_TIMELINE_CHUNK_SIZE`
        with ``timeline``, else :data:`DEFAULT_CHUNK_SIZE`.
    resume
        Finish the missing chunks of an interrupted run in the output folder.
    overwrite
        Replace a non-empty folder gridmodel did not write, or an unfinished run.
    timeline
        Also play out each sample's repairs and record the restoration
        metrics (slower); ``False``: impact columns only.
    """

    samples: int
    seed: int | None = None
    workers: int | None = None
    scheduler: str | None = None
    chunk_size: int | None = None
    resume: bool = False
    overwrite: bool = False
    timeline: bool = True

    def __post_init__(self) -> None:
        if self.chunk_size is None:
            default = DEFAULT_TIMELINE_CHUNK_SIZE if self.timeline else DEFAULT_CHUNK_SIZE
            object.__setattr__(self, "chunk_size", default)
        check_count(self.samples, field="samples", high=MAX_SAMPLES)
        check_count(self.chunk_size, field="chunk_size", high=MAX_SAMPLES)
        check_count(
            1 if self.workers is None else self.workers, field="workers", high=max_workers()
        )
        if self.seed is not None:
            check_count(self.seed, field="seed", low=0, high=MAX_SEED)
        check_scheduler(self.scheduler)


@dataclass(frozen=True)
class ChunkDone:
    """Progress report after a chunk is written."""

    chunk: int
    samples_done: int
    samples_total: int
    chunks_written: int
    path: Path


def with_seed(scenario: Scenario, seed: int | None) -> Scenario:
    """The scenario with its seed replaced (``None``: unchanged)."""
    return scenario if seed is None else scenario.model_copy(update={"seed": seed})


def montecarlo(
    scenario: Scenario,
    samples: int,
    *,
    seed: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    timeline: bool = True,
    out: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    on_chunk: Callable[[ChunkDone], None] | None = None,
) -> pd.DataFrame:
    """Sample the scenario's strikes ``samples`` times; one row per sample.

    Each sample draws the salvoes and hits, evaluates the impact and (with
    ``timeline``) plays out the repairs and records the restoration
    metrics. Sample ``i`` depends only on the seed and ``i``: any number of
    workers, or a Dask cluster (``scheduler``), gives the same table.

    Parameters
    ----------
    scenario
        The scenario (:func:`gridmodel.load_scenario`).
    samples
        Number of samples (>= 1), numbered ``0 .. samples - 1``.
    seed
        Overrides the scenario's seed.
    workers, scheduler, chunk_size
        How to run (see :class:`SweepOptions`).
    timeline
        Also play out each sample's repairs (``False``: impact only).
    out
        When given, the samples stream to Parquet chunks in this folder, with
        ``summary.json``, resumable (``resume``) after an interruption.
    resume, overwrite
        Finish an interrupted run in ``out``; replace what is there.
    on_chunk
        Called after each chunk (progress).

    Returns
    -------
    DataFrame
        One row per sample in sample order (impact columns, then metrics).
    """
    options = SweepOptions(
        samples=samples,
        seed=seed,
        workers=workers,
        scheduler=scheduler,
        chunk_size=chunk_size,
        resume=resume,
        overwrite=overwrite,
        timeline=timeline,
    )
    if out is not None:
        run_montecarlo(scenario, out, options=options, on_chunk=on_chunk)
    scenario = with_seed(scenario, options.seed)
    context = cached_context(scenario)
    spec = _spec(scenario, context.grid.name, options)
    if out is not None:
        return ChunkStore(Path(out), spec).frame()
    if options.timeline:
        check_strategy(scenario, None)
    tasks = (ChunkTask(c, *spec.chunk_range(c)) for c in range(spec.chunks))
    parts = {task.chunk: table for task, table in _execute(scenario, tasks, options)}
    return pa.concat_tables([parts[c] for c in sorted(parts)]).to_pandas()


def _spec(scenario: Scenario, network: str, options: SweepOptions) -> RunSpec:
    return RunSpec(
        scenario=scenario.title,
        fingerprint=fingerprint(scenario),
        network=network,
        seed=int(scenario.seed),
        samples=options.samples,
        chunk_size=int(options.chunk_size or DEFAULT_CHUNK_SIZE),
        timeline=options.timeline,
    )


def run_montecarlo(
    scenario: Scenario,
    out: str | Path,
    *,
    options: SweepOptions,
    on_chunk: Callable[[ChunkDone], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Run (or resume) a sweep into ``out``; return the summary.

    Parameters
    ----------
    scenario
        A loaded scenario.
    out
        The run folder (written in place, see :mod:`gridmodel.studies.montecarlo.store`).
    options
        Samples, seed, workers, scheduler, chunk size, resume.
    on_chunk
        Called after each chunk file is written (progress bars).
    on_start
        Called once before sampling with the number of samples already on
        disk (non-zero when resuming).

    Returns
    -------
    dict
        The ``summary.json`` object.
    """
    scenario = with_seed(scenario, options.seed)
    context = cached_context(scenario)  # checks the scenario before anything is written
    if options.timeline:
        check_strategy(scenario, None)
    spec = _spec(scenario, context.grid.name, options)
    store = ChunkStore.open(out, spec, resume=options.resume, overwrite=options.overwrite)
    done = store.done_chunks()  # only the chunks on disk: nothing in proportion to samples
    started = time.perf_counter()
    done_samples = sum(stop - start for start, stop in map(spec.chunk_range, done))
    if on_start is not None:
        on_start(done_samples)
    tasks = (ChunkTask(c, *spec.chunk_range(c)) for c in range(spec.chunks) if c not in done)
    written, first_chunk_s = _write_chunks(
        store, scenario, tasks, options, done_samples, started, on_chunk
    )
    elapsed = time.perf_counter() - started
    samples_run = options.samples - done_samples
    run_info = {
        "workers": options.workers or 1,
        "scheduler": options.scheduler,
        "chunk_size": spec.chunk_size,
        "chunks_run": written,
        "chunks_resumed": spec.chunks - written,
        "samples_run": samples_run,
        "elapsed_s": round(elapsed, 3),
        "first_chunk_s": None if first_chunk_s is None else round(first_chunk_s, 3),
        "samples_per_s": round(samples_run / elapsed, 3) if elapsed > 0 else None,
        "python": platform.python_version(),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    return store.finish(run_info=run_info)


def _write_chunks(
    store: ChunkStore,
    scenario: Scenario,
    tasks: Iterator[ChunkTask],
    options: SweepOptions,
    done_samples: int,
    started: float,
    on_chunk: Callable[[ChunkDone], None] | None,
) -> tuple[int, float | None]:
    """Evaluate and write the chunks; return how many and when the first was done."""
    written = 0
    first_chunk_s: float | None = None
    results = _execute(scenario, tasks, options)
    try:
        for task, table in results:
            path = store.write_chunk(task.chunk, table)
            del table
            written += 1
            if first_chunk_s is None:
                first_chunk_s = time.perf_counter() - started
            done_samples += task.stop - task.start
            if on_chunk is not None:
                on_chunk(ChunkDone(task.chunk, done_samples, options.samples, written, path))
            stage("chunk")  # testing hook: a chunk is on disk
    except GridModelError:
        # a bad option found late (an unreachable --scheduler): with no chunk
        # on disk there is nothing to resume, so no folder is left behind
        if not store.done_chunks():
            shutil.rmtree(store.out, ignore_errors=True)
        raise
    finally:
        results.close()  # stops a worker pool now, not when the traceback is dropped
    return written, first_chunk_s


def _execute(
    scenario: Scenario, tasks: Iterator[ChunkTask], options: SweepOptions
) -> Generator[tuple[ChunkTask, pa.Table], None, None]:
    workers = options.workers or 1
    timeline = options.timeline
    if options.scheduler is not None:
        with dask_client(options.scheduler, workers=options.workers) as client:
            yield from run_dask(scenario, tasks, client=client, timeline=timeline)
    elif workers == 1:
        yield from run_serial(scenario, tasks, timeline=timeline)
    else:
        yield from run_pool(scenario, tasks, workers=workers, timeline=timeline)
