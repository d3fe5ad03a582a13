"""Reading the user's files: regular files only, bounded in size and nesting (gridmodel.inputs)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmodel.errors import GridModelError, OptionError, ScenarioError
from gridmodel.inputs import (
    MIB,
    NESTING_LIMIT,
    check_count,
    check_nesting,
    check_user_file,
    format_size,
    read_user_bytes,
)


def _read_in_thread(path: Path, limit: int) -> BaseException | bytes | None:
    """Read ``path`` in a thread; None if it is still reading after 5 s (a hang)."""
    outcome: list[BaseException | bytes] = []

    def target() -> None:
        try:
            outcome.append(read_user_bytes(path, limit=limit, what="a test file"))
        except BaseException as exc:  # handed back to the test
            outcome.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=5.0)
    return outcome[0] if outcome else None


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("fifo", "is a named pipe (FIFO), not a regular file"),
        ("device", "is a character device, not a regular file"),
        ("directory", "is a directory, not a regular file"),
        ("missing", "no such file"),
    ],
)
def test_only_regular_files_are_read_and_a_fifo_does_not_hang(
    tmp_path: Path, kind: str, words: str
) -> None:
    path = tmp_path / "input.toml"
    if kind == "fifo":
        os.mkfifo(path)  # nobody writes: a blocking open would wait forever
    elif kind == "device":
        path = Path("/dev/zero")  # endless: reading it whole would fill the memory
    elif kind == "directory":
        path.mkdir()
    outcome = _read_in_thread(path, MIB)
    assert outcome is not None, "reading did not return within 5 s"
    assert isinstance(outcome, GridModelError)
    assert outcome.message == words
    assert outcome.allowed == "a test file, a regular file up to 1 MB"
    with pytest.raises(GridModelError, match=words.replace("(", r"\(").replace(")", r"\)")):
        check_user_file(path, limit=MIB, what="a test file")


def test_a_file_over_the_limit_is_refused_from_its_size_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.truncate(13_207_024_435)  # sparse: 12.3 GiB on paper, nothing on disk
    with pytest.raises(OptionError) as info:
        read_user_bytes(path, limit=64 * MIB, what="a CSV file", error=OptionError)
    assert info.value.line() == (
        f"{path}: file is 12.3 GB, too large (allowed: a CSV file, a regular file up to 64 MB)"
    )


def test_a_file_at_the_limit_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "exact.txt"
    path.write_bytes(b"x" * 1000)
    assert read_user_bytes(path, limit=1000, what="a test file") == b"x" * 1000
    with pytest.raises(GridModelError, match="file is 1000 bytes, too large"):
        read_user_bytes(path, limit=999, what="a test file")


def test_sizes_in_words() -> None:
    # binary units: 1 kB = 1024 bytes, 1 MB = 1024 kB
    assert format_size(512) == "512 bytes"
    assert format_size(4 * MIB) == "4 MB"
    assert format_size(1536) == "1.5 kB"
    assert format_size(13_207_024_435) == "12.3 GB"  # 13,207,024,435 / 1024**3 = 12.30


@given(depth=st.integers(NESTING_LIMIT + 1, 20_000), toml=st.booleans())
@settings(max_examples=25, deadline=None)
def test_nesting_deeper_than_the_limit_is_refused(depth: int, toml: bool) -> None:
    text = ("a = " if toml else "") + "[" * depth + "]" * depth
    with pytest.raises(ScenarioError) as info:
        check_nesting(text, file="x", what="a file", toml=toml, error=ScenarioError)
    assert info.value.message == f"brackets nested more than {NESTING_LIMIT} deep"
    assert info.value.field == "line 1"


@given(depth=st.integers(0, NESTING_LIMIT))
@settings(max_examples=25, deadline=None)
def test_nesting_up_to_the_limit_and_brackets_in_strings_pass(depth: int) -> None:
    nested = "[" * depth + "]" * depth
    quoted = '"' + "[" * 500 + '"'  # brackets inside strings and comments do not nest
    check_nesting(f"a = {nested}\nb = {quoted}\n# {'{' * 500}\n", file="x", what="a", toml=True)
    check_nesting(nested or "0", file="x", what="a", toml=False)
    check_nesting(f"[{quoted}, {quoted}]", file="x", what="a", toml=False)


@given(value=st.one_of(st.integers(max_value=0), st.integers(min_value=1001)))
def test_counts_outside_their_range_are_one_error(value: int) -> None:
    with pytest.raises(OptionError) as info:
        check_count(value, field="--samples", high=1000)
    assert info.value.field == "--samples"
    assert info.value.allowed == "a whole number from 1 to 1,000"
    assert "\n" not in info.value.line()


@given(value=st.integers(1, 1000))
def test_counts_inside_their_range_pass(value: int) -> None:
    assert check_count(value, field="--samples", high=1000) == value


def test_a_parquet_table_is_bounded_once_uncompressed(tmp_path: Path) -> None:
    # 4 MB of zeros compress to a few kB: the footer's uncompressed sizes are
    # added up before any page is inflated, so a limit of 1 MB refuses it
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from gridmodel.inputs import MIB, read_user_parquet

    path = tmp_path / "zeros.parquet"
    pq.write_table(pa.table({"x": np.zeros(MIB // 2, dtype=np.int64)}), path, compression="zstd")
    assert path.stat().st_size < 64 * 1024  # small on disk
    with pytest.raises(GridModelError) as caught:
        read_user_parquet(path, limit=MIB, what="a table")
    line = caught.value.line()
    assert "once uncompressed" in line and "up to 1 MB uncompressed" in line, line
    table = read_user_parquet(path, limit=8 * MIB, what="a table")  # 4 MB: within 8 MB
    assert len(table) == MIB // 2 and int(table["x"].abs().sum()) == 0
