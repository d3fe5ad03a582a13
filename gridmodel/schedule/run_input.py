"""A run folder as the input of ``gridmodel schedule --from-run``: its timeline.

The folder's ``summary.json``, when present, must have this gridmodel's
``schema_version``: a folder of another version may hold a timeline of
another shape too, so it is refused with what to do. The summary and the
timeline are checked like any other input (:mod:`gridmodel.readback`): a
wrong type, ``NaN``, an infinite or out-of-range number is one error naming
the file and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from gridmodel.contract import SUMMARY_FILE, TIMELINE_CSV, TIMELINE_FILE
from gridmodel.errors import OptionError
from gridmodel.inputs import (
    RESULT_JSON_LIMIT,
    RESULT_TABLE_LIMIT,
    check_user_file,
    read_user_bytes,
    read_user_parquet,
)
from gridmodel.readback import check_summary, check_table, loads_json

#: Columns of a run's timeline that no row may leave empty.
_NEEDED = ("hour", "time", "region", "demand_mw", "served_mw")


def read_run_timeline(run_dir: str | Path) -> tuple[pd.DataFrame, Path]:
    """Read ``timeline.parquet`` (or ``timeline.csv``) of a run folder.

    Returns the table and the file it came from.

    Raises
    ------
    OptionError
        No timeline, an unreadable one, or a ``summary.json`` that cannot be
        read or has another ``schema_version`` than this gridmodel writes.
    """
    folder = Path(run_dir)
    summary = folder / SUMMARY_FILE
    if summary.exists():
        check_summary(_read_json(summary), summary)
    for name in (TIMELINE_FILE, TIMELINE_CSV):
        path = folder / name
        if path.exists():
            what = "a timeline written by gridmodel"
            if path.suffix == ".parquet":
                table = read_user_parquet(
                    path, limit=RESULT_TABLE_LIMIT, what=what, error=OptionError
                )
                return check_table(table, path, _NEEDED), path
            check_user_file(path, limit=RESULT_TABLE_LIMIT, what=what, error=OptionError)
            try:
                table = pd.read_csv(path)
            except Exception as exc:  # pyarrow and csv raise many kinds
                raise OptionError(
                    f"cannot read timeline: {exc}".splitlines()[0], file=path
                ) from None
            return check_table(table, path, _NEEDED), path
    raise OptionError(
        "no timeline.parquet or timeline.csv in the run folder",
        file=folder,
        field="from_run",
        allowed="a folder written by gridmodel run",
    )


def _read_json(path: Path) -> Any:
    """The JSON value of ``path``; an OptionError naming it when it cannot be read."""
    raw = read_user_bytes(
        path, limit=RESULT_JSON_LIMIT, what="a JSON file written by gridmodel", error=OptionError
    )
    try:
        return loads_json(raw.decode("utf-8"), path)
    except (OSError, UnicodeDecodeError) as exc:
        raise OptionError(f"cannot read JSON: {exc}".splitlines()[0], file=path) from None
