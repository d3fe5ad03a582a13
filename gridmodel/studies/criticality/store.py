"""The folder of a criticality study: chunk files written in place, resumable.

Layout of ``DIR``::

    DIR/manifest.json          what the study is (network fingerprint, k, engine
                               options, max_pairs, seed, chunk size) and its status
    DIR/INCOMPLETE             present until the study is complete (says how to resume)
    DIR/outages/part-00000.parquet, ...
                               chunk c: outages c*C ... (c+1)*C - 1, in outage order
    DIR/criticality.csv        the ranking (written when complete)
    DIR/summary.json, network_state.json, run.json   (written when complete)
    DIR/.gridmodel-running     gridmodel's marker of an unfinished study
    DIR/.gridmodel             the marker (when complete, listing the files)

As with a Monte Carlo run (:mod:`gridmodel.studies.montecarlo.store`), each
chunk is written to a temporary file and renamed, so a chunk file is either
complete or absent, and only a marker proves that gridmodel wrote the folder.
A chunk file or manifest read back is an input like any other: one that
does not hold what this study wrote there is refused in one line naming the
file and the field.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridmodel.contract import INCOMPLETE_FILE, OUTAGES_DIR
from gridmodel.errors import GridModelError, OptionError, OutputError
from gridmodel.inputs import (
    RESULT_JSON_LIMIT,
    RESULT_TABLE_LIMIT,
    read_user_bytes,
    read_user_parquet,
)
from gridmodel.interrupts import deferred
from gridmodel.outputs import MARKER, check_place, check_target, write_marker
from gridmodel.readback import check_table, check_written_table
from gridmodel.studies.criticality.ranking import COUNT_FIGURES, FIGURES
from gridmodel.studies.criticality.space import OutageSpace

#: Format tag of a criticality study's ``manifest.json``.
FORMAT = "gridmodel.studies.criticality/1"
MANIFEST_FILE = "manifest.json"
#: Marker of an unfinished study (``.gridmodel`` once complete); Monte Carlo's name.
RUNNING_MARKER = ".gridmodel-running"
_RUNNING_TEXT = "an unfinished gridmodel criticality study\n"
_INCOMPLETE_TEXT = (
    "This criticality study is not complete. Finish it with\n"
    "    gridmodel criticality NETWORK --out THIS_FOLDER --resume\n"
    "and the same NETWORK, --k, --max-pairs, --seed and engine options.\n"
    "Chunks in outages/ are complete.\n"
)
#: How the command line spells the manifest's fields (for a refused resume).
OPTION_NAMES = {
    "network": "NETWORK",
    "network_sha256": "NETWORK",
    "substations": "NETWORK",
    "k": "--k",
    "options": "--mode/--overload/--ratings/--limit/--ac-backend",
    "max_pairs": "--max-pairs",
    "seed": "--seed",
    "outages_total": "NETWORK",
    "outages": "--max-pairs",
    "sampled": "--max-pairs",
    "chunk_size": "--chunk-size",
    "chunks": "--chunk-size",
}
_SAME = "the same network, --k, --max-pairs, --seed, --chunk-size and engine options"


def chunk_name(chunk: int) -> str:
    return f"part-{chunk:05d}.parquet"


def position_columns(k: int) -> list[str]:
    """Columns of a chunk file holding the substations' positions (``position_1``, ...)."""
    return [f"position_{i + 1}" for i in range(k)]


class StudyStore:
    """A study folder: manifest, chunk files, final files. Create with :meth:`open`."""

    def __init__(self, out: Path, manifest: dict[str, Any], space: OutageSpace) -> None:
        self.out = out
        self.manifest = manifest
        self.space = space
        self.chunk_size = int(manifest["chunk_size"])
        self.chunks = int(manifest["chunks"])
        self.chunks_dir = out / OUTAGES_DIR

    @classmethod
    def open(
        cls,
        out: Path,
        manifest: dict[str, Any],
        space: OutageSpace,
        *,
        resume: bool = False,
        overwrite: bool = False,
    ) -> StudyStore:
        """Start a study in ``out`` or, with ``resume``, reopen an unfinished one.

        Raises
        ------
        OutputError
            ``out`` holds an unfinished study and neither ``resume`` nor
            ``overwrite`` is given, or a folder gridmodel did not write.
        OptionError
            ``resume`` on a folder that is no study of gridmodel's, or whose
            manifest differs from ``manifest`` (the field named).
        """
        precheck(out, resume=resume, overwrite=overwrite)
        found = read_manifest(out) if resume else None
        if found is not None:
            check_same(out / MANIFEST_FILE, found, manifest)
            store = cls(out, manifest, space)
            store._clean_partial_files()
            if found.get("status") != "complete":
                store.write_manifest("running")
            return store
        with deferred():
            if out.exists() and any(out.iterdir()):
                _clear(out)
            try:
                out.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OutputError(f"cannot create the folder ({exc.strerror})", file=out) from None
            store = cls(out, manifest, space)
            store.write_manifest("running")
        return store

    # -- chunks ----------------------------------------------------------

    def chunk_range(self, chunk: int) -> tuple[int, int]:
        """Outages ``[start, stop)`` of chunk ``chunk``."""
        start = chunk * self.chunk_size
        return start, min(start + self.chunk_size, self.space.count)

    def chunks_on_disk(self) -> list[int]:
        """Chunks whose file is on disk, in chunk order (read them with :meth:`read_chunk`)."""
        return [c for c in range(self.chunks) if (self.chunks_dir / chunk_name(c)).is_file()]

    def chunk_frame(self, chunk: int, figures: pd.DataFrame) -> pd.DataFrame:
        """The rows of chunk ``chunk``: outage number, substation positions, figures."""
        start, stop = self.chunk_range(chunk)
        positions = self.space.positions(start, stop)
        columns: dict[str, Any] = {"outage": np.arange(start, stop, dtype=np.int64)}
        for i, name in enumerate(position_columns(self.space.k)):
            columns[name] = positions[:, i].astype(np.int64)
        frame = pd.DataFrame(columns)
        for name in FIGURES:
            values = figures[name].to_numpy()
            frame[name] = values.astype(np.int64 if name in COUNT_FIGURES else np.float64)
        return frame

    def write_chunk(self, chunk: int, figures: pd.DataFrame) -> Path:
        """Write chunk ``chunk`` atomically (temporary file, then rename)."""
        start, stop = self.chunk_range(chunk)
        if len(figures) != stop - start:
            raise ValueError(f"chunk {chunk}: {len(figures)} rows, expected {stop - start}")
        frame = self.chunk_frame(chunk, figures)
        final = self.chunks_dir / chunk_name(chunk)
        check_written_table(frame, final)  # no NaN, no count below 0
        tmp = self.chunks_dir / f".{final.name}.{os.getpid()}.tmp"
        try:
            self.chunks_dir.mkdir(parents=True, exist_ok=True)
            frame.to_parquet(tmp, index=False, compression="zstd")
            tmp.replace(final)
        except OSError as exc:
            _remove(tmp)
            raise OutputError(f"cannot write the results ({exc.strerror})", file=final) from None
        except BaseException:
            _remove(tmp)
            raise
        return final

    def read_chunk(self, chunk: int) -> tuple[np.ndarray, pd.DataFrame]:
        """Positions and figures of chunk ``chunk``, read back and checked.

        Raises
        ------
        OptionError
            The file is not what this study wrote there: a column missing,
            added or of another type, rows that are not the chunk's outages,
            a figure NaN, negative or out of range (the field named).
        """
        path = self.chunks_dir / chunk_name(chunk)
        what = "a chunk file written by gridmodel criticality"
        table = read_user_parquet(path, limit=RESULT_TABLE_LIMIT, what=what, error=OptionError)
        start, stop = self.chunk_range(chunk)
        names = ["outage", *position_columns(self.space.k), *FIGURES]
        _check_schema(table, names, path)
        if not np.array_equal(table["outage"].to_numpy(), np.arange(start, stop)):
            raise OptionError(
                f"rows are not outages {start:,} to {stop - 1:,}",
                file=path,
                field="outage",
                allowed=f"the chunk's {stop - start:,} outages in order",
            )
        positions = self.space.positions(start, stop)
        for i, name in enumerate(position_columns(self.space.k)):
            if not np.array_equal(table[name].to_numpy(), positions[:, i]):
                raise OptionError(
                    "substations that are not the chunk's outages",
                    file=path,
                    field=name,
                    allowed="the positions this study evaluated",
                )
        check_table(table, path, required=FIGURES)
        return positions, table[list(FIGURES)]

    # -- manifest and completion ----------------------------------------

    def write_manifest(self, status: str) -> None:
        """Write ``manifest.json`` with ``status``; a running study gets its markers."""
        if status != "complete":
            with deferred():  # always one of the two markers
                (self.out / RUNNING_MARKER).write_text(_RUNNING_TEXT, encoding="utf-8")
                (self.out / MARKER).unlink(missing_ok=True)
            write_atomic(self.out / INCOMPLETE_FILE, _INCOMPLETE_TEXT)
        data = {"format": FORMAT, "status": status, **self.manifest}
        write_atomic(self.out / MANIFEST_FILE, json.dumps(data, indent=2) + "\n")

    def mark_complete(self, written: list[str]) -> None:
        """Mark the study complete: manifest, marker listing ``written``, no ``INCOMPLETE``."""
        with deferred():
            self.write_manifest("complete")
            names = [*written, MANIFEST_FILE, f"{OUTAGES_DIR}/"]
            names += [f"{OUTAGES_DIR}/{chunk_name(c)}" for c in range(self.chunks)]
            write_marker(self.out, names)
            (self.out / INCOMPLETE_FILE).unlink(missing_ok=True)
            (self.out / RUNNING_MARKER).unlink(missing_ok=True)

    def remove_if_empty(self) -> None:
        """Remove the folder when no chunk is on disk (nothing to resume)."""
        if not any(self.chunks_dir.glob("part-*.parquet")):
            with deferred():
                shutil.rmtree(self.out, ignore_errors=True)

    def _clean_partial_files(self) -> None:
        if self.chunks_dir.is_dir():
            for tmp in self.chunks_dir.glob(".part-*.tmp"):
                tmp.unlink(missing_ok=True)


def precheck(out: Path, *, resume: bool, overwrite: bool) -> None:
    """Refuse ``out`` before any work, as :meth:`StudyStore.open` would.

    Raises
    ------
    OutputError
        ``out`` is a link, a file, the current folder; it holds an unfinished
        study (without ``resume`` or ``overwrite``) or files gridmodel did not
        write (without ``overwrite``).
    OptionError
        ``resume`` on a non-empty folder that holds no study of gridmodel's,
        or whose manifest cannot be read.
    """
    check_place(out)
    running = (out / RUNNING_MARKER).is_file()
    if resume:
        if running or (out / MARKER).is_file():
            if read_manifest(out) is None:
                raise OptionError(
                    "--resume: not the manifest of a criticality study (unreadable, or another "
                    "kind of run)",
                    file=out / MANIFEST_FILE,
                    field="format",
                    allowed=f"{FORMAT}, as gridmodel criticality writes it",
                )
        elif out.is_dir() and any(out.iterdir()):
            raise OptionError(
                "--resume: no criticality study here to resume",
                file=out,
                field="--resume",
                allowed="a folder an interrupted gridmodel criticality study wrote",
            )
        return
    if running and not overwrite:
        raise OutputError(
            "holds an unfinished criticality study (or Monte Carlo run)",
            file=out,
            allowed="--resume to finish it, --overwrite to start again, or another folder",
        )
    if not running:
        check_target(out, overwrite=overwrite)  # an earlier result: only what gridmodel wrote


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The manifest of a study folder, or ``None`` if ``out`` holds none of a study's.

    A ``manifest.json`` that is not a regular file of at most
    :data:`~gridmodel.inputs.RESULT_JSON_LIMIT` bytes, not JSON, or of
    another format (a Monte Carlo run's) is none of a study's.
    """
    path = out / MANIFEST_FILE
    try:
        text = read_user_bytes(path, limit=RESULT_JSON_LIMIT, what="a criticality manifest")
        data = json.loads(text.decode("utf-8"))
    except (GridModelError, OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def check_same(file: Path, found: dict[str, Any], expected: dict[str, Any]) -> None:
    """Refuse a resume whose study differs from the folder's (the first field that differs).

    Raises
    ------
    OptionError
        Naming ``file``, the manifest field and the option that sets it.
    """
    for key, value in expected.items():
        if found.get(key) != value:
            option = OPTION_NAMES.get(key, key)
            if option == "NETWORK" or key == "options":
                message = f"--resume: this folder's study used another {option}"
            else:
                was = json.dumps(found.get(key))[:40]
                message = f"--resume: this folder's study used {option} {was}, not {value}"
            raise OptionError(message, file=file, field=key, allowed=_SAME + " as that study")
    if found.get("status") not in ("running", "complete"):
        raise OptionError(
            f"unknown status {json.dumps(found.get('status'))[:40]}",
            file=file,
            field="status",
            allowed="running, complete",
        )


def _check_schema(table: pd.DataFrame, names: list[str], path: Path) -> None:
    """Refuse a chunk whose columns are not ``names``, in order, integers or floats as written."""
    for name in [*names, *table.columns]:
        if name not in names or name not in table.columns:
            problem = "unexpected column" if name in table.columns else "missing column"
            raise OptionError(
                f"{problem} {str(name)[:40]!r}",
                file=path,
                field=str(name)[:40],
                allowed="columns " + ", ".join(names),
            )
    for name in names:
        kind = "f" if name.endswith("_mw") else "i"
        if table[name].dtype.kind != kind:
            raise OptionError(
                f"column of type {table[name].dtype}",
                file=path,
                field=name,
                allowed="numbers" if kind == "f" else "whole numbers",
            )


def _remove(path: Path) -> None:
    """Remove a temporary file if it is there (its folder may be gone, or not a folder)."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)


def _clear(out: Path) -> None:
    """Empty an earlier gridmodel result (or an ``--overwrite`` folder) for a new study."""
    for child in out.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
