"""Checked parsing of CSV columns: every bad cell is one error naming file and column.

Tables are read with every cell as a stripped string, so that a value can be
reported exactly as the user wrote it. The network metadata files raise
:class:`~gridmodel.errors.NetworkError` (the default); the schedule's input
tables pass ``error=OptionError``, since they arrive through command options.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridmodel.errors import GridModelError, NetworkError
from gridmodel.inputs import TABLE_LIMIT, read_user_bytes


def read_table(path: str | Path, *, error: type[GridModelError] = NetworkError) -> pd.DataFrame:
    """Read one CSV file with every cell as a stripped string (empty cells ``""``).

    Only a regular file up to :data:`~gridmodel.inputs.TABLE_LIMIT` bytes is
    read (:func:`~gridmodel.inputs.read_user_bytes`).
    """
    raw = read_user_bytes(path, limit=TABLE_LIMIT, what="a CSV file", error=error)
    try:
        table = pd.read_csv(
            io.BytesIO(raw), dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except (OSError, ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise error(f"cannot read CSV: {reason(exc)}", file=path) from None
    table.columns = [str(c).strip() for c in table.columns]
    return table.apply(lambda col: col.str.strip()) if len(table.columns) else table


def require_columns(
    table: pd.DataFrame,
    needed: Sequence[str],
    file: str | Path | None,
    *,
    error: type[GridModelError] = NetworkError,
) -> None:
    """Raise if a column of ``needed`` is missing."""
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise error(
            f"missing column {missing[0]!r}",
            file=file,
            field=missing[0],
            allowed="columns " + ", ".join(needed),
        )


def ids_column(table: pd.DataFrame, column: str, file: str) -> list[str]:
    """The non-empty, unique string ids of ``column``."""
    values = text(table[column])
    if (values == "").any():
        row = int(np.flatnonzero((values == "").to_numpy())[0])
        raise NetworkError(f"empty {column} id (row {row + 2})", file=file, field=column)
    no_duplicates(values, column, file)
    return values.tolist()


def no_duplicates(values: pd.Series, column: str, file: str) -> None:
    """Raise on the first repeated value."""
    dup = values[values.duplicated()]
    if len(dup):
        raise NetworkError(
            f"duplicate {column} {dup.iloc[0]!r}", file=file, field=column, allowed="unique ids"
        )


def numbers(
    table: pd.DataFrame,
    column: str,
    file: str | Path | None,
    ids: Sequence[Any] | np.ndarray | None = None,
    *,
    label: str = "",
    integer: bool = False,
    low: float | None = None,
    high: float | None = None,
    required: bool = False,
    default: float = math.nan,
    error: type[GridModelError] = NetworkError,
) -> np.ndarray:
    """Parse a numeric column within ``[low, high]``.

    Cells may be text (as read by :func:`read_table`) or numbers (a table
    built in memory). Empty cells become ``default`` (NaN), or an error when
    ``required``. Errors name the row by ``f"{label} {id!r}"`` when ``ids``
    is given, else by CSV line (the header is line 1).
    """
    raw = table[column]
    numeric = pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype)
    if numeric:
        values = raw.to_numpy(dtype=float)
        empty = np.isnan(values)
    else:
        cells = text(raw)
        empty = (cells == "").to_numpy()
        values = pd.to_numeric(cells.replace("", np.nan), errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(values)
        if integer:
            bad |= values != np.round(values)
        if low is not None:
            bad |= values < low
        if high is not None:
            bad |= values > high
    if required and empty.any():
        row = int(np.flatnonzero(empty)[0])
        raise error(
            f"empty value {_where(row, ids, label)}",
            file=file,
            field=column,
            allowed=_allowed(integer, low, high),
        )
    bad &= ~empty
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        shown = float(values[row]) if numeric else cells.iloc[row]
        if isinstance(shown, str) and len(shown) > 40:  # a cell of thousands of characters
            shown = shown[:37] + "..."
        raise error(
            f"bad value {shown!r} {_where(row, ids, label)}",
            file=file,
            field=column,
            allowed=_allowed(integer, low, high),
        )
    return np.where(empty, default, values)


def _where(row: int, ids: Sequence[Any] | np.ndarray | None, label: str) -> str:
    """Where a cell is: ``in row 3`` (its CSV line) or ``for load 7``."""
    if ids is None:
        return f"in row {row + 2}"
    key = ids[row]
    if isinstance(key, np.generic):  # numpy 2 writes np.int64(0) for 0
        key = key.item()
    return f"for {label} {key!r}" if label else f"for {key!r}"


def text(column: pd.Series) -> pd.Series:
    """Cells as stripped strings; missing values become ``""``."""
    return column.map(text_value)


def text_value(value: Any) -> str:
    """One cell as a stripped string; ``None`` and NaN become ``""``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def reason(exc: BaseException) -> str:
    """First line of an exception message (its type name if empty)."""
    message = str(exc).strip()
    return message.splitlines()[0] if message else type(exc).__name__


def _number(value: float) -> str:
    """``1e+09`` as ``1,000,000,000``; small numbers as ``:g`` writes them."""
    return f"{value:,.0f}" if value == int(value) and abs(value) >= 1e5 else f"{value:g}"


def _allowed(integer: bool, low: float | None, high: float | None) -> str:
    kind = "an integer" if integer else "a number"
    if low is not None and high is not None:
        if integer and high - low <= 10:
            return ", ".join(str(i) for i in range(int(low), int(high) + 1))
        return f"{kind} from {_number(low)} to {_number(high)}"
    if low is not None:
        return f"{kind} >= {low:g}"
    if high is not None:
        return f"{kind} <= {high:g}"
    return kind
