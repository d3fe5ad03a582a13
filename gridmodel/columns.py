"""Checked parsing of CSV columns: every bad cell is a NetworkError naming file and column.

Tables are read with every cell as a stripped string, so that a value can be
reported exactly as the user wrote it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridmodel.errors import NetworkError


def read_table(path: str | Path) -> pd.DataFrame:
    """Read one CSV file with every cell as a stripped string (empty cells ``""``)."""
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (OSError, ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise NetworkError(f"cannot read CSV: {reason(exc)}", file=path) from None
    table.columns = [str(c).strip() for c in table.columns]
    return table.apply(lambda col: col.str.strip())


def require_columns(table: pd.DataFrame, needed: Sequence[str], file: str) -> None:
    """Raise if a column of ``needed`` is missing."""
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise NetworkError(
            f"missing column {missing[0]!r}", file=file, field=missing[0], allowed=", ".join(needed)
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
    file: str,
    ids: Sequence[Any] | np.ndarray | None,
    *,
    label: str = "",
    integer: bool = False,
    low: float | None = None,
    high: float | None = None,
    required: bool = False,
) -> np.ndarray:
    """Parse a numeric column within ``[low, high]``.

    Empty cells become NaN, or an error when ``required``. Errors name the
    row by ``f"{label} {id!r}"`` when ``ids`` is given, else by CSV line.
    """
    cells = text(table[column])
    values = pd.to_numeric(cells.replace("", np.nan), errors="coerce").to_numpy(dtype=float)
    allowed = _allowed(integer, low, high)
    for row, (raw, value) in enumerate(zip(cells, values, strict=True)):
        what = f"row {row + 2}" if ids is None else f"{label} {ids[row]!r}".strip()
        if raw == "":
            if required:
                raise NetworkError(f"empty value for {what}", file=file, field=column)
            continue
        bad = (
            math.isnan(value)
            or math.isinf(value)
            or (integer and value != round(value))
            or (low is not None and value < low)
            or (high is not None and value > high)
        )
        if bad:
            raise NetworkError(
                f"bad value {raw!r} for {what}", file=file, field=column, allowed=allowed
            )
    return values


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


def _allowed(integer: bool, low: float | None, high: float | None) -> str:
    kind = "an integer" if integer else "a number"
    if low is not None and high is not None:
        if integer and high - low <= 10:
            return ", ".join(str(i) for i in range(int(low), int(high) + 1))
        return f"{kind} from {low:g} to {high:g}"
    if low is not None:
        return f"{kind} >= {low:g}"
    return kind
