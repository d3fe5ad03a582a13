"""Reading and checking the small input tables of schedules (CSV files, DataFrames).

Every problem is an :class:`~gridmodel.errors.OptionError` naming the file,
the column and what is allowed, because these files arrive through command
options (``--deficit``, ``--queues``, ``--regions``, ``--from-run``). Files,
columns and numbers are checked by :mod:`gridmodel.network.columns`, as the network
metadata files are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from gridmodel.errors import OptionError
from gridmodel.network import columns
from gridmodel.schema import DATE_ALLOWED, FIRST_YEAR, LAST_YEAR, in_date_range

_OFFSET = re.compile(r"\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?:Z|[+-]\d\d(?::?\d\d)?)$")


def read_csv_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV file with stripped column names and string cells (empty: ``""``)."""
    return columns.read_table(path, error=OptionError)


def require_columns(
    table: pd.DataFrame, needed: Sequence[str], *, file: str | Path | None = None
) -> None:
    """Raise OptionError naming the first missing column of ``needed``."""
    columns.require_columns(table, needed, file, error=OptionError)


def numbers(
    table: pd.DataFrame,
    column: str,
    *,
    file: str | Path | None = None,
    low: float | None = None,
    high: float | None = None,
    integer: bool = False,
    default: float | None = None,
) -> np.ndarray:
    """Parse a numeric column, checking every value (:func:`gridmodel.network.columns.numbers`).

    Empty cells take ``default`` (an error when ``default`` is None). The
    error names the first bad row (CSV line number, header is line 1).
    """
    return columns.numbers(
        table,
        column,
        file,
        low=low,
        high=high,
        integer=integer,
        required=default is None,
        default=np.nan if default is None else default,
        error=OptionError,
    )


def flags(table: pd.DataFrame, column: str, *, file: str | Path | None = None) -> np.ndarray:
    """Parse a boolean column (true/false, 1/0, yes/no; empty: false)."""
    raw = table[column]
    if raw.dtype == bool:
        return raw.to_numpy(dtype=bool)
    text = raw.astype(str).str.strip().str.lower()
    truth = {
        "true": True,
        "1": True,
        "yes": True,
        "false": False,
        "0": False,
        "no": False,
        "": False,
    }
    known = text.isin(list(truth))
    if not known.all():
        row = int(np.flatnonzero(~known.to_numpy())[0])
        raise OptionError(
            f"bad value {raw.iloc[row]!r} in row {row + 2}",
            file=file,
            field=column,
            allowed="true, false, 1, 0, yes, no",
        )
    return text.map(truth).to_numpy(dtype=bool)


def local_times(
    values: pd.Series, *, tz: str, file: str | Path | None = None, field: str = "time"
) -> pd.DatetimeIndex:
    """Parse instants: tz-aware values or ISO strings with an offset, or naive local times.

    Naive wall times are read in zone ``tz``; one that does not exist or
    occurs twice (a daylight-saving change) is an error, since the hour it
    means is unknown.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return pd.DatetimeIndex(values).tz_convert(tz)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        naive = pd.DatetimeIndex(values)
    else:
        text = values.astype(str).str.strip()
        offset = text.str.contains(_OFFSET)
        if offset.any() and not offset.all():
            row = int(np.flatnonzero(~offset.to_numpy())[0])
            raise OptionError(
                f"time {text.iloc[row]!r} in row {row + 2} has no UTC offset while others do",
                file=file,
                field=field,
                allowed="ISO 8601 times, all with or all without an offset",
            )
        parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=bool(offset.all()))
        if parsed.isna().any():
            row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
            raise OptionError(
                f"bad time {text.iloc[row]!r} in row {row + 2}",
                file=file,
                field=field,
                allowed="ISO 8601 such as 2022-12-17T18:00+02:00",
            )
        if offset.all():
            _check_years(pd.DatetimeIndex(parsed), file=file, field=field)
            return pd.DatetimeIndex(parsed).tz_convert(tz)
        naive = pd.DatetimeIndex(parsed)
    _check_years(naive, file=file, field=field)
    local = naive.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    if local.isna().any():
        row = int(np.flatnonzero(local.isna())[0])
        raise OptionError(
            f"local time {naive[row]} in row {row + 2} occurs twice or never in {tz}",
            file=file,
            field=field,
            allowed="times with a UTC offset on daylight-saving days",
        )
    return local


def _check_years(times: pd.DatetimeIndex, *, file: str | Path | None, field: str) -> None:
    """Refuse a time outside :data:`~gridmodel.schema.FIRST_YEAR` .. ``LAST_YEAR``."""
    years = times.year.to_numpy()
    bad = (years < FIRST_YEAR) | (years > LAST_YEAR)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise OptionError(
            f"time {times[row]} in row {row + 2} is out of range",
            file=file,
            field=field,
            allowed=DATE_ALLOWED,
        )


def parse_date(text: str | date, *, field: str = "start") -> date:
    """Parse an ISO date (``2022-12-17``)."""
    if isinstance(text, datetime):
        day = text.date()
    elif isinstance(text, date):
        day = text
    else:
        try:
            day = date.fromisoformat(str(text).strip())
        except ValueError:
            raise OptionError(
                f"bad date {text!r}", field=field, allowed=f"YYYY-MM-DD, {DATE_ALLOWED}"
            ) from None
    if not in_date_range(day):
        raise OptionError(f"date {day} is out of range", field=field, allowed=DATE_ALLOWED)
    return day
