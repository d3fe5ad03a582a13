"""Reading and checking the small input tables of schedules (CSV files, DataFrames).

Every problem is an :class:`~gridmodel.errors.OptionError` naming the file,
the column and what is allowed, because these files arrive through command
options (``--deficit``, ``--queues``, ``--regions``, ``--from-run``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from gridmodel.errors import OptionError

_OFFSET = re.compile(r"\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?:Z|[+-]\d\d(?::?\d\d)?)$")


def read_csv_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV file with stripped column names and string cells (empty: ``""``)."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        raise OptionError("file not found", file=path, allowed="a CSV file") from None
    except (OSError, ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise OptionError(f"cannot read CSV: {exc}".splitlines()[0], file=path) from None
    table.columns = [str(c).strip() for c in table.columns]
    return table.apply(lambda col: col.str.strip()) if len(table.columns) else table


def require_columns(
    table: pd.DataFrame, needed: Sequence[str], *, file: str | Path | None = None
) -> None:
    """Raise OptionError naming the first missing column of ``needed``."""
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise OptionError(
            f"missing column {missing[0]!r}",
            file=file,
            field=missing[0],
            allowed="columns " + ", ".join(needed),
        )


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
    """Parse a numeric column, checking every value.

    Empty cells take ``default`` (an error when ``default`` is None). The
    error names the first bad row (CSV line number, header is line 1).
    """
    raw = table[column]
    if raw.dtype == object:
        text = raw.astype(str).str.strip()
        empty = (text == "").to_numpy()
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    else:
        empty = raw.isna().to_numpy()
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(values)
        if integer:
            bad |= values != np.round(values)
        if low is not None:
            bad |= values < low
        if high is not None:
            bad |= values > high
    if default is not None:
        bad &= ~empty
        values = np.where(empty, default, values)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        kind = "an integer" if integer else "a number"
        limits = [
            f">= {low:g}" if low is not None else "",
            f"<= {high:g}" if high is not None else "",
        ]
        allowed = " ".join([kind, *[part for part in limits if part]])
        raise OptionError(
            f"bad value {raw.iloc[row]!r} in row {row + 2}",
            file=file,
            field=column,
            allowed=allowed,
        )
    return values


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
            return pd.DatetimeIndex(parsed).tz_convert(tz)
        naive = pd.DatetimeIndex(parsed)
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


def parse_date(text: str | date, *, field: str = "start") -> date:
    """Parse an ISO date (``2022-12-17``)."""
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise OptionError(f"bad date {text!r}", field=field, allowed="YYYY-MM-DD") from None
