"""A compiled grid by network name or path, from the disk cache when it holds one.

Loading a network (pandapower's import and parser) and compiling it (two DC
solves) take seconds; the compiled arrays take milliseconds to read. So
:func:`prepare_grid` keeps every compiled grid in
``<cache folder>/compiled/<key>.npz`` (format and checks in
:mod:`gridmodel.engine.stored`). The cache folder is ``$GRIDMODEL_CACHE_DIR``,
else ``$XDG_CACHE_HOME/gridmodel``, else ``~/.cache/gridmodel``;
``GRIDMODEL_CACHE_DIR=off`` (or ``use_cache=False``) turns it off.

The key is a SHA-256 of everything the arrays depend on: the bytes of every
file the network is read from (:mod:`gridmodel.network.fingerprint`; a
pandapower built-in case: its name and pandapower's version), the grid's name
and source, the engine options that shape the arrays
(:data:`SHAPING_OPTIONS`), the installed versions of gridmodel, pandapower,
numpy and scipy, and the size and modification time of gridmodel's engine and
network modules (an edited source checkout compiles afresh). A grid read
from the cache has a deferred net (:class:`~gridmodel.network.grid.DeferredNet`):
pandapower is imported only if something reads ``grid.net``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gridmodel._version import __version__
from gridmodel.engine.cache import EngineCache
from gridmodel.engine.compile import compile_grid
from gridmodel.engine.compiled import CompiledGrid
from gridmodel.engine.options import EngineOptions
from gridmodel.engine.stored import FORMAT, read_entry, storable, write_entry
from gridmodel.errors import NetworkError
from gridmodel.network.catalog import load_network
from gridmodel.network.fingerprint import Located, fingerprint, locate
from gridmodel.network.listing import cache_dir

#: Sub-folder of the cache folder holding compiled grids.
COMPILED_DIR = "compiled"
#: Engine options the compiled arrays depend on (the ratings mode uses the base
#: flows, in AC with the AC backend's apparent power); the others only steer
#: evaluation, so changing them reuses an entry.
SHAPING_OPTIONS: tuple[str, ...] = ("mode", "ratings", "overload_limit_percent", "ac_backend")
#: Entries kept: after a write, the oldest beyond this many are removed.
KEEP_ENTRIES = 256
#: Age (s) after which a temporary file of an interrupted write is removed.
STALE_TEMPORARY_S = 3600.0
#: Packages whose version is part of the key.
VERSIONED: tuple[str, ...] = ("pandapower", "numpy", "scipy")
#: Folders of the package whose modules shape a compiled grid.
_CODE_DIRS: tuple[str, ...] = ("engine", "network")


@dataclass(frozen=True)
class Prepared:
    """A compiled grid and how it was obtained.

    Attributes
    ----------
    compiled
        The compiled grid.
    cached
        True if it was read from the cache.
    seconds
        Wall time spent loading and compiling (0 when read from the cache).
    entry
        The cache file it was read from or written to; None if none.
    note
        Why it was not written to the cache (None if it was, or if the cache
        is off).
    """

    compiled: CompiledGrid
    cached: bool
    seconds: float
    entry: Path | None
    note: str | None = None


def compiled_dir() -> Path | None:
    """The folder of cached compiled grids; None if the cache is off or has no place."""
    folder = cache_dir()
    return None if folder is None else folder / COMPILED_DIR


def prepare_grid(
    name_or_path: str | Path,
    *,
    options: EngineOptions,
    use_cache: bool = True,
    cache: EngineCache | None = None,
) -> Prepared:
    """Load and compile a network, or read it compiled from the disk cache.

    Parameters
    ----------
    name_or_path
        As for :func:`~gridmodel.network.catalog.load_network`.
    options
        Engine options of the compiled grid.
    use_cache
        False: neither read nor write the cache.
    cache
        The engine cache compiling may fill (the AC backend's model).

    Returns
    -------
    Prepared

    Raises
    ------
    NetworkError
        As ``load_network`` does, and for a damaged cache entry (one line
        naming it and how to clear it).
    """
    folder = compiled_dir() if use_cache else None
    located = locate(name_or_path) if folder is not None else None
    digests = fingerprint(located) if located is not None else None
    key = entry_key(located, digests, options) if located and digests is not None else None
    entry = folder / f"{key}.npz" if folder is not None and key is not None else None
    if entry is not None and entry.exists():

        def load_net() -> Any:
            if located is None or fingerprint(located) != digests:
                raise NetworkError(
                    "the network's files changed while gridmodel ran; run the command again",
                    file=located.source if located else str(name_or_path),
                )
            return load_network(name_or_path).net

        compiled = read_entry(entry, key=str(key), options=options, load_net=load_net)
        return Prepared(compiled, cached=True, seconds=0.0, entry=entry)
    start = time.perf_counter()
    compiled = compile_grid(load_network(name_or_path), options=options, cache=cache)
    seconds = time.perf_counter() - start
    if entry is None or located is None:
        return Prepared(compiled, cached=False, seconds=seconds, entry=None)
    note = storable(compiled.grid)
    if note is None and fingerprint(located) != digests:
        note = "the network changed while it was read"
    if note is None:
        try:
            write_entry(entry, compiled, str(key))
        except OSError as exc:
            note = f"cannot write {entry.parent}: {exc.strerror or exc}"
        except NetworkError as exc:  # arrays the reader would refuse: not kept
            note = f"{exc.field}: {exc.message.split(';')[0]}"
        else:
            prune(entry.parent)
    if note is not None:
        return Prepared(compiled, cached=False, seconds=seconds, entry=None, note=note)
    return Prepared(compiled, cached=False, seconds=seconds, entry=entry)


def prune(folder: Path, *, keep: int = KEEP_ENTRIES) -> None:
    """Remove all but the ``keep`` newest entries of ``folder``, and temporary
    files older than :data:`STALE_TEMPORARY_S` (left by a killed process);
    quietly skip what cannot be removed."""
    try:
        entries = sorted(
            ((p.stat().st_mtime, p) for p in folder.glob("*.npz") if p.is_file()), reverse=True
        )
        temporary = [p for p in folder.glob(".entry-*.tmp") if p.is_file()]
        now = time.time()
        old = [p for _, p in entries[keep:]]
        old += [p for p in temporary if now - p.stat().st_mtime > STALE_TEMPORARY_S]
        for path in old:
            path.unlink(missing_ok=True)
    except OSError:
        return


def entry_key(
    located: Located, digests: list[tuple[str, str]], options: EngineOptions
) -> str | None:
    """The SHA-256 key of an entry (see the module notes); None if a version is unknown."""
    try:
        versions = {name: importlib.metadata.version(name) for name in VERSIONED}
    except importlib.metadata.PackageNotFoundError:
        return None
    shaping = {name: getattr(options, name) for name in SHAPING_OPTIONS}
    if shaping["mode"] != "ac":
        shaping["ac_backend"] = None
    document = {
        "format": FORMAT,
        "gridmodel": __version__,
        "versions": versions,
        "code": _code_stamp(),
        "options": shaping,
        "network": [located.kind, located.name, located.source, digests],
    }
    text = json.dumps(document, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _code_stamp() -> list[str]:
    """Name, size and modification time of every module of the engine and network."""
    package = Path(__file__).resolve().parents[1]
    stamps = []
    for sub in _CODE_DIRS:
        for path in sorted((package / sub).rglob("*.py")):
            try:
                st = path.stat()
            except OSError:
                continue
            stamps.append(f"{path.relative_to(package)}:{st.st_size}:{st.st_mtime_ns}")
    return stamps
