"""A compiled grid on disk: one ``.npz`` file that runs no code when read.

The entry holds the arrays of a :class:`~gridmodel.engine.compiled.CompiledGrid`
(after the ratings mode) and the grid's metadata tables, each as a plain
numpy array (numbers, booleans or fixed-width unicode; never objects), plus
one JSON document (``meta``: format, key, names, scalars, region outlines).
It is written uncompressed to a temporary file in the cache folder and
renamed into place, so a crash never leaves half an entry under the real name.

Reading trusts nothing: the file must be a regular file of at most
:data:`ENTRY_LIMIT` bytes, a zip of exactly the expected uncompressed
``.npy`` members, read with ``allow_pickle=False``; every array is checked
for dtype, length, index range and finite values
(:mod:`gridmodel.engine.stored_checks`). Whatever is derived from the arrays
(the adjacency, the matrix pattern, the element positions, the base
factorisation) is rebuilt by the same functions that compiling uses, so a
grid read back evaluates bit for bit like the one compiled.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridmodel.engine.compiled import CompiledGrid, State, bus_members, element_positions
from gridmodel.engine.dc import base_factor
from gridmodel.engine.options import EngineOptions
from gridmodel.engine.stored_checks import ARRAYS, check_arrays, check_meta, damaged, members
from gridmodel.engine.structure import adjacency, pattern, unit_rank
from gridmodel.errors import NetworkError
from gridmodel.inputs import MIB, read_user_bytes
from gridmodel.network.grid import DeferredNet, Grid
from gridmodel.network.outlines import Outline

#: Version of the entry layout (part of every key).
FORMAT = 1
#: Largest entry read (case2869pegase's is under 2 MB).
ENTRY_LIMIT = 256 * MIB
WHAT = "a compiled-grid cache entry (.npz)"

#: Columns of the metadata tables an entry can hold, with their dtypes.
SUBSTATION_COLUMNS = {"name": "U", "region": "U", "lat": "f", "lon": "f", "vn_kv": "f"}
LOAD_COLUMNS = {"customers": "i", "priority": "i"}
REGION_COLUMNS = {"groups": "i"}


def storable(grid: Grid) -> str | None:
    """Why ``grid``'s metadata cannot be stored in an entry (None: it can)."""
    tables = (
        (grid.substations, "substation", SUBSTATION_COLUMNS, "U"),
        (grid.loads, "load", LOAD_COLUMNS, "i"),
        (grid.regions, "region", REGION_COLUMNS, "U"),
    )
    for frame, index, columns, index_kind in tables:
        if frame.index.name != index or list(frame.columns) != list(columns):
            return f"{index} table has columns {list(frame.columns)}"
        for col, kind in (("", index_kind), *columns.items()):
            values = frame.index if not col else frame[col]
            if _kind(values) != kind:
                return f"{index} column {col or index!r} has dtype {values.dtype}"
    b = grid.bus_substation
    if b.index.name != "bus" or b.name != "substation" or _kind(b.index) != "i":
        return "bus table is not indexed by bus"
    if _kind(b) != "U" or not b.isin(grid.substations.index).all():
        return "a bus names no substation"
    return None


def write_entry(path: Path, compiled: CompiledGrid, key: str) -> None:
    """Write ``compiled`` to ``path`` atomically (temporary file, then rename).

    Raises
    ------
    OSError
        If the folder cannot be created or written (nothing is left behind).
    NetworkError
        If the arrays would not pass the checks of reading (nothing is written).
    """
    arrays = _arrays(compiled)
    meta = _meta(compiled, key)
    check_arrays(path, arrays, meta)  # never write what reading would refuse
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".entry-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, allow_pickle=False, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:  # an OS error or Ctrl-C while writing: no temporary file left
        Path(tmp).unlink(missing_ok=True)
        raise


def read_entry(
    path: Path, *, key: str, options: EngineOptions, load_net: Callable[[], Any]
) -> CompiledGrid:
    """The compiled grid stored at ``path``; its net is parsed by ``load_net`` on first use.

    Raises
    ------
    NetworkError
        If the file is not a valid entry for ``key`` (naming the file, the
        field and what is allowed, and how to clear it).
    """
    try:
        raw = read_user_bytes(path, limit=ENTRY_LIMIT, what=WHAT, error=NetworkError)
    except NetworkError as exc:
        raise damaged(path, "file", exc.message, exc.allowed or WHAT) from None
    arrays = members(path, raw, (*ARRAYS, "meta"))
    meta = check_meta(path, arrays.pop("meta"), key=key, fmt=FORMAT)
    check_arrays(path, arrays, meta)
    return _restore(arrays, meta, options, load_net)


def _kind(values: Any) -> str:
    """``"i"`` int64, ``"f"`` float64, ``"b"`` bool, ``"U"`` all str, else ``"?"``."""
    dtype = values.dtype
    if dtype == np.int64:
        return "i"
    if dtype == np.float64:
        return "f"
    if dtype == np.bool_:
        return "b"
    if dtype.kind == "O" and all(isinstance(v, str) for v in values):
        return "U"
    return "?"


def _text(values: Any) -> np.ndarray:
    """Strings as a fixed-width unicode array (``<U1`` when empty)."""
    return np.asarray([str(v) for v in values], dtype=np.str_).reshape(-1)


def _arrays(c: CompiledGrid) -> dict[str, np.ndarray]:
    grid = c.grid
    ids = [str(s) for s in grid.substations.index]
    code = {s: n for n, s in enumerate(ids)}
    members = [c.substation_buses[s] for s in ids]
    out: dict[str, np.ndarray] = {
        "bus_lookup_key": np.fromiter(c.bus_lookup.keys(), dtype=np.int64),
        "bus_lookup_value": np.fromiter(c.bus_lookup.values(), dtype=np.int64),
        "branch_kind": _text(c.branch_kind),
        "unit_kind": _text(c.unit_kind),
        "base_bus": c.base.bus,
        "base_branch": c.base.branch,
        "base_unit": c.base.unit,
        "base_load": c.base.load,
        "substation_id": _text(ids),
        "substation_offset": np.cumsum([0, *(len(m) for m in members)], dtype=np.int64),
        "substation_bus": np.concatenate([*members, np.zeros(0, dtype=np.int64)]),
        "bus_index": grid.bus_substation.index.to_numpy(dtype=np.int64),
        "bus_code": np.asarray([code[s] for s in grid.bus_substation], dtype=np.int64),
        "load_table_index": grid.loads.index.to_numpy(dtype=np.int64),
        "region_id": _text(grid.regions.index),
        "region_groups": grid.regions["groups"].to_numpy(dtype=np.int64),
    }
    for name in ARRAYS:
        if name not in out and hasattr(c, name):
            out[name] = np.asarray(getattr(c, name))
    for col, kind in SUBSTATION_COLUMNS.items():
        values = grid.substations[col]
        out[f"substation_{col}"] = _text(values) if kind == "U" else values.to_numpy()
    for col in LOAD_COLUMNS:
        out[f"load_table_{col}"] = grid.loads[col].to_numpy(dtype=np.int64)
    return out


def _meta(c: CompiledGrid, key: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "key": key,
        "name": c.grid.name,
        "source": c.grid.source,
        "base_mva": c.base_mva,
        "n_bus": c.n_bus,
        "region_names": list(c.region_names),
        "warnings": list(c.warnings),
        "outlines": [
            [o.region, [[list(p) for p in ring] for ring in o.rings]] for o in c.grid.outlines
        ],
    }


def _restore(
    a: dict[str, np.ndarray], meta: dict[str, Any], options: EngineOptions, load_net: Any
) -> CompiledGrid:
    n_bus = int(meta["n_bus"])
    grid = _grid(a, meta, load_net)
    bus_lookup = dict(
        zip(a["bus_lookup_key"].tolist(), a["bus_lookup_value"].tolist(), strict=True)
    )
    branch_kind = a["branch_kind"].astype(object)
    unit_kind = a["unit_kind"].astype(object)
    branches = {"kind": branch_kind.tolist(), "index": a["branch_index"].tolist()}
    units = {"kind": unit_kind.tolist(), "index": a["unit_index"].tolist()}
    offsets = a["substation_offset"]
    compiled = CompiledGrid(
        grid=grid,
        options=options,
        base_mva=float(meta["base_mva"]),
        n_bus=n_bus,
        bus_lookup=bus_lookup,
        bus_pp=bus_members(bus_lookup, n_bus),
        bus_fixed_mw=a["bus_fixed_mw"],
        branch_kind=branch_kind,
        branch_index=a["branch_index"],
        branch_from=a["branch_from"],
        branch_to=a["branch_to"],
        branch_b_pu=a["branch_b_pu"],
        branch_shift_rad=a["branch_shift_rad"],
        branch_rating_mw=a["branch_rating_mw"],
        unit_kind=unit_kind,
        unit_index=a["unit_index"],
        unit_bus=a["unit_bus"],
        unit_forming=a["unit_forming"],
        unit_p0_mw=a["unit_p0_mw"],
        unit_pmax_mw=a["unit_pmax_mw"],
        load_index=a["load_index"],
        load_bus=a["load_bus"],
        load_p_mw=a["load_p_mw"],
        load_customers=a["load_customers"],
        load_priority=a["load_priority"],
        load_region=a["load_region"],
        region_names=tuple(meta["region_names"]),
        base=State(a["base_bus"], a["base_branch"], a["base_unit"], a["base_load"]),
        substation_buses={
            str(s): a["substation_bus"][offsets[n] : offsets[n + 1]]
            for n, s in enumerate(a["substation_id"].tolist())
        },
        adjacency=adjacency(n_bus, a["branch_from"], a["branch_to"]),
        pattern=pattern(n_bus, a["branch_from"], a["branch_to"], a["branch_b_pu"]),
        unit_rank=unit_rank(unit_kind, a["unit_pmax_mw"]),
        warnings=tuple(meta["warnings"]),
        positions=element_positions(
            bus_lookup, branches, units, {"index": a["load_index"].tolist()}
        ),
    )
    return _with_factor(compiled)


def _with_factor(compiled: CompiledGrid) -> CompiledGrid:
    import dataclasses

    return dataclasses.replace(compiled, base_factor=base_factor(compiled))


def _grid(a: dict[str, np.ndarray], meta: dict[str, Any], load_net: Any) -> Grid:
    ids = a["substation_id"].astype(object)
    columns = {
        col: a[f"substation_{col}"].astype(object) if kind == "U" else a[f"substation_{col}"]
        for col, kind in SUBSTATION_COLUMNS.items()
    }
    substations = pd.DataFrame(columns, index=pd.Index(ids, name="substation"))
    bus_substation = pd.Series(
        ids[a["bus_code"]], index=pd.Index(a["bus_index"], name="bus"), name="substation"
    )
    loads = pd.DataFrame(
        {col: a[f"load_table_{col}"] for col in LOAD_COLUMNS},
        index=pd.Index(a["load_table_index"], name="load"),
    )
    regions = pd.DataFrame(
        {"groups": a["region_groups"]},
        index=pd.Index(a["region_id"].astype(object), name="region"),
    )
    outlines = tuple(
        Outline(region, tuple(tuple((p[0], p[1]) for p in ring) for ring in rings))
        for region, rings in meta["outlines"]
    )
    return Grid(
        name=meta["name"],
        net=DeferredNet(load_net),
        substations=substations,
        bus_substation=bus_substation,
        loads=loads,
        regions=regions,
        source=meta["source"],
        outlines=outlines,
    )
