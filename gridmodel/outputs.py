"""Atomic output folders and spreadsheet-safe CSV files.

A command writes its results into a temporary folder beside the target and
renames it into place only when everything is written. An interrupted or
failed run leaves no output folder (and no half-written one). A folder that
gridmodel wrote carries a small marker file; an earlier gridmodel result is
replaced, any other non-empty folder is refused unless ``overwrite``.

Every CSV file gridmodel writes goes through :func:`safe_csv`: a text cell
that a spreadsheet would run as a formula (``=HYPERLINK(...)`` as a region
name) is written with a leading apostrophe; numbers stay numbers.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from gridmodel.errors import OutputError

#: Name of the marker file in every folder gridmodel writes.
MARKER = ".gridmodel"
#: First characters that make a spreadsheet read a text cell as a formula (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """``text`` with a leading apostrophe if a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def unguard_cell(text: str) -> str:
    """Undo :func:`safe_cell`: the text as it was before it was written to CSV."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_START) else text


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells pass through :func:`safe_cell`.

    Only ``str`` cells are guarded: numeric columns (negative numbers
    included) and numbers in mixed columns are left as they are.
    """
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if values.dtype == object or isinstance(values.dtype, pd.StringDtype | pd.CategoricalDtype):
            safe[column] = [safe_cell(v) if isinstance(v, str) else v for v in values]
    return safe


def safe_csv(frame: pd.DataFrame, path: str | Path, *, float_format: str | None = None) -> Path:
    """Write ``frame`` to ``path`` as CSV (no index) with formula-like text cells quoted.

    ``float_format`` is passed to :meth:`pandas.DataFrame.to_csv`.

    Raises
    ------
    OutputError
        If the file cannot be written.
    """
    path = Path(path)
    try:
        safe_frame(frame).to_csv(path, index=False, float_format=float_format)
    except OSError as exc:
        raise OutputError(f"cannot write ({exc.strerror or exc})", file=path) from None
    return path


def is_gridmodel_folder(path: Path) -> bool:
    """True if ``path`` is a folder gridmodel wrote (it holds the marker)."""
    return (path / MARKER).is_file()


def check_target(out: Path, *, overwrite: bool = False) -> None:
    """Refuse a target that cannot or must not be replaced.

    Raises
    ------
    OutputError
        If ``out`` is a file, or a non-empty folder gridmodel did not write
        (and ``overwrite`` is false), or its parent cannot be written.
    """
    if out.exists() and not out.is_dir():
        raise OutputError("exists and is not a folder", file=out, allowed="a folder path")
    if out.is_dir() and any(out.iterdir()) and not is_gridmodel_folder(out) and not overwrite:
        raise OutputError(
            "folder exists, is not empty and was not written by gridmodel",
            file=out,
            allowed="an empty or new folder, an earlier gridmodel result, or --overwrite",
        )
    parent = out.resolve().parent
    if not parent.exists():
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(
                f"cannot create the parent folder ({exc.strerror})", file=parent
            ) from None
    if not os.access(parent, os.W_OK):
        raise OutputError("cannot write here (permission denied)", file=parent)


@contextmanager
def atomic_output_dir(out: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``out`` in one rename.

    On an exception (including Ctrl-C) the temporary folder is removed and
    ``out`` is left as it was; an ``OSError`` while writing becomes an
    :class:`~gridmodel.errors.OutputError` naming ``out``.
    """
    out = Path(out)
    check_target(out, overwrite=overwrite)
    parent = out.resolve().parent
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot write here ({exc.strerror})", file=parent) from None
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; a result folder is not
    try:
        yield tmp
        (tmp / MARKER).write_text("written by gridmodel\n", encoding="utf-8")
        _replace(tmp, out)
    except OSError as exc:  # disk full, quota, a file system that refuses a name
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(f"cannot write the results ({exc.strerror or exc})", file=out) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _replace(tmp: Path, out: Path) -> None:
    """Move ``tmp`` to ``out``, replacing an existing ``out`` as late as possible."""
    if not out.exists():
        tmp.rename(out)
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    out.rename(old)
    try:
        tmp.rename(out)
    except BaseException:
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)
