"""Reading a run folder for the report: every file optional, every problem one error.

A run folder is what ``gridmodel run``, ``gridmodel compare`` or a Monte
Carlo sweep wrote (DESIGN.md output contract). The report draws a section for
each file it finds; a folder with none of them is refused. A file that cannot
be read or lacks a column leaves its section out, with a note in the report
saying why, so one damaged file never costs the reader the whole page.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gridmodel.contract import (
    COMPARISON_FILE,
    COMPARISON_TIMELINE_FILE,
    CRITICALITY_FILE,
    GROUPS_FILE,
    INCOMPLETE_FILE,
    NETWORK_STATE_FILE,
    SAMPLES_DIR,
    SCHEDULE_CSV,
    SUMMARY_FILE,
    TIMELINE_CSV,
    TIMELINE_FILE,
)
from gridmodel.errors import OptionError
from gridmodel.outputs import unguard_cell

#: Files the report knows, in the order it looks for them.
KNOWN_FILES: tuple[str, ...] = (
    SUMMARY_FILE,
    NETWORK_STATE_FILE,
    TIMELINE_FILE,
    TIMELINE_CSV,
    SCHEDULE_CSV,
    GROUPS_FILE,
    COMPARISON_FILE,
    COMPARISON_TIMELINE_FILE,
    SAMPLES_DIR,
    CRITICALITY_FILE,
)


@dataclass(frozen=True, eq=False)
class RunFolder:
    """The tables of one run folder that the report uses (``None`` when absent)."""

    path: Path
    #: The run's name, shown when the summary gives no title (default: the folder's name).
    name: str = ""
    summary: dict[str, Any] | None = None
    network: dict[str, Any] | None = None
    timeline: pd.DataFrame | None = None
    schedule: pd.DataFrame | None = None
    groups: pd.DataFrame | None = None
    comparison: pd.DataFrame | None = None
    comparison_timeline: pd.DataFrame | None = None
    samples: pd.DataFrame | None = None
    criticality: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()
    #: The folder is an unfinished Monte Carlo run (it holds an ``INCOMPLETE`` file).
    incomplete: bool = False


def read_run_folder(run_dir: str | Path, *, name: str | None = None) -> RunFolder:
    """Read every known file of ``run_dir``.

    ``name`` is the run's name when the summary gives no title (default: the
    folder's name; a folder still being written has a temporary name).

    Raises
    ------
    OptionError
        If ``run_dir`` is not a folder or holds none of :data:`KNOWN_FILES`.
        Unreadable files are skipped and named in :attr:`RunFolder.notes`.
    """
    path = Path(run_dir)
    if not path.is_dir():
        raise OptionError(
            "not a folder" if path.exists() else "folder not found",
            file=path,
            allowed="a run folder written by gridmodel run or gridmodel compare",
        )
    if not any((path / name).exists() for name in KNOWN_FILES):
        raise OptionError(
            "no run results in this folder",
            file=path,
            allowed="a folder with summary.json, timeline.parquet, schedule.csv or comparison.csv",
        )
    notes: list[str] = []

    def table(name: str, needed: tuple[str, ...] = ()) -> pd.DataFrame | None:
        return _guarded(notes, path / name, lambda f: _checked(_table(f), needed))

    timeline_name = TIMELINE_FILE if (path / TIMELINE_FILE).exists() else TIMELINE_CSV
    return RunFolder(
        path=path,
        name=path.resolve().name if name is None else name,
        summary=_guarded(notes, path / SUMMARY_FILE, _json),
        network=_network_state(notes, path / NETWORK_STATE_FILE),
        timeline=table(timeline_name, ("hour", "region", "demand_mw", "served_mw")),
        schedule=table(SCHEDULE_CSV, ("region", "group", "start", "end", "state")),
        groups=table(GROUPS_FILE, ("region", "group", "date")),
        comparison=table(COMPARISON_FILE, ("strategy", "metric", "mean", "ci_low", "ci_high")),
        comparison_timeline=table(COMPARISON_TIMELINE_FILE, ("strategy", "hour", "served_mw")),
        samples=_guarded(
            notes, path / SAMPLES_DIR, lambda f: _checked(_samples(f), ("unserved_mw",))
        ),
        criticality=table(CRITICALITY_FILE),
        notes=tuple(notes),
        incomplete=(path / INCOMPLETE_FILE).is_file(),
    )


def _guarded(notes: list[str], file: Path, read: Callable[[Path], Any]) -> Any:
    """``read(file)``, or ``None`` with a note when the file is unusable."""
    try:
        return read(file)
    except OptionError as exc:
        notes.append(f"{file.name}: {exc.message}; its section is left out")
        return None


def _network_state(notes: list[str], file: Path) -> dict[str, Any] | None:
    """``network_state.json``; outlines of a bad shape are left out of the map with a note.

    ``outlines`` is optional (run folders written before it existed lack it);
    when present it must be a list of ``{"region": str, "rings": [[[lon, lat],
    ...], ...]}`` with finite coordinates.
    """
    state = _guarded(notes, file, _json)
    if state is None or "outlines" not in state:
        return state
    problem = _outline_problem(state["outlines"])
    if problem:
        notes.append(f"{file.name}: outlines: {problem}; the region outlines are left out")
        state = {k: v for k, v in state.items() if k != "outlines"}
    return state


def _outline_problem(outlines: Any) -> str | None:
    """What is wrong with the ``outlines`` of ``network_state.json``, or ``None``."""
    if not isinstance(outlines, list):
        return "not a list"
    for i, outline in enumerate(outlines):
        if not isinstance(outline, dict) or not isinstance(outline.get("region"), str):
            return f"item {i} is not an object with a region name"
        rings = outline.get("rings")
        if not isinstance(rings, list):
            return f"rings of region {outline['region']!r} is not a list"
        for ring in rings:
            if not isinstance(ring, list) or not all(_lon_lat(p) for p in ring):
                return f"a ring of region {outline['region']!r} is not a list of [lon, lat]"
    return None


def _lon_lat(point: Any) -> bool:
    return (
        isinstance(point, list)
        and len(point) == 2
        and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in point
        )
    )


def _json(file: Path) -> dict[str, Any] | None:
    if not file.exists():
        return None
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OptionError(f"cannot read JSON: {exc}".splitlines()[0], file=file) from None
    if not isinstance(data, dict):
        raise OptionError("not a JSON object", file=file, allowed="a JSON object")
    return data


def _table(file: Path) -> pd.DataFrame | None:
    if not file.exists():
        return None
    if file.is_dir():
        raise OptionError("is a folder, expected a file", file=file)
    try:
        if file.suffix == ".parquet":
            return pd.read_parquet(file)
        text_columns = ("region", "group", "strategy", "names", "substations", "regions")
        table = pd.read_csv(file, dtype=dict.fromkeys(text_columns, str))
    except Exception as exc:  # pyarrow and pandas raise many types for a bad file
        raise OptionError(f"cannot read table: {exc}".splitlines()[0], file=file) from None
    for column in table.columns:  # names as they were, not as quoted against formulas
        if not pd.api.types.is_numeric_dtype(table[column]):
            table[column] = [unguard_cell(v) if isinstance(v, str) else v for v in table[column]]
    return table


def _samples(folder: Path) -> pd.DataFrame | None:
    """All Parquet chunks under ``samples/``, one row per sample."""
    if not folder.is_dir():
        return None
    files = sorted(folder.rglob("*.parquet"))
    if not files:
        return None
    parts = [t for t in (_table(f) for f in files) if t is not None]
    table = pd.concat(parts, ignore_index=True)
    if "sample" in table.columns:
        table = table.drop_duplicates(subset=["sample"]).sort_values("sample")
    return table.reset_index(drop=True)


def _checked(table: pd.DataFrame | None, needed: tuple[str, ...]) -> pd.DataFrame | None:
    if table is None:
        return None
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise OptionError(f"missing column {missing[0]!r}", field=missing[0])
    return table
