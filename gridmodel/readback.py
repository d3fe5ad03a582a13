"""Checking what a folder written by gridmodel holds when it is read back.

``gridmodel report`` and ``gridmodel schedule --from-run`` read files that
anyone may have edited since gridmodel wrote them, so they are checked like
any other input, against the shapes of the output contract
(:mod:`gridmodel.contract`): a wrong type, a missing key, ``NaN``,
``Infinity``, a number out of its range or a bad date is one
:class:`~gridmodel.errors.OptionError` naming the file, the field and what is
allowed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridmodel.contract import (
    MAX_COUNT,
    MAX_HOURS,
    MAX_MW,
    NetworkStateJson,
    SummaryJson,
    check_schema_version,
)
from gridmodel.errors import GridModelError, InternalError, OptionError
from gridmodel.shapes import Range, check_shape, loads, shown

#: What a JSON file of a folder must be, in words.
_WRITTEN = "a JSON object as gridmodel writes it"


def loads_json(text: str, file: Path) -> Any:
    """Parse JSON text read back from ``file`` (``NaN`` and ``Infinity`` kept as markers).

    :func:`check_shape` then names the field that holds a non-finite number.

    Raises
    ------
    OptionError
        If the text is not JSON, or nests too deeply for the parser.
    """
    try:
        return loads(text)
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        message = f"cannot read JSON: {exc}".splitlines()[0]
        raise OptionError(message, file=file, allowed=_WRITTEN) from None
    except RecursionError:
        raise OptionError(
            "cannot read JSON: nested too deeply", file=file, allowed=_WRITTEN
        ) from None


def check_summary(summary: Any, file: Path) -> None:
    """Refuse a ``summary.json`` that is not :class:`SummaryJson` (type, range, finite numbers).

    Raises
    ------
    OptionError
        Naming the file, the field (``impact.by_region[2].customers_off``)
        and what is allowed.
    """
    if not isinstance(summary, dict):
        raise OptionError("not a JSON object", file=file, allowed="a JSON object")
    check_schema_version(summary, file)
    check_shape(summary, SummaryJson, file=file)


def check_network_state(state: Any, file: Path) -> None:
    """Refuse a ``network_state.json`` that is not :class:`NetworkStateJson`.

    Every ``[lon, lat]`` point of ``outlines`` is a pair of finite numbers.

    Raises
    ------
    OptionError
        Naming the file, the field and what is allowed.
    """
    check_shape(state, NetworkStateJson, file=file)
    for i, outline in enumerate(state.get("outlines", [])):
        for j, ring in enumerate(outline["rings"]):
            for k, point in enumerate(ring):
                if len(point) != 2:
                    raise OptionError(
                        f"a point of {len(point)} numbers",
                        file=file,
                        field=f"outlines[{i}].rings[{j}][{k}]",
                        allowed="[lon, lat]",
                    )


#: Ranges of the numeric columns of a folder's tables (run, compare, Monte Carlo,
#: criticality, schedule) by name; other columns by unit suffix (:data:`COLUMN_SUFFIXES`).
COLUMN_RANGES: dict[str, Range] = dict.fromkeys(
    (
        *("hour", "sample", "rank", "customers", "customers_off", "customers_interrupted"),
        *("tasks", "tripped", "islands", "hits", "missiles", "intercepted", "damaged"),
        *("outages", "saifi"),
    ),
    Range(0, MAX_COUNT),
) | dict.fromkeys(
    ("mean", "ci_low", "ci_high", "diff_to_best", "diff_ci_low", "diff_ci_high", "customer_hours"),
    Range(-MAX_COUNT * MAX_HOURS, MAX_COUNT * MAX_HOURS),
)
#: Ranges of numeric columns by the unit their name ends with.
COLUMN_SUFFIXES: dict[str, Range] = {
    "_mw": Range(0, MAX_MW),
    "_mwh": Range(0, MAX_MW * MAX_HOURS),
    "_h": Range(0, MAX_HOURS),
}
#: Columns of a folder's tables that hold one of a few words (a schedule's states).
COLUMN_CHOICES: dict[str, tuple[str, ...]] = {"state": ("on", "off", "possible", "emergency")}
#: Columns of a folder's tables that hold dates or times.
TIME_COLUMNS: tuple[str, ...] = ("time", "start", "end", "date")


def check_table(table: pd.DataFrame, file: Path, required: tuple[str, ...] = ()) -> pd.DataFrame:
    """Refuse a table read back from a folder: a missing column, a bad number or time.

    Returns
    -------
    pandas.DataFrame
        ``table`` with its number columns as numbers.

    Raises
    ------
    OptionError
        Naming the file, the column, the row and what is allowed.
    """
    return check_columns(
        table,
        file=file,
        ranges=COLUMN_RANGES,
        suffixes=COLUMN_SUFFIXES,
        required=required,
        times=TIME_COLUMNS,
        choices=COLUMN_CHOICES,
    )


def check_written_table(table: pd.DataFrame, file: Path) -> None:
    """Refuse to write a result table with a bad number (NaN where none belongs, a count below 0).

    Raises
    ------
    InternalError
        Naming the file, the column and the row: a bug of the model, not the user's input.
    """
    try:
        check_table(table, file)
    except OptionError as exc:
        where = f"{exc.field}: " if exc.field else ""
        raise InternalError(
            f"{file.name} would hold {where}{exc.message}; nothing was written"
        ) from None


def check_columns(
    table: pd.DataFrame,
    *,
    file: str | Path | None,
    ranges: Mapping[str, Range],
    suffixes: Mapping[str, Range],
    required: Sequence[str] = (),
    times: Sequence[str] = (),
    choices: Mapping[str, Sequence[str]] | None = None,
    error: type[GridModelError] = OptionError,
) -> pd.DataFrame:
    """Raise ``error`` on the first bad cell of a table read back from ``file``.

    A column named in ``ranges``, or whose name ends with a key of
    ``suffixes``, holds numbers within its range (empty cells allowed unless
    the column is ``required``); a column of ``times`` holds dates or times,
    a column of ``choices`` one of its words. Other columns are not checked.
    Rows are counted from 1, after the header.

    Returns
    -------
    pandas.DataFrame
        ``table`` with its number columns as numbers (text such as ``"3.5"``
        converted, empty cells NaN).
    """
    out = table
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise error(
            f"missing column {missing[0]!r}",
            file=file,
            field=missing[0],
            allowed="columns " + ", ".join(required),
        )
    for column in table.columns:
        name = str(column)
        bounds = ranges.get(name) or next(
            (r for end, r in suffixes.items() if name.endswith(end)), None
        )
        if bounds is not None:
            problem = _number_column(table[column], bounds, required=name in required)
            if problem is None and not pd.api.types.is_numeric_dtype(table[column].dtype):
                out = out.assign(**{name: pd.to_numeric(table[column], errors="coerce")})
        elif name in times:
            problem = _time_column(table[column])
        elif choices and name in choices:
            problem = _choice_column(table[column], choices[name])
        else:
            continue
        if problem is not None:
            raise error(problem[0], file=file, field=name, allowed=problem[1])
    return out


def _number_column(column: pd.Series, bounds: Range, *, required: bool) -> tuple[str, str] | None:
    allowed = bounds.allowed("a number") + ("" if required else ", or empty")
    if pd.api.types.is_bool_dtype(column.dtype):
        return "true/false where a number belongs", allowed
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    empty = column.isna().to_numpy()
    if not pd.api.types.is_numeric_dtype(column.dtype):  # a number is never blank text
        empty |= (column.astype(str).str.strip() == "").to_numpy()
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(values) | (values < bounds.low) | (values > bounds.high)
    if not required:
        bad &= ~empty
    elif (bad & empty).any():
        return f"empty value in row {int(np.flatnonzero(empty)[0]) + 1}", bounds.allowed("a number")
    if not bad.any():
        return None
    row = int(np.flatnonzero(bad)[0])
    return f"bad value {shown(_plain(column.iloc[row]))} in row {row + 1}", allowed


def _choice_column(column: pd.Series, allowed: Sequence[str]) -> tuple[str, str] | None:
    bad = ~column.astype(str).isin(list(allowed)).to_numpy()
    if not bad.any():
        return None
    row = int(np.flatnonzero(bad)[0])
    return f"bad value {shown(_plain(column.iloc[row]))} in row {row + 1}", ", ".join(allowed)


def _time_column(column: pd.Series) -> tuple[str, str] | None:
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        bad = column.isna().to_numpy()
    else:
        text = column.astype(str).str.strip()
        parsed = [_time(t) for t in text]
        bad = np.array([t is None for t in parsed], dtype=bool)
    if not bad.any():
        return None
    row = int(np.flatnonzero(bad)[0])
    cell = shown(_plain(column.iloc[row]))
    return f"bad date or time {cell} in row {row + 1}", "an ISO 8601 date or time"


def _time(text: str) -> pd.Timestamp | None:
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError, OverflowError):
        return None
    return None if pd.isna(stamp) else stamp


def _plain(value: Any) -> Any:
    """A table cell as a plain Python value (numpy scalars unwrapped)."""
    return value.item() if isinstance(value, np.generic) else value
