"""CSV column checks shared by the network metadata files and the schedule's input tables.

Both read their numbers through :mod:`gridmodel.network.columns`, so the same bad cell
gives the same one-line message; only the error class differs (a network file
is a NetworkError, a table given by a command option an OptionError).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridmodel.errors import NetworkError, OptionError
from gridmodel.network import columns
from gridmodel.schedule import tables


def _metadata(table: pd.DataFrame, **limits: float) -> np.ndarray:
    return columns.numbers(table, "x", "f.csv", **limits)  # type: ignore[arg-type]


def _schedule(table: pd.DataFrame, **limits: float) -> np.ndarray:
    return tables.numbers(table, "x", file="f.csv", default=np.nan, **limits)  # type: ignore[arg-type]


FLAVOURS = [(_metadata, NetworkError), (_schedule, OptionError)]


@pytest.mark.parametrize(("parse", "error"), FLAVOURS)
@pytest.mark.parametrize(
    ("cells", "limits", "line"),
    [
        # row numbers are CSV lines: the header is line 1, so the second cell is line 3
        (["0.5", "abc"], {"low": 0.0}, "bad value 'abc' in row 3 (allowed: a number >= 0)"),
        (["1.5"], {"low": 0, "high": 1},
         "bad value '1.5' in row 2 (allowed: a number from 0 to 1)"),
        (["inf"], {}, "bad value 'inf' in row 2 (allowed: a number)"),
        (["-2"], {"high": -3.0}, "bad value '-2' in row 2 (allowed: a number <= -3)"),
    ],
)  # fmt: skip
def test_the_same_bad_cell_gives_the_same_line(
    parse: object, error: type, cells: list[str], limits: dict, line: str
) -> None:
    with pytest.raises(error) as caught:
        parse(pd.DataFrame({"x": cells}), **limits)  # type: ignore[operator]
    assert caught.value.line() == f"f.csv: x: {line}"


@pytest.mark.parametrize(("parse", "error"), FLAVOURS)
def test_numbers_from_text_or_from_a_table_in_memory(parse: object, error: type) -> None:
    # an empty text cell and a NaN number are both "not given"
    text = parse(pd.DataFrame({"x": ["1", "", "2.5"]}), low=0.0)  # type: ignore[operator]
    memory = parse(pd.DataFrame({"x": [1.0, np.nan, 2.5]}), low=0.0)  # type: ignore[operator]
    np.testing.assert_array_equal(text, [1.0, np.nan, 2.5])
    np.testing.assert_array_equal(memory, text)
    with pytest.raises(error, match=r"bad value -1\.0 in row 3"):
        parse(pd.DataFrame({"x": [1.0, -1.0]}), low=0.0)  # type: ignore[operator]


def test_a_missing_csv_file_is_named_the_same_way(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    with pytest.raises(NetworkError) as network:
        columns.read_table(path)
    with pytest.raises(OptionError) as option:
        tables.read_csv_table(path)
    assert (
        network.value.line()
        == option.value.line()
        == f"{path}: no such file (allowed: a CSV file, a regular file up to 64 MB)"
    )
