"""Reading the user's files safely: regular files only, bounded in size and nesting.

Every file gridmodel reads on a user's say-so (scenario TOML, CSV tables,
network files) goes through :func:`read_user_bytes` or :func:`check_user_file`.
A named pipe, a device, a socket or a folder is refused before it is opened
for reading, so ``/dev/zero`` cannot fill the memory and a FIFO cannot hang
the command; a file larger than its limit is refused from its size on disk,
before a byte is read. The file is opened without blocking and checked again
on the open descriptor, so it cannot be swapped for a pipe in between.

:func:`check_nesting` bounds how deeply brackets and braces nest in TOML or
JSON text, so a crafted file cannot exhaust the parser's recursion.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from gridmodel.errors import GridModelError, OptionError

#: Time zone of scenarios and schedules unless they name one: Ukraine's.
DEFAULT_TIMEZONE = "Europe/Kyiv"

if TYPE_CHECKING:
    import pandas as pd

KIB = 1024
MIB = 1024 * KIB

#: Largest scenario file (TOML) read.
SCENARIO_LIMIT = 4 * MIB
#: Largest CSV table (deficit, queues, regions, network metadata) read.
TABLE_LIMIT = 64 * MIB
#: Largest network file (pandapower JSON, MATPOWER, GeoJSON outlines) read.
NETWORK_LIMIT = 256 * MIB
#: Largest JSON file read back from a result folder (summary.json, network_state.json).
RESULT_JSON_LIMIT = 64 * MIB
#: Largest table read back from a result folder (timeline.parquet, schedule.csv, ...).
RESULT_TABLE_LIMIT = 1024 * MIB
#: Deepest nesting of brackets and braces accepted in TOML or JSON text.
NESTING_LIMIT = 64

#: Most samples of one Monte Carlo sweep (resumable; about a day on one core
#: with restoration timelines, minutes with ``--impact-only``).
MAX_SAMPLES = 1_000_000
#: Most samples of one strategy comparison (every sample plays out every strategy).
MAX_COMPARE_SAMPLES = 10_000
#: Largest seed (it is stored as a signed 64-bit integer).
MAX_SEED = 2**63 - 1
#: Most worker processes, whatever the machine (see :func:`max_workers`).
WORKERS_CAP = 256

# strings (skipped whole), comments (TOML) and the brackets that nest
_JSON_TOKENS = re.compile(r'"(?:\\.|[^"\\])*"|[\[\]{}]')
_TOML_TOKENS = re.compile(
    r'"""(?:\\.|[^\\])*?"""|\'\'\'.*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}]',
    re.DOTALL,
)

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def max_workers() -> int:
    """Most worker processes accepted: four per CPU, at most :data:`WORKERS_CAP`."""
    return min(WORKERS_CAP, 4 * (os.cpu_count() or 1))


def check_count(
    value: object,
    *,
    field: str,
    high: int,
    low: int = 1,
    error: type[GridModelError] = OptionError,
) -> int:
    """Return ``value`` if it is a whole number from ``low`` to ``high``, else raise ``error``.

    Parameters
    ----------
    value
        The count given (samples, workers, seed, ...).
    field
        The option or parameter, for the message.
    high, low
        The range accepted, both ends included.
    error
        The error class raised.
    """
    allowed = f"a whole number from {low:,} to {high:,}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise error(f"must be a whole number, got {value!r}", field=field, allowed=allowed)
    if not low <= value <= high:
        digits = len(str(abs(value)))
        shown = f"{value:,}" if digits <= 30 else f"a number of {digits:,} digits"
        raise error(f"{shown} is out of range", field=field, allowed=allowed)
    return value


def format_size(n_bytes: int) -> str:
    """A byte count in words: ``"12.3 GB"``, ``"64 MB"``, ``"512 bytes"``."""
    if n_bytes < KIB:
        return f"{n_bytes} bytes"
    for unit, size in (("GB", MIB * KIB), ("MB", MIB), ("kB", KIB)):
        if n_bytes >= size:
            value = n_bytes / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover


def _allowed(limit: int, what: str) -> str:
    return f"{what}, a regular file up to {format_size(limit)}"


def _check_mode(
    mode: int, size: int, path: Path, *, limit: int, what: str, error: type[GridModelError]
) -> None:
    for is_kind, name in _KINDS:
        if is_kind(mode):
            raise error(f"is {name}, not a regular file", file=path, allowed=_allowed(limit, what))
    if not stat.S_ISREG(mode):
        raise error("is not a regular file", file=path, allowed=_allowed(limit, what))
    if size > limit:
        raise error(
            f"file is {format_size(size)}, too large",
            file=path,
            allowed=_allowed(limit, what),
        )


def _stat(path: Path, *, limit: int, what: str, error: type[GridModelError]) -> os.stat_result:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise error("no such file", file=path, allowed=_allowed(limit, what)) from None
    except OSError as exc:
        raise error(
            f"cannot read: {exc.strerror or exc}", file=path, allowed=_allowed(limit, what)
        ) from None
    _check_mode(info.st_mode, info.st_size, path, limit=limit, what=what, error=error)
    return info


def check_user_file(
    path: str | Path, *, limit: int, what: str, error: type[GridModelError] = GridModelError
) -> Path:
    """Check that ``path`` is a regular file of at most ``limit`` bytes, without reading it.

    For libraries that open the file themselves (pandapower, pyarrow). Prefer
    :func:`read_user_bytes`, which also re-checks the open file.

    Parameters
    ----------
    path
        The user's file.
    limit
        Largest size accepted, in bytes.
    what
        What the file should be, in words (``"a TOML scenario file"``).
    error
        The error class raised.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.
    """
    file = Path(path)
    _stat(file, limit=limit, what=what, error=error)
    return file


def read_user_bytes(
    path: str | Path, *, limit: int, what: str, error: type[GridModelError] = GridModelError
) -> bytes:
    """Read a user's file whole, if it is a regular file of at most ``limit`` bytes.

    The path is checked with ``os.stat`` first (a pipe or device is never
    opened), then opened with ``O_NONBLOCK`` and checked again on the
    descriptor; at most ``limit + 1`` bytes are ever read, so a file that
    grows while it is read is refused too.

    Parameters
    ----------
    path
        The user's file.
    limit
        Largest size accepted, in bytes.
    what
        What the file should be, in words (``"a TOML scenario file"``).
    error
        The error class raised.

    Returns
    -------
    bytes
        The file's content.

    Raises
    ------
    GridModelError
        (as ``error``) if the file is missing, unreadable, not a regular file
        or too large; the message states the limit.
    """
    file = Path(path)
    _stat(file, limit=limit, what=what, error=error)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(file, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise error(
            f"cannot read: {exc.strerror or exc}", file=file, allowed=_allowed(limit, what)
        ) from None
    try:
        info = os.fstat(fd)
        _check_mode(info.st_mode, info.st_size, file, limit=limit, what=what, error=error)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            chunk = os.read(fd, min(MIB, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise error(
            f"cannot read: {exc.strerror or exc}", file=file, allowed=_allowed(limit, what)
        ) from None
    finally:
        os.close(fd)
    if total > limit:
        raise error("file grew too large while read", file=file, allowed=_allowed(limit, what))
    return b"".join(chunks)


def check_nesting(
    text: str,
    *,
    file: str | Path | None,
    what: str,
    toml: bool,
    error: type[GridModelError] = GridModelError,
    limit: int = NESTING_LIMIT,
) -> None:
    """Refuse TOML or JSON text whose brackets and braces nest deeper than ``limit``.

    A cheap scan over the text that counts ``[``/``{`` against ``]``/``}``
    outside strings and comments, run before the parser (whose recursion a
    deeply nested file would exhaust). TOML table headers (``[a.b]``,
    ``[[a]]``) open and close on one line, so they count as at most two levels.

    Parameters
    ----------
    text
        The whole file.
    file
        The file, for the message.
    what
        What the file should be, in words.
    toml
        TOML text (``#`` starts a comment, ``'`` quotes a literal string)
        rather than JSON.
    error
        The error class raised.
    limit
        Deepest nesting accepted.
    """
    pattern = _TOML_TOKENS if toml else _JSON_TOKENS
    if text.count("[") + text.count("{") <= limit:
        return
    depth = 0
    for match in pattern.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                line = text.count("\n", 0, match.start()) + 1
                raise error(
                    f"brackets nested more than {limit} deep",
                    file=file,
                    field=f"line {line}",
                    allowed=f"{what} nested at most {limit} deep",
                )
        elif token in "]}":
            depth = max(depth - 1, 0)


def read_user_parquet(
    path: str | Path, *, limit: int, what: str, error: type[GridModelError] = GridModelError
) -> pd.DataFrame:
    """Read a Parquet table whose file and uncompressed data are at most ``limit`` bytes.

    A few kB of compressed or run-length-encoded zeros can stand for
    gigabytes. Before any page is decoded, the size the table takes once read
    is bounded from the file's footer: the larger of its column chunks'
    uncompressed sizes and 8 bytes per cell (rows times columns); a file
    that states more than ``limit`` is refused.
    """
    import pyarrow.parquet as pq  # only for the commands that read a table back

    file = check_user_file(path, limit=limit, what=what, error=error)
    try:
        meta = pq.ParquetFile(file).metadata
        stated = sum(
            meta.row_group(g).column(c).total_uncompressed_size
            for g in range(meta.num_row_groups)
            for c in range(meta.num_columns)
        )
        size = max(stated, 8 * meta.num_rows * meta.num_columns)
    except Exception as exc:  # pyarrow raises many types for a bad file
        raise error(f"cannot read table: {exc}".splitlines()[0], file=file) from None
    if size > limit:
        raise error(
            f"holds {format_size(size)} once uncompressed, too large",
            file=file,
            allowed=f"{what}, up to {format_size(limit)} uncompressed",
        )
    try:
        return pq.read_table(file).to_pandas()
    except Exception as exc:
        raise error(f"cannot read table: {exc}".splitlines()[0], file=file) from None
