"""Reading a run folder for the report: every file optional, every problem one error.

A run folder is what ``gridmodel run``, ``gridmodel compare`` or a Monte
Carlo sweep wrote (DESIGN.md output contract). The report draws a section for
each file it finds; a folder with none of them is refused. The files are
checked like any other input (:mod:`gridmodel.readback`): a file that cannot
be read, or holds a wrong type, a missing key or column, ``NaN``, an infinite
or out-of-range number, is one error naming the file and the field, and no
page is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gridmodel.contract import (
    COMPARISON_FILE,
    COMPARISON_SAMPLES_FILE,
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
from gridmodel.inputs import (
    RESULT_JSON_LIMIT,
    RESULT_TABLE_LIMIT,
    check_user_file,
    read_user_bytes,
    read_user_parquet,
)
from gridmodel.outputs import unguard_cell
from gridmodel.readback import check_network_state, check_summary, check_table, loads_json

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
    #: ``samples.csv`` of a compare folder: one row per sample and strategy.
    comparison_samples: pd.DataFrame | None = None
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
        If ``run_dir`` is not a folder or holds none of :data:`KNOWN_FILES`,
        or its ``summary.json`` has another ``schema_version`` than this
        gridmodel writes (its other files may differ too), or a file it holds
        cannot be read or breaks the output contract (a wrong type, a missing
        key or column, NaN, an infinite or out-of-range number): the error
        names the file and the field (:mod:`gridmodel.readback`).
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
    summary = _guarded(path / SUMMARY_FILE, _json)
    if summary is not None:
        check_summary(summary, path / SUMMARY_FILE)
    notes += _older_study_notes(path, has_summary=summary is not None)

    def table(name: str, needed: tuple[str, ...] = ()) -> pd.DataFrame | None:
        return _guarded(path / name, lambda f: _checked(_table(f), needed, f))

    timeline_name = TIMELINE_FILE if (path / TIMELINE_FILE).exists() else TIMELINE_CSV
    return RunFolder(
        path=path,
        name=path.resolve().name if name is None else name,
        summary=summary,
        network=_network_state(path / NETWORK_STATE_FILE),
        timeline=table(timeline_name, ("hour", "region", "demand_mw", "served_mw")),
        schedule=table(SCHEDULE_CSV, ("region", "group", "start", "end", "state")),
        groups=table(GROUPS_FILE, ("region", "group", "date")),
        comparison=table(COMPARISON_FILE, ("strategy", "metric", "mean", "ci_low", "ci_high")),
        comparison_timeline=table(COMPARISON_TIMELINE_FILE, ("strategy", "hour", "served_mw")),
        comparison_samples=table(COMPARISON_SAMPLES_FILE, ("sample", "strategy", "ens_mwh")),
        samples=_guarded(path / SAMPLES_DIR, lambda f: _checked(_samples(f), ("unserved_mw",), f)),
        criticality=table(CRITICALITY_FILE),
        notes=tuple(notes),
        incomplete=(path / INCOMPLETE_FILE).is_file(),
    )


def _older_study_notes(path: Path, *, has_summary: bool) -> list[str]:
    """Notes on study folders written before a file the page uses existed.

    A compare folder without ``summary.json`` is titled with the folder's
    name; a criticality folder without ``network_state.json`` has no map.
    """
    notes = []
    if not has_summary and (path / COMPARISON_FILE).is_file():
        notes.append(
            f"{SUMMARY_FILE}: missing (written by an older gridmodel), so the page is titled "
            "with the folder's name; run gridmodel compare again for the scenario's title"
        )
    if (path / CRITICALITY_FILE).is_file() and not (path / NETWORK_STATE_FILE).exists():
        notes.append(
            f"{NETWORK_STATE_FILE}: missing (written by an older gridmodel), so the most "
            "critical elements are not on a map; run gridmodel criticality again to see them"
        )
    return notes


def _guarded(file: Path, read: Callable[[Path], Any]) -> Any:
    """``read(file)``; its error names ``file`` when it names no file itself."""
    try:
        return read(file)
    except OptionError as exc:
        if exc.file is not None:
            raise
        raise OptionError(exc.message, file=file, field=exc.field, allowed=exc.allowed) from None


def _network_state(file: Path) -> dict[str, Any] | None:
    """``network_state.json``, checked against :class:`~gridmodel.contract.NetworkStateJson`.

    ``outlines`` is optional; when present it is a list of ``{"region": str,
    "rings": [[[lon, lat], ...], ...]}`` with finite coordinates.
    """
    state = _guarded(file, _json)
    if state is not None:
        check_network_state(state, file)
    return state


def _json(file: Path) -> dict[str, Any] | None:
    if not file.exists():
        return None
    raw = read_user_bytes(
        file, limit=RESULT_JSON_LIMIT, what="a JSON file written by gridmodel", error=OptionError
    )
    try:
        data = loads_json(raw.decode("utf-8"), file)
    except (OSError, UnicodeDecodeError) as exc:
        raise OptionError(f"cannot read JSON: {exc}".splitlines()[0], file=file) from None
    if not isinstance(data, dict):
        raise OptionError("not a JSON object", file=file, allowed="a JSON object")
    return data


def _table(file: Path) -> pd.DataFrame | None:
    if not file.exists():
        return None
    what = "a table written by gridmodel"
    if file.suffix == ".parquet":
        return read_user_parquet(file, limit=RESULT_TABLE_LIMIT, what=what, error=OptionError)
    check_user_file(file, limit=RESULT_TABLE_LIMIT, what=what, error=OptionError)
    try:
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


def _checked(
    table: pd.DataFrame | None, needed: tuple[str, ...], file: Path
) -> pd.DataFrame | None:
    return None if table is None else check_table(table, file, needed)
