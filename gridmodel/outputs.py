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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from gridmodel.errors import GridModelError, OutputError
from gridmodel.inputs import MIB, read_user_bytes
from gridmodel.interrupts import deferred, stage

#: Name of the marker file in every folder gridmodel writes.
MARKER = ".gridmodel"
#: First line of the marker; the entries gridmodel wrote follow, one a line.
MARKER_TEXT = "written by gridmodel; the files it wrote:\n"
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


def write_marker(folder: Path, entries: Iterable[str]) -> None:
    """Write the marker of ``folder``, listing the ``entries`` gridmodel wrote there.

    ``entries`` are paths relative to ``folder`` with ``/`` between parts, a
    folder with a trailing ``/``. The listing is what a later command may
    delete without ``--overwrite``.
    """
    names = sorted(set(entries) - {MARKER})
    (folder / MARKER).write_text(MARKER_TEXT + "".join(f"{n}\n" for n in names), encoding="utf-8")


def claim(folder: Path, *names: str) -> None:
    """Add ``names`` to the listing of a folder gridmodel wrote (no marker: nothing happens)."""
    owned = _owned(folder)
    if owned is not None and not set(names) <= owned:
        write_marker(folder, owned | set(names))


def lists(folder: Path, name: str) -> bool | None:
    """Whether the marker of ``folder`` lists ``name``; ``None`` if there is no listing."""
    owned = _owned(folder)
    return None if owned is None else name in owned


def folder_entries(folder: Path) -> set[str]:
    """Every entry under ``folder`` (links not followed), as in a marker's listing."""
    found: set[str] = set()
    for root, dirs, files in os.walk(folder):
        base = Path(root).relative_to(folder).as_posix()
        prefix = "" if base == "." else base + "/"
        found.update(prefix + d + "/" for d in dirs)
        found.update(prefix + f for f in files)
    return found - {MARKER}


def foreign_entries(folder: Path) -> list[str]:
    """Entries of a folder gridmodel wrote that are not in its marker's listing, sorted.

    Nothing for a marker without a listing (written by a version before
    listings); a folder without a marker is not gridmodel's at all (see
    :func:`is_gridmodel_folder`).
    """
    owned = _owned(folder)
    return [] if owned is None else sorted(folder_entries(folder) - owned)


def _owned(folder: Path) -> set[str] | None:
    """The marker's listing; ``None`` without a marker or for a marker without a listing."""
    try:  # a marker that is not a small regular file (a FIFO, say) is no marker
        raw = read_user_bytes(folder / MARKER, limit=16 * MIB, what="a gridmodel marker")
        lines = raw.decode("utf-8").splitlines()
    except (GridModelError, UnicodeDecodeError):
        return None
    if not lines or lines[0] != MARKER_TEXT.strip():
        return None
    return set(lines[1:])


def check_target(out: Path, *, overwrite: bool = False) -> None:
    """Refuse a target that cannot or must not be replaced.

    Raises
    ------
    OutputError
        If ``out`` is a file, a symbolic link, the current folder or one of
        its parents, or a non-empty folder holding anything gridmodel did
        not write (and ``overwrite`` is false), or its parent cannot be written.
    """
    check_place(out)
    if out.is_dir() and not overwrite:
        _check_owned(out)
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


def _check_owned(out: Path) -> None:
    """Refuse a folder that holds anything gridmodel did not write."""
    if not is_gridmodel_folder(out):
        if any(out.iterdir()):
            raise OutputError(
                "folder exists, is not empty and was not written by gridmodel",
                file=out,
                allowed="an empty or new folder, an earlier gridmodel result, or --overwrite",
            )
    elif foreign := foreign_entries(out):
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise OutputError(
            f"holds files gridmodel did not write ({shown})",
            file=out,
            allowed="move them away, another folder, or --overwrite",
        )


def check_place(out: Path) -> None:
    """Refuse an output path that is a file, a symbolic link, or the current folder or a parent.

    A link is refused rather than followed or replaced: replacing the link
    would leave the folder it points to, replacing that folder would write
    outside the path given.

    Raises
    ------
    OutputError
        Naming ``out`` and what is allowed.
    """
    if out.is_symlink():
        raise OutputError(
            "is a symbolic link", file=out, allowed="a folder path that is not a link"
        )
    if out.exists() and not out.is_dir():
        raise OutputError("exists and is not a folder", file=out, allowed="a folder path")
    try:
        here = Path.cwd().resolve()
    except OSError:  # the current folder was deleted: nothing to protect
        return
    where = out.resolve()
    if where == here or where in here.parents:
        raise OutputError(
            "is the current folder or one of its parents",
            file=out,
            allowed="a folder inside the current folder, such as reports/run",
        )


@contextmanager
def atomic_output_dir(out: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``out`` in one rename.

    On an exception (including Ctrl-C and SIGTERM) the temporary folder is
    removed and ``out`` is left as it was; an ``OSError`` while writing becomes an
    :class:`~gridmodel.errors.OutputError` naming ``out``. The marker lists
    every file written, so a later command replaces ``out`` only if nothing
    else was added to it.
    """
    out = Path(out)
    check_target(out, overwrite=overwrite)
    parent = out.resolve().parent
    tmp: Path | None = None
    try:
        with deferred():
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp makes it private; a result folder is not
        stage("writing")
        yield tmp
        write_marker(tmp, folder_entries(tmp))
        _replace(tmp, out)
    except OSError as exc:  # disk full, quota, a file system that refuses a name
        _remove(tmp)
        where = parent if tmp is None else out
        raise OutputError(f"cannot write the results ({exc.strerror or exc})", file=where) from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(tmp: Path | None) -> None:
    """Remove a temporary folder; a signal meanwhile is delivered once it is gone."""
    if tmp is not None:
        with deferred():
            shutil.rmtree(tmp, ignore_errors=True)


def _replace(tmp: Path, out: Path) -> None:
    """Move ``tmp`` to ``out``, replacing an existing ``out``; no signal splits the steps."""
    with deferred():
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
