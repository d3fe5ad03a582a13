"""The chunked Parquet store of a Monte Carlo run, resumable after an interruption.

Layout of a run folder ``DIR``::

    DIR/manifest.json          what the run is (scenario fingerprint, seed, samples,
                               chunk size) and its status: "running" or "complete"
    DIR/INCOMPLETE             present until the run is complete (says how to resume)
    DIR/samples/part-00000.parquet, part-00001.parquet, ...
                               chunk c holds samples c*C ... (c+1)*C - 1, sorted
    DIR/summary.json           quantiles over all samples (written when complete)
    DIR/run.json               run metadata: workers, timings (not reproducible)
    DIR/.gridmodel-running     gridmodel's marker of an unfinished run
    DIR/.gridmodel             the gridmodel marker (written when complete, listing the files)

Unlike the other commands, a Monte Carlo folder is written **in place**, not
in a temporary folder renamed at the end: an interrupted sweep must leave its
finished chunks where ``--resume`` finds them. Atomicity is per chunk instead:
each chunk is written to a temporary file in ``samples/`` and renamed into
place, so a chunk file either is complete or does not exist. Until the run is
complete the folder carries ``INCOMPLETE``, ``manifest.json`` says
``"running"`` and there is no ``.gridmodel`` marker and no ``summary.json``.
Starting a new run over an earlier complete result deletes that result
first. Only a marker proves a folder is a Monte Carlo run (a ``manifest.json``
alone does not): ``--resume`` and starting again touch nothing else, and an
interrupted run keeps its finished chunks whatever the signal.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from gridmodel.contract import (
    INCOMPLETE_FILE,
    RUN_INFO_FILE,
    SAMPLES_DIR,
    SCHEMA_VERSION,
    SUMMARY_FILE,
    SummaryJson,
    check_written,
    round_mw,
)
from gridmodel.errors import GridModelError, OptionError, OutputError
from gridmodel.inputs import RESULT_JSON_LIMIT, read_user_bytes
from gridmodel.interrupts import deferred, stage
from gridmodel.outputs import MARKER, check_place, check_target, write_marker
from gridmodel.readback import check_written_table
from gridmodel.studies.montecarlo.sampling import IMPACT_FIELDS, SUMMARY_COLUMNS

#: Format tag of ``manifest.json``.
FORMAT = "gridmodel.studies.montecarlo/1"

#: Quantiles (percent) reported in ``summary.json``.
QUANTILES: tuple[int, ...] = (0, 5, 10, 50, 90, 95, 99, 100)

#: File name of the manifest.
MANIFEST_FILE = "manifest.json"
#: Marker of an unfinished run: gridmodel wrote this folder (``.gridmodel`` once complete).
RUNNING_MARKER = ".gridmodel-running"
_RUNNING_TEXT = "an unfinished gridmodel montecarlo run\n"

_INCOMPLETE_TEXT = (
    "This Monte Carlo run is not complete. Finish it with\n"
    "    gridmodel montecarlo SCENARIO --samples N --out THIS_FOLDER --resume\n"
    "(the same scenario, seed and samples). Chunks in samples/ are complete.\n"
)


@dataclass(frozen=True)
class RunSpec:
    """What identifies a run: resuming requires the same spec."""

    scenario: str
    fingerprint: str
    network: str
    seed: int
    samples: int
    chunk_size: int
    timeline: bool = True

    @property
    def chunks(self) -> int:
        return -(-self.samples // self.chunk_size)

    def chunk_range(self, chunk: int) -> tuple[int, int]:
        """Samples ``[start, stop)`` of chunk ``chunk``."""
        start = chunk * self.chunk_size
        return start, min(start + self.chunk_size, self.samples)


def chunk_name(chunk: int) -> str:
    return f"part-{chunk:05d}.parquet"


class ChunkStore:
    """A run folder: manifest, chunk files, summary. Create with :meth:`open`."""

    def __init__(self, out: Path, spec: RunSpec) -> None:
        self.out = out
        self.spec = spec
        self.samples_dir = out / SAMPLES_DIR

    # -- opening ---------------------------------------------------------

    @classmethod
    def open(
        cls, out: str | Path, spec: RunSpec, *, resume: bool = False, overwrite: bool = False
    ) -> ChunkStore:
        """Start a new run in ``out`` or, with ``resume``, reopen an interrupted one.

        Raises
        ------
        OutputError
            ``out`` holds an unfinished run and neither ``resume`` nor
            ``overwrite`` is given, or a folder gridmodel did not write.
        OptionError
            ``resume`` on a folder whose run differs (scenario, seed,
            samples or chunk size) from ``spec``.
        """
        out = Path(out)
        check_place(out)
        manifest = read_manifest(out) if is_own_run(out) else None
        if resume and manifest is not None:
            _check_same(out, manifest, spec)
            store = cls(out, spec)
            store._clean_partial_files()
            if manifest.get("status") == "complete":
                return store
            store._write_manifest("running")
            return store
        if resume and out.is_dir() and any(out.iterdir()):
            raise OptionError(
                "--resume: no Monte Carlo run here to resume",
                file=out,
                field="--resume",
                allowed="a folder an interrupted gridmodel montecarlo run wrote",
            )
        if manifest is not None and manifest.get("status") != "complete" and not overwrite:
            raise OutputError(
                "holds an unfinished Monte Carlo run",
                file=out,
                allowed="--resume to finish it, --overwrite to start again, or another folder",
            )
        if manifest is None or manifest.get("status") == "complete":
            check_target(out, overwrite=overwrite)  # an earlier result: only what gridmodel wrote
        with deferred():
            if out.exists() and any(out.iterdir()):
                _clear(out)
            try:
                out.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OutputError(f"cannot create the folder ({exc.strerror})", file=out) from None
            store = cls(out, spec)
            store._write_manifest("running")
        return store

    # -- chunks ----------------------------------------------------------

    def done_chunks(self) -> set[int]:
        """Chunks already written completely (right number of rows)."""
        done: set[int] = set()
        if not self.samples_dir.is_dir():
            return done
        for chunk in range(self.spec.chunks):
            path = self.samples_dir / chunk_name(chunk)
            if not path.is_file():
                continue
            start, stop = self.spec.chunk_range(chunk)
            try:
                rows = pq.ParquetFile(path).metadata.num_rows
            except (OSError, pa.ArrowException):
                rows = -1
            if rows == stop - start:
                done.add(chunk)
            else:
                path.unlink()
        return done

    def missing_chunks(self) -> list[int]:
        done = self.done_chunks()
        return [c for c in range(self.spec.chunks) if c not in done]

    def write_chunk(self, chunk: int, table: pa.Table) -> Path:
        """Write one chunk atomically (temporary file, then rename)."""
        start, stop = self.spec.chunk_range(chunk)
        if table.num_rows != stop - start:
            raise ValueError(f"chunk {chunk}: {table.num_rows} rows, expected {stop - start}")
        self.samples_dir.mkdir(parents=True, exist_ok=True)
        final = self.samples_dir / chunk_name(chunk)
        check_written_table(table.to_pandas(), final)  # no NaN where none belongs, no count < 0
        tmp = self.samples_dir / f".{final.name}.{os.getpid()}.tmp"
        try:
            pq.write_table(table, tmp, compression="zstd")
            tmp.replace(final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return final

    # -- completion ------------------------------------------------------

    def finish(self, *, run_info: dict[str, Any]) -> dict[str, Any]:
        """Write ``summary.json``, ``run.json`` and the marker; mark the run complete."""
        if self.missing_chunks():
            raise OutputError("cannot finish: chunks are missing", file=self.samples_dir)
        stage("writing")
        summary = summarize(self)
        check_written(summary, self.out / SUMMARY_FILE, SummaryJson)
        _write_json(self.out / SUMMARY_FILE, summary)
        _write_json(self.out / RUN_INFO_FILE, run_info)
        with deferred():
            self._write_manifest("complete")
            written = [SUMMARY_FILE, RUN_INFO_FILE, MANIFEST_FILE, f"{SAMPLES_DIR}/"]
            written += [f"{SAMPLES_DIR}/{chunk_name(c)}" for c in range(self.spec.chunks)]
            write_marker(self.out, written)
            (self.out / INCOMPLETE_FILE).unlink(missing_ok=True)
            (self.out / RUNNING_MARKER).unlink(missing_ok=True)
        return summary

    def column(self, name: str) -> np.ndarray:
        """One column over all chunks, in sample order (reads that column only)."""
        parts = [
            pq.read_table(self.samples_dir / chunk_name(c), columns=[name]).column(0).to_numpy()
            for c in range(self.spec.chunks)
        ]
        return np.concatenate(parts) if parts else np.zeros(0)

    def frame(self) -> pd.DataFrame:
        """Every sample row, in sample order."""
        tables = [pq.read_table(self.samples_dir / chunk_name(c)) for c in range(self.spec.chunks)]
        return pa.concat_tables(tables).to_pandas() if tables else pd.DataFrame()

    def column_names(self) -> list[str]:
        if self.spec.chunks == 0:
            return []
        return list(pq.read_schema(self.samples_dir / chunk_name(0)).names)

    # -- internals -------------------------------------------------------

    def _write_manifest(self, status: str) -> None:
        spec = self.spec
        data = {
            "format": FORMAT,
            "status": status,
            "scenario": spec.scenario,
            "scenario_sha256": spec.fingerprint,
            "network": spec.network,
            "seed": spec.seed,
            "samples": spec.samples,
            "chunk_size": spec.chunk_size,
            "chunks": spec.chunks,
            "timeline": spec.timeline,
        }
        if status != "complete":
            with deferred():  # always one of the two markers
                (self.out / RUNNING_MARKER).write_text(_RUNNING_TEXT, encoding="utf-8")
                (self.out / MARKER).unlink(missing_ok=True)
            (self.out / INCOMPLETE_FILE).write_text(_INCOMPLETE_TEXT, encoding="utf-8")
        _write_json(self.out / MANIFEST_FILE, data)

    def _clean_partial_files(self) -> None:
        if self.samples_dir.is_dir():
            for tmp in self.samples_dir.glob(".part-*.tmp"):
                tmp.unlink(missing_ok=True)


def is_own_run(out: Path) -> bool:
    """True if gridmodel wrote the Monte Carlo folder ``out`` (either marker is there).

    A ``manifest.json`` alone proves nothing: a user's folder may hold one.
    """
    return (out / MARKER).is_file() or (out / RUNNING_MARKER).is_file()


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The manifest of a Monte Carlo folder, or ``None`` if ``out`` is not one.

    A ``manifest.json`` that is not a regular file of at most
    :data:`~gridmodel.inputs.RESULT_JSON_LIMIT` bytes is none of gridmodel's
    (it is never read whole).
    """
    path = out / MANIFEST_FILE
    try:
        text = read_user_bytes(path, limit=RESULT_JSON_LIMIT, what="a Monte Carlo manifest")
        data = json.loads(text.decode("utf-8"))
    except (GridModelError, OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def _check_same(out: Path, manifest: dict[str, Any], spec: RunSpec) -> None:
    checks = (
        ("scenario_sha256", spec.fingerprint, "SCENARIO"),
        ("seed", spec.seed, "--seed"),
        ("samples", spec.samples, "--samples"),
        ("chunk_size", spec.chunk_size, "--chunk-size"),
        ("timeline", spec.timeline, "--timeline"),
    )
    for key, value, option in checks:
        if manifest.get(key) != value:
            if key == "scenario_sha256":
                message = "--resume: this folder's run used a different scenario"
            else:
                message = (
                    f"--resume: this folder's run used {option} {manifest.get(key)}, not {value}"
                )
            raise OptionError(
                message,
                file=out / "manifest.json",
                field=option,
                allowed="the same scenario, seed, samples, chunk size and --timeline/--impact-only "
                "as the interrupted run",
            )


def _clear(out: Path) -> None:
    """Empty an earlier gridmodel result (or an ``--overwrite`` folder) for a new run."""
    for child in out.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def summarize(store: ChunkStore) -> dict[str, Any]:
    """``summary.json``: the run's identity and quantiles of impact and metric columns.

    Reads one column at a time, so memory is the size of one column, not of
    the whole table. No timestamps or paths: the same scenario and seed give
    the same bytes whatever the number of workers.
    """
    spec = store.spec
    names = store.column_names()
    impact_names = {name for name, _ in IMPACT_FIELDS}
    wanted = [n for n in SUMMARY_COLUMNS if n in names]
    wanted += [n for n in names if n not in impact_names]
    stats = {name: _stats(store.column(name)) for name in wanted}
    unserved = store.column("unserved_mw") if "unserved_mw" in names else np.zeros(0)
    return {
        "schema_version": SCHEMA_VERSION,
        "scenario": spec.scenario,
        "network": spec.network,
        "seed": spec.seed,
        "samples": spec.samples,
        "timeline": spec.timeline,
        "p_any_unserved": round_mw(float((unserved > 1e-6).mean()) if len(unserved) else 0.0),
        "quantiles": stats,
    }


def _stats(values: np.ndarray) -> dict[str, float]:
    """Mean and quantiles over the defined values (``n`` of them; nulls are left out)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return {"n": 0}
    out = {"n": len(values), "mean": round_mw(float(values.mean()))}
    for q, v in zip(QUANTILES, np.percentile(values, QUANTILES), strict=True):
        out[f"p{q:02d}" if q < 100 else "p100"] = round_mw(float(v))
    return out


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
