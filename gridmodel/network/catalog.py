"""The network catalog: find a network by name or path and load it as a Grid.

Three sources, looked up in this order:

1. bundled networks: a folder ``<name>/`` holding ``network.json`` (and the
   metadata CSVs of :mod:`gridmodel.network.metadata`, and the region outlines
   of :mod:`gridmodel.network.outlines`) in one of the folders of
   :func:`network_dirs`: the entries of ``GRIDMODEL_NETWORKS_PATH``
   (``os.pathsep``-separated), the ``networks/`` folder of a source checkout,
   and the copy shipped inside a wheel (``gridmodel/_bundled_networks``);
2. pandapower's built-in cases (:data:`BUILTIN_CASES`), with layout
   coordinates and no metadata, so the defaults apply;
3. a path: a pandapower JSON file, a MATPOWER case (``.m`` or ``.mat``), or a
   bundled network folder anywhere on disk.

Pickle files are refused: unpickling runs code from the file. pandapower JSON
names the classes it rebuilds, so a JSON file is checked against the classes a
network holds before pandapower reads it
(:func:`~gridmodel.network.pandapower_json.read_network_json`).

Parsed nets are kept for the life of the process, keyed by value (a built-in
case's name; a file's resolved path, modification time and size), in
``functools.lru_cache`` memos, which are thread-safe; every caller gets a
deep copy, so nothing a caller does to its net reaches another.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import io
import logging
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridmodel.errors import NetworkError, unknown_name
from gridmodel.inputs import NETWORK_LIMIT, check_user_file, read_user_bytes
from gridmodel.network.grid import Grid
from gridmodel.network.matpower import check_m_text, check_mat_expansion
from gridmodel.network.metadata import build_grid, read_metadata
from gridmodel.network.outlines import OUTLINES_FILE, read_outlines
from gridmodel.network.pandapower_json import read_network_json

#: pandapower built-in cases offered by name (function names in ``pandapower.networks``).
BUILTIN_CASES: tuple[str, ...] = (
    "case5",
    "case9",
    "case14",
    "case24_ieee_rts",
    "case30",
    "case39",
    "case57",
    "case89pegase",
    "case118",
    "case145",
    "case300",
    "case_illinois200",
    "case1354pegase",
    "case2869pegase",
    "GBreducednetwork",
    "iceland",
    "mv_oberrhein",
)
#: File suffixes load_network reads.
NETWORK_SUFFIXES: tuple[str, ...] = (".json", ".m", ".mat")
PICKLE_SUFFIXES: tuple[str, ...] = (".p", ".pkl", ".pickle")
NETWORK_FILE = "network.json"
ENV_PATH = "GRIDMODEL_NETWORKS_PATH"
_ACCEPTED = "a catalog name, a bundled network folder, pandapower JSON (.json), MATPOWER (.m, .mat)"


@dataclass(frozen=True)
class NetworkEntry:
    """One catalog entry: ``kind`` is ``"bundled"`` or ``"builtin"``."""

    name: str
    kind: str
    location: str


def network_dirs() -> list[Path]:
    """Folders searched for bundled networks, in lookup order (existing ones only)."""
    dirs: list[Path] = []
    for entry in os.environ.get(ENV_PATH, "").split(os.pathsep):
        if entry.strip():
            dirs.append(Path(entry.strip()).expanduser())
    package = Path(__file__).resolve().parents[1]  # the gridmodel package
    checkout = checkout_networks_dir()
    dirs += [*([checkout] if checkout else []), package / "_bundled_networks"]
    unique: list[Path] = []
    for d in dirs:
        if d.is_dir() and d.resolve() not in {u.resolve() for u in unique}:
            unique.append(d)
    return unique


def checkout_networks_dir() -> Path | None:
    """The ``networks/`` folder next to the package in a source checkout.

    Only a folder beside a ``pyproject.toml`` counts, so an installed package
    never mistakes an unrelated ``site-packages/networks`` for it.
    """
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file():
        return root / "networks"
    return None


def network_entries() -> list[NetworkEntry]:
    """Every network available by name: bundled ones first, then built-in cases."""
    entries: dict[str, NetworkEntry] = {}
    for folder in network_dirs():
        for sub in sorted(folder.iterdir()):
            if (sub / NETWORK_FILE).is_file() and sub.name not in entries:
                entries[sub.name] = NetworkEntry(sub.name, "bundled", str(sub))
    for case in BUILTIN_CASES:
        if case not in entries:
            entries[case] = NetworkEntry(case, "builtin", f"pandapower.networks.{case}")
    return list(entries.values())


def available_networks() -> list[str]:
    """Names :func:`load_network` accepts (bundled networks, then built-in cases)."""
    return [e.name for e in network_entries()]


def load_network(name_or_path: str | Path) -> Grid:
    """Load a network by catalog name or path, with its metadata (or the defaults).

    Parameters
    ----------
    name_or_path
        A bundled network name, a pandapower built-in case name, a network
        folder, or a file (pandapower JSON ``.json``, MATPOWER ``.m``/``.mat``).

    Returns
    -------
    Grid
        A fresh copy: changing its net does not affect later loads.

    Raises
    ------
    NetworkError
        For an unknown name (listing close matches), a refused or unknown file
        type, an unreadable or malformed file, or bad metadata.
    """
    text = str(name_or_path)
    if not isinstance(name_or_path, Path):
        for entry in network_entries():
            if entry.name == text:
                if entry.kind == "builtin":
                    net = copy.deepcopy(_builtin_net(text))
                    return build_grid(net, name=text, source=entry.location)
                return _load_folder(Path(entry.location), name=text)
    path = Path(text).expanduser()
    if path.suffix.lower() in PICKLE_SUFFIXES:
        read_net(path)  # raises: pickles are refused whether or not they exist
    if not path.exists():
        if isinstance(name_or_path, Path) or _looks_like_path(text):
            raise NetworkError("no such file or folder", file=path, allowed=_ACCEPTED)
        raise unknown_name(
            "network", text, available_networks(), error=NetworkError, list_all=False
        )
    if path.is_dir():
        return _load_folder(path, name=path.name)
    net = read_net(path)
    return build_grid(net, name=path.stem, source=str(path))


def read_net(path: str | Path) -> Any:
    """Read a pandapower net from a pandapower JSON or MATPOWER (``.m``/``.mat``) file.

    Raises
    ------
    NetworkError
        For pickles, unknown suffixes and files that cannot be parsed.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in PICKLE_SUFFIXES:
        raise NetworkError(
            "pickle files are not read (unpickling can run code)",
            file=path,
            allowed="pandapower JSON (.json), MATPOWER (.m, .mat)",
        )
    if suffix not in NETWORK_SUFFIXES:
        raise NetworkError(
            f"unknown network file type {suffix or '(none)'!r}",
            file=path,
            allowed="pandapower JSON (.json), MATPOWER (.m, .mat)",
        )
    what = "pandapower JSON (.json) or MATPOWER (.m, .mat)"
    check_user_file(path, limit=NETWORK_LIMIT, what=what, error=NetworkError)
    stat = path.stat()
    return copy.deepcopy(_cached_file_net(str(path.resolve()), stat.st_mtime_ns, stat.st_size))


def summarize(grid: Grid) -> dict[str, Any]:
    """Counts and per-region totals of a network, as shown by ``gridmodel networks show``.

    ``load_mw`` is the sum of in-service loads' ``p_mw x scaling``.
    ``gen_mw`` is installed generation of in-service units: ``max_p_mw`` of
    ``gen`` and ``sgen`` (their ``p_mw`` where no finite maximum is given),
    plus ``max_p_mw`` of an ``ext_grid`` when it is finite (MATPOWER slack
    generators become ext_grids with their Pmax there; an unlimited external
    grid adds nothing).

    Returns
    -------
    dict
        ``name``, ``source``, ``buses``, ``substations``, ``loads``,
        ``customers``, ``load_mw``, ``gen_mw`` and ``regions``: a list of
        ``{region, substations, groups, load_mw, gen_mw, customers}``.
    """
    net = grid.net
    bus_region = grid.bus_region()
    regions = grid.region_names()
    load = _in_service(net.load)
    load_p = load["p_mw"].astype(float) * load.get("scaling", 1.0)
    load_mw = load_p.groupby(load["bus"].map(bus_region)).sum()
    customers = grid.loads["customers"].reindex(load.index)
    cust = customers.groupby(load["bus"].map(bus_region)).sum()
    gen_mw = pd.Series(0.0, index=regions)
    for table, fallback in (("gen", True), ("sgen", True), ("ext_grid", False)):
        units = _in_service(getattr(net, table))
        if not len(units):
            continue
        cap = unit_capacity(units, fallback=fallback)
        gen_mw = gen_mw.add(cap.groupby(units["bus"].map(bus_region)).sum(), fill_value=0.0)
    subs = grid.substations["region"].value_counts()
    rows = [
        {
            "region": r,
            "substations": int(subs.get(r, 0)),
            "groups": int(grid.regions["groups"].get(r, 0)),
            "load_mw": round(float(load_mw.get(r, 0.0)), 3),
            "gen_mw": round(float(gen_mw.get(r, 0.0)), 3),
            "customers": int(cust.get(r, 0)),
        }
        for r in regions
    ]
    return {
        "name": grid.name,
        "source": grid.source,
        "buses": len(net.bus),
        "substations": len(grid.substations),
        "loads": len(net.load),
        "customers": int(grid.loads["customers"].sum()),
        "load_mw": round(float(load_p.sum()), 3),
        "gen_mw": round(float(gen_mw.sum()), 3),
        "regions": rows,
    }


# --- loading ------------------------------------------------------------------


def _load_folder(folder: Path, *, name: str) -> Grid:
    net_file = folder / NETWORK_FILE
    if not net_file.is_file():
        raise NetworkError(
            f"missing {NETWORK_FILE} in network folder", file=folder, allowed=_ACCEPTED
        )
    grid = build_grid(
        read_net(net_file), name=name, source=str(folder), tables=read_metadata(folder)
    )
    coords = grid.substations[["lat", "lon"]]
    missing = coords.index[coords.isna().any(axis=1)]
    if len(missing):
        raise NetworkError(
            f"substation {missing[0]!r} has no coordinates; a bundled network needs "
            "lat and lon for every substation",
            file=folder / "substations.csv",
            field="lat",
        )
    if (folder / OUTLINES_FILE).is_file():
        grid = dataclasses.replace(grid, outlines=read_outlines(folder / OUTLINES_FILE))
    return grid


@functools.lru_cache(maxsize=32)
def _builtin_net(name: str) -> Any:
    with _quiet():
        import pandapower.networks as pn

        return getattr(pn, name)()


@functools.lru_cache(maxsize=16)
def _cached_file_net(path: str, mtime_ns: int, size: int) -> Any:
    suffix = Path(path).suffix.lower()
    try:
        with _quiet():
            if suffix == ".json":
                import pandapower as pp

                net = pp.from_json(io.StringIO(read_network_json(path)))
            else:
                from pandapower.converter.matpower import from_mpc

                what = "MATPOWER (.m, .mat)"
                raw = read_user_bytes(path, limit=NETWORK_LIMIT, what=what, error=NetworkError)
                if suffix == ".mat":
                    check_mat_expansion(raw, file=path)
                else:
                    check_m_text(raw.decode("utf-8", errors="replace"), file=path)
                net = from_mpc(path, f_hz=50)
    except NetworkError:
        raise
    except ImportError as exc:  # matpowercaseframes missing for .m files
        raise NetworkError(f"cannot read MATPOWER file: {exc}", file=path) from None
    except Exception as exc:  # any parser failure is a malformed file for the user
        kind = "pandapower JSON network" if suffix == ".json" else "MATPOWER case"
        raise NetworkError(
            f"cannot read network file: not a valid {kind} ({_reason(exc)})", file=path
        ) from None
    if not hasattr(net, "bus") or not len(net.bus):
        raise NetworkError("the network has no buses", file=path)
    return net


def _looks_like_path(text: str) -> bool:
    return (
        "/" in text
        or os.sep in text
        or Path(text).suffix.lower() in (*NETWORK_SUFFIXES, *PICKLE_SUFFIXES)
    )


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence pandapower's prints, warnings and log records below ERROR."""
    logger = logging.getLogger("pandapower")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _in_service(table: pd.DataFrame) -> pd.DataFrame:
    if "in_service" not in table.columns:
        return table
    return table[table["in_service"].astype(bool)]


def unit_capacity(units: pd.DataFrame, *, fallback: bool) -> pd.Series:
    """MW a unit can deliver: a finite ``max_p_mw``, else (with ``fallback``) its ``p_mw``; >= 0."""
    cap = pd.to_numeric(units.get("max_p_mw", pd.Series(np.nan, index=units.index)))
    cap = cap.astype(float).where(np.isfinite(cap.astype(float)))
    if fallback:
        cap = cap.fillna(units["p_mw"].astype(float).clip(lower=0.0))
    return cap.fillna(0.0).clip(lower=0.0)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        return f"missing {exc.args[0]!r}"
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    return re.sub(r"\s+", " ", first)[:200]
