"""What a network name or path stands for, and the digest of the bytes behind it.

The cache of compiled grids (:mod:`gridmodel.engine.prepare`) keys an entry by
the content of every file :func:`~gridmodel.network.catalog.load_network`
would read, without parsing any of them: :func:`locate` resolves a name or
path the way ``load_network`` does, and :func:`fingerprint` hashes the bytes
of those files (read with the bounded readers of :mod:`gridmodel.inputs`).

Anything ``load_network`` would refuse (an unknown name, a pickle, a missing
or oversized file) is not located here: the caller loads the network the
ordinary way and gets that error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from gridmodel.errors import GridModelError
from gridmodel.inputs import NETWORK_LIMIT, TABLE_LIMIT, read_user_bytes
from gridmodel.network.catalog import NETWORK_FILE, NETWORK_SUFFIXES, network_entries
from gridmodel.network.metadata import COLUMNS
from gridmodel.network.outlines import MAX_OUTLINES_BYTES, OUTLINES_FILE


@dataclass(frozen=True)
class Located:
    """A network as :func:`~gridmodel.network.catalog.load_network` would load it.

    Attributes
    ----------
    kind
        ``"builtin"`` (a pandapower case), ``"folder"`` (a bundled network
        folder) or ``"file"`` (pandapower JSON or MATPOWER).
    name
        The grid's name (catalog name, folder name or file stem).
    source
        The grid's ``source`` (for messages).
    files
        Files read, with the largest size each may have: none for a built-in
        case (its version is pandapower's).
    """

    kind: str
    name: str
    source: str
    files: tuple[tuple[Path, int], ...] = ()


def locate(name_or_path: str | Path) -> Located | None:
    """Resolve a catalog name or path like ``load_network``; None if it would fail."""
    text = str(name_or_path)
    if not isinstance(name_or_path, Path):
        for entry in network_entries():
            if entry.name == text:
                if entry.kind == "builtin":
                    return Located("builtin", text, entry.location)
                return _folder(Path(entry.location), name=text)
    path = Path(text).expanduser()
    try:
        if path.is_dir():
            return _folder(path, name=path.name)
        if path.is_file() and path.suffix.lower() in NETWORK_SUFFIXES:
            return Located("file", path.stem, str(path), ((path, NETWORK_LIMIT),))
    except OSError:
        return None
    return None


def _folder(folder: Path, *, name: str) -> Located:
    files = [(folder / NETWORK_FILE, NETWORK_LIMIT)]
    files += [(folder / csv, TABLE_LIMIT) for csv in COLUMNS]
    files.append((folder / OUTLINES_FILE, MAX_OUTLINES_BYTES))
    return Located("folder", name, str(folder), tuple(files))


def fingerprint(located: Located) -> list[tuple[str, str]] | None:
    """``(file name, SHA-256 of its bytes)`` of each file (``"absent"`` for an
    optional file that is not there); None if a file cannot be read."""
    digests: list[tuple[str, str]] = []
    for path, limit in located.files:
        try:
            if not path.exists() and path.name != NETWORK_FILE and located.kind == "folder":
                digests.append((path.name, "absent"))
                continue
            raw = read_user_bytes(path, limit=limit, what="a network file")
        except (GridModelError, OSError):
            return None
        digests.append((path.name, hashlib.sha256(raw).hexdigest()))
    return digests
