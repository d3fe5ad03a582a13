"""The catalog listing of ``gridmodel networks list``, with its rows kept on disk.

Summarising a network means loading it, and pandapower takes about 0.3 s to
load even a five-bus built-in case, so listing the whole catalog takes about
ten seconds. The rows are therefore kept in ``catalog.json`` under
:func:`cache_dir`, each under a key of everything it depends on:

* a built-in case: its name and the installed pandapower and gridmodel
  versions (and the size and time of the gridmodel modules that load and
  summarise networks, so an edited source checkout is summarised afresh);
* a bundled folder: the same, its path and the name, size and modification
  time of every file in it, so editing, replacing or importing over a
  network gives it a new key.

A row whose key is missing (or whose kept entry is unreadable or malformed) is
computed afresh; a network that cannot be loaded is never kept, so its error
is reported every time. The file holds only the rows of the latest listing
and is replaced atomically; if it cannot be read or written, the listing is
computed as if it were absent (as when no home folder can be found).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from gridmodel._version import __version__
from gridmodel.errors import GridModelError
from gridmodel.network import catalog, defaults, grid, metadata
from gridmodel.network.catalog import NetworkEntry, load_network, network_entries, summarize

#: Environment variable naming gridmodel's cache folder.
ENV_CACHE = "GRIDMODEL_CACHE_DIR"
#: Value of ``GRIDMODEL_CACHE_DIR`` that turns every cache off.
CACHE_OFF = "off"
#: File of kept rows in the cache folder.
CATALOG_FILE = "catalog.json"
#: Version of the row layout; a new layout gives every row a new key.
ROW_FORMAT = 1

#: Modules whose code makes a row (see :func:`_code_stamp`).
_SUMMARY_MODULES = (catalog, defaults, grid, metadata)

#: Columns of a listed network besides ``name`` and ``kind``, with their types.
COLUMNS: dict[str, tuple[type, ...]] = {
    "buses": (int,),
    "substations": (int,),
    "regions": (int,),
    "load_mw": (int, float),
    "gen_mw": (int, float),
}


def cache_dir() -> Path | None:
    """``GRIDMODEL_CACHE_DIR``, else ``$XDG_CACHE_HOME/gridmodel``, else
    ``~/.cache/gridmodel``; None if ``GRIDMODEL_CACHE_DIR`` is ``off`` or the
    home folder cannot be told."""
    named = os.environ.get(ENV_CACHE, "").strip()
    if named == CACHE_OFF:
        return None
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    try:
        if named:
            return Path(named).expanduser()
        return (Path(base).expanduser() if base else Path.home() / ".cache") / "gridmodel"
    except RuntimeError:  # no home folder (or an unknown ~user)
        return None


def summarize_catalog() -> list[dict[str, Any]]:
    """One row per catalog entry, for ``gridmodel networks list``.

    Each row has ``name`` and ``kind`` and either the :data:`COLUMNS`
    (``buses``, ``substations``, ``regions`` as a count, ``load_mw``,
    ``gen_mw``) or ``error``, the one-line message of a network that cannot
    be loaded. Rows kept from an earlier listing are reused while their key
    holds (see the module docstring).
    """
    folder = cache_dir()
    path = None if folder is None else folder / CATALOG_FILE
    kept = {} if path is None else _read(path)
    rows: list[dict[str, Any]] = []
    keep: dict[str, dict[str, Any]] = {}
    code = f"gridmodel {__version__} {_code_stamp()}"
    for entry in network_entries():
        key = _key(entry, code)
        row = kept.get(key) if key is not None else None
        if row is None or not _valid(row, entry):
            row = {"name": entry.name, "kind": entry.kind} | _row(entry.name)
        if key is not None and "error" not in row:
            keep[key] = row
        rows.append(row)
    if path is not None and keep != kept:
        _write(path, keep)
    return rows


def _row(name: str) -> dict[str, Any]:
    try:
        s = summarize(load_network(name))
    except GridModelError as exc:
        return {"error": exc.line()}
    return {
        "buses": s["buses"],
        "substations": s["substations"],
        "regions": len(s["regions"]),
        "load_mw": s["load_mw"],
        "gen_mw": s["gen_mw"],
    }


def _key(entry: NetworkEntry, code: str) -> str | None:
    """What the entry's row depends on (``code``: the gridmodel version and
    :func:`_code_stamp`); None if that cannot be told."""
    head = f"format {ROW_FORMAT}|{code}|{entry.kind}|{entry.name}"
    if entry.kind == "builtin":
        try:
            return f"{head}|pandapower {importlib.metadata.version('pandapower')}"
        except importlib.metadata.PackageNotFoundError:
            return None
    try:
        files = sorted(p for p in Path(entry.location).iterdir() if p.is_file())
        stats = [(p.name, p.stat()) for p in files]
    except OSError:
        return None
    listed = ";".join(f"{name}:{st.st_size}:{st.st_mtime_ns}" for name, st in stats)
    return f"{head}|{entry.location}|{listed}"


def _code_stamp() -> str:
    """Size and modification time of the modules that load and summarise a
    network: an edited source checkout gets new keys without a new version."""
    try:
        stats = [Path(m.__file__).stat() for m in _SUMMARY_MODULES if m.__file__]
    except OSError:
        return ""
    return ",".join(f"{st.st_size}:{st.st_mtime_ns}" for st in stats)


def _valid(row: Any, entry: NetworkEntry) -> bool:
    """A kept row for this entry with every column of the right type."""
    if not isinstance(row, dict) or set(row) != {"name", "kind", *COLUMNS}:
        return False
    if row["name"] != entry.name or row["kind"] != entry.kind:
        return False
    return all(
        isinstance(row[col], types) and not isinstance(row[col], bool)
        for col, types in COLUMNS.items()
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return kept if isinstance(kept, dict) else {}


def _write(path: Path, rows: dict[str, dict[str, Any]]) -> None:
    """Replace ``path`` with ``rows`` in one step; give up quietly on any OS error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".catalog-", suffix=".json", dir=path.parent)
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(rows, handle, indent=1, sort_keys=True)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
    except BaseException:  # Ctrl-C while writing: no temporary file left behind
        Path(tmp).unlink(missing_ok=True)
        raise
