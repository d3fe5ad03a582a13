"""Monte Carlo sweeps: many samples of a scenario, streamed to a resumable Parquet store.

::

    from gridmodel.studies.montecarlo import montecarlo
    samples = montecarlo(scenario, 10_000, workers=2, out="reports/mc")

Modules: :mod:`~gridmodel.studies.montecarlo.sampling` (one sample, one chunk),
:mod:`~gridmodel.studies.montecarlo.store` (the chunked Parquet folder),
:mod:`~gridmodel.studies.montecarlo.executors` (serial, process pool, Dask),
:mod:`~gridmodel.studies.montecarlo.sweep` (the driver).
"""

from __future__ import annotations

from gridmodel.studies.montecarlo.executors import ChunkTask, bounded_completion, check_scheduler
from gridmodel.studies.montecarlo.sampling import evaluate_chunk, sample_row
from gridmodel.studies.montecarlo.store import ChunkStore, RunSpec, read_manifest
from gridmodel.studies.montecarlo.sweep import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_TIMELINE_CHUNK_SIZE,
    ChunkDone,
    SweepOptions,
    montecarlo,
    run_montecarlo,
    with_seed,
)

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_TIMELINE_CHUNK_SIZE",
    "ChunkDone",
    "ChunkStore",
    "ChunkTask",
    "RunSpec",
    "SweepOptions",
    "bounded_completion",
    "check_scheduler",
    "evaluate_chunk",
    "montecarlo",
    "read_manifest",
    "run_montecarlo",
    "sample_row",
    "with_seed",
]
