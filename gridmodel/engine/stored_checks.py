"""Checks of a compiled-grid cache entry read from disk (:mod:`gridmodel.engine.stored`).

An entry is data from a file like any other: a damaged or hand-made one must
give one line naming the file, the field and what is allowed, never a
traceback or a wrong answer. Every array is checked for its dtype, its length
against the others, its index range and finite values before anything is
built from it.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from gridmodel.errors import NetworkError
from gridmodel.inputs import check_nesting
from gridmodel.network.grid import PRIORITY_CLASSES
from gridmodel.schema import MAX_CUSTOMERS

#: How to clear a damaged entry, appended to every message.
CLEAR = "delete the file (or run with --no-cache) to compile afresh"

#: Arrays of an entry: dtype kind (``i`` int64, ``f`` float64, ``b`` bool,
#: ``U`` unicode) and the length they share (named after what they count).
ARRAYS: dict[str, tuple[str, str]] = {
    "bus_lookup_key": ("i", "pp_bus"),
    "bus_lookup_value": ("i", "pp_bus"),
    "bus_fixed_mw": ("f", "bus"),
    "branch_kind": ("U", "branch"),
    "branch_index": ("i", "branch"),
    "branch_from": ("i", "branch"),
    "branch_to": ("i", "branch"),
    "branch_b_pu": ("f", "branch"),
    "branch_shift_rad": ("f", "branch"),
    "branch_rating_mw": ("f", "branch"),
    "unit_kind": ("U", "unit"),
    "unit_index": ("i", "unit"),
    "unit_bus": ("i", "unit"),
    "unit_forming": ("b", "unit"),
    "unit_p0_mw": ("f", "unit"),
    "unit_pmax_mw": ("f", "unit"),
    "load_index": ("i", "load"),
    "load_bus": ("i", "load"),
    "load_p_mw": ("f", "load"),
    "load_customers": ("i", "load"),
    "load_priority": ("i", "load"),
    "load_region": ("i", "load"),
    "base_bus": ("b", "bus"),
    "base_branch": ("b", "branch"),
    "base_unit": ("b", "unit"),
    "base_load": ("b", "load"),
    "substation_id": ("U", "substation"),
    "substation_name": ("U", "substation"),
    "substation_region": ("U", "substation"),
    "substation_lat": ("f", "substation"),
    "substation_lon": ("f", "substation"),
    "substation_vn_kv": ("f", "substation"),
    "substation_offset": ("i", "substation+1"),
    "substation_bus": ("i", "substation_bus"),
    "bus_index": ("i", "pp_bus"),
    "bus_code": ("i", "pp_bus"),
    "load_table_index": ("i", "load_row"),
    "load_table_customers": ("i", "load_row"),
    "load_table_priority": ("i", "load_row"),
    "region_id": ("U", "region"),
    "region_groups": ("i", "region"),
}
_DTYPES = {"i": "int64", "f": "float64", "b": "bool", "U": "unicode text"}
#: Arrays whose values may be +inf (an unrated branch, an unlimited source).
_MAY_BE_INFINITE = {"branch_rating_mw", "unit_pmax_mw"}
#: Arrays whose values may be NaN (a substation of a network without coordinates).
_MAY_BE_NAN = {"substation_lat", "substation_lon"}
_META_KEYS = {
    "format",
    "key",
    "name",
    "source",
    "base_mva",
    "n_bus",
    "region_names",
    "warnings",
    "outlines",
}
_LARGEST_COUNT = 2**31


def damaged(path: Path, field: str, problem: str, allowed: str) -> NetworkError:
    """The error for a damaged entry: names the file, the field and how to clear it."""
    return NetworkError(
        f"damaged compiled-grid cache entry: {problem}; {CLEAR}",
        file=path,
        field=field,
        allowed=allowed,
    )


def members(path: Path, raw: bytes, names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The arrays of the zip in ``raw``: exactly ``names``, uncompressed ``.npy`` members.

    Each member's header is read first (numpy's parser, which evaluates no
    code and bounds the header's size): an object dtype (a pickle) or a shape
    whose data would not fit in the member is refused before any array is
    allocated.
    """
    expected = {f"{name}.npy" for name in names}
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise damaged(
            path, "file", "not a zip archive", "an .npz file written by gridmodel"
        ) from None
    with archive:
        infos = {i.filename: i for i in archive.infolist()}
        if len(infos) != len(archive.infolist()) or set(infos) != expected:
            odd = sorted(set(infos) ^ expected)[:3] or ["a duplicate"]
            raise damaged(path, "members", f"unexpected or missing {odd}", "the arrays written")
        return {name: _member(path, archive, infos[f"{name}.npy"], name) for name in names}


def _member(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> np.ndarray:
    if info.compress_type != zipfile.ZIP_STORED or info.file_size > info.compress_size:
        raise damaged(path, name, "compressed member", "uncompressed .npy members")
    fmt = np.lib.format
    try:
        with archive.open(info) as handle:
            version = fmt.read_magic(handle)
            header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, fortran, dtype = header(handle)
            size = math.prod(shape) * dtype.itemsize
            if dtype.hasobject or fortran or size > info.file_size:
                raise ValueError(f"a {dtype} array of shape {shape}")
            with archive.open(info) as again:
                return fmt.read_array(again, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise damaged(path, name, f"unreadable array ({reason})", "a plain .npy array") from None


def check_meta(path: Path, raw: np.ndarray, *, key: str, fmt: int) -> dict[str, Any]:
    """The entry's JSON document, checked (types, key and format)."""
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise damaged(path, "meta", f"dtype {raw.dtype}", "UTF-8 JSON bytes (uint8)")
    try:
        text = raw.tobytes().decode("utf-8")
        check_nesting(text, file=path, what="JSON", toml=False, error=NetworkError, limit=8)
        meta = json.loads(text)
    except (UnicodeDecodeError, ValueError, NetworkError):
        raise damaged(path, "meta", "not JSON", "a JSON object of at most 8 levels") from None
    if not isinstance(meta, dict) or set(meta) != _META_KEYS:
        raise damaged(path, "meta", "unexpected keys", ", ".join(sorted(_META_KEYS)))
    if meta["format"] != fmt or meta["key"] != key:
        raise damaged(path, "meta.key", "written for another key or format", f"key {key}")
    texts = [meta["name"], meta["source"]]
    for name in ("region_names", "warnings"):
        value = meta[name]
        if not isinstance(value, list):
            raise damaged(path, f"meta.{name}", "not a list", "a list of strings")
        texts += value
    if not all(isinstance(t, str) for t in texts):
        raise damaged(path, "meta", "a name is not a string", "strings")
    base_mva, n_bus = meta["base_mva"], meta["n_bus"]
    if not isinstance(base_mva, float) or not math.isfinite(base_mva) or base_mva <= 0:
        raise damaged(path, "meta.base_mva", f"{base_mva!r}", "a finite number > 0")
    if type(n_bus) is not int or not 0 <= n_bus < _LARGEST_COUNT:
        raise damaged(path, "meta.n_bus", f"{n_bus!r}", f"an integer in 0..{_LARGEST_COUNT - 1}")
    _check_outlines(path, meta["outlines"])
    return meta


def _check_outlines(path: Path, outlines: Any) -> None:
    allowed = "a list of [region, rings of [lon, lat] pairs in degrees]"
    ok = isinstance(outlines, list)
    for item in outlines if ok else ():
        ok = isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)
        ok = ok and isinstance(item[1], list)
        for ring in item[1] if ok else ():
            ok = ok and isinstance(ring, list) and all(_position(p) for p in ring)
        if not ok:
            break
    if not ok:
        raise damaged(path, "meta.outlines", "malformed outline", allowed)


def _position(p: Any) -> bool:
    if not isinstance(p, list) or len(p) != 2:
        return False
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in p):
        return False
    return -180.0 <= p[0] <= 180.0 and -90.0 <= p[1] <= 90.0


def check_arrays(path: Path, a: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """Check every array's dtype, length, range and finite values (see the module notes)."""
    sizes = {"bus": meta["n_bus"]}
    for name, (kind, size) in ARRAYS.items():
        array = a[name]
        if array.ndim != 1 or not _dtype_ok(array, kind):
            raise damaged(
                path, name, f"dtype {array.dtype}, {array.ndim} dimensions", _DTYPES[kind]
            )
        sizes.setdefault(size, len(array))
        if len(array) != sizes[size] and size != "substation+1":
            raise damaged(path, name, f"length {len(array)}", f"{sizes[size]} values ({size})")
        if kind == "f":
            _check_finite(path, name, array)
    n_sub = sizes["substation"]
    if len(a["substation_offset"]) != n_sub + 1:
        raise damaged(path, "substation_offset", "wrong length", f"{n_sub + 1} values")
    _check_ranges(path, a, meta, n_sub)
    _check_names(path, a, meta)


def _dtype_ok(array: np.ndarray, kind: str) -> bool:
    if kind == "U":
        return array.dtype.kind == "U"
    return array.dtype == np.dtype(_DTYPES[kind])


def _check_finite(path: Path, name: str, array: np.ndarray) -> None:
    ok = np.isfinite(array)
    allowed = "finite numbers"
    if name in _MAY_BE_INFINITE:
        ok |= array == np.inf
        allowed += " or +inf"
    if name in _MAY_BE_NAN:
        ok |= np.isnan(array)
        allowed += " or NaN (no coordinates)"
    if not ok.all():
        raise damaged(path, name, f"value {float(array[~ok][0])!r}", allowed)


def _check_ranges(path: Path, a: dict[str, np.ndarray], meta: dict[str, Any], n_sub: int) -> None:
    n_bus, n_regions = meta["n_bus"], len(meta["region_names"])
    bounds: dict[str, tuple[float, float, str]] = {
        name: (0, n_bus - 1, "internal bus positions")
        for name in ("bus_lookup_value", "branch_from", "branch_to", "unit_bus", "load_bus")
    }
    bounds["substation_bus"] = (0, n_bus - 1, "internal bus positions")
    bounds["bus_code"] = (0, n_sub - 1, "substation positions")
    bounds["load_region"] = (0, n_regions - 1, "region positions")
    for name in ("load_customers", "load_table_customers"):
        bounds[name] = (0, MAX_CUSTOMERS, "customer counts")
    for name in ("load_priority", "load_table_priority"):
        bounds[name] = (min(PRIORITY_CLASSES), max(PRIORITY_CLASSES), "priority classes")
    bounds["region_groups"] = (1, _LARGEST_COUNT, "rotation group counts")
    for name in ("bus_lookup_key", "branch_index", "unit_index", "load_index"):
        bounds[name] = (0, 2**63 - 1, "pandapower indices")
    for name in ("bus_index", "load_table_index"):
        bounds[name] = (0, 2**63 - 1, "pandapower indices")
    for name, (low, high, what) in bounds.items():
        array = a[name]
        if len(array) and (array.min() < low or array.max() > high):
            bad = array[(array < low) | (array > high)][0]
            raise damaged(path, name, f"value {bad} out of range", f"{what} {low}..{high:g}")
    offsets = a["substation_offset"]
    if offsets[0] != 0 or offsets[-1] != len(a["substation_bus"]) or (np.diff(offsets) < 0).any():
        raise damaged(path, "substation_offset", "not a partition", "rising offsets from 0")


def _check_names(path: Path, a: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    if not set(a["branch_kind"].tolist()) <= {"line", "trafo"}:
        raise damaged(path, "branch_kind", "unknown kind", "line, trafo")
    if not set(a["unit_kind"].tolist()) <= {"ext_grid", "gen", "sgen"}:
        raise damaged(path, "unit_kind", "unknown kind", "ext_grid, gen, sgen")
    if a["region_id"].tolist() != meta["region_names"]:
        raise damaged(path, "region_id", "differs from meta.region_names", "the same regions")
    for name in ("substation_id", "region_id", "bus_lookup_key", "bus_index", "load_index"):
        if len(np.unique(a[name])) != len(a[name]):
            raise damaged(path, name, "duplicate identifiers", "unique identifiers")
    for kind in ("line", "trafo", "ext_grid", "gen", "sgen"):
        table = "branch" if kind in ("line", "trafo") else "unit"
        index = a[f"{table}_index"][a[f"{table}_kind"] == kind]
        if len(np.unique(index)) != len(index):
            raise damaged(path, f"{table}_index", f"duplicate {kind} index", "unique indices")
