"""Checking a pandapower JSON network before pandapower reads it.

pandapower JSON names the classes it rebuilds: every object carries a
``_module`` and a ``_class``, and pandapower imports that module and calls
that class (or function) while it reads the file. A crafted file can thus
import and run any module on the machine. :func:`read_network_json` reads the
file with the standard :mod:`json` module first (a regular file of bounded
size, :func:`gridmodel.inputs.read_user_bytes`) and checks every object, down
through the JSON text that objects hold in ``_object``, against
:data:`ALLOWED_CLASSES`: the classes a network holds. The allow-list comes
from saving the bundled networks, pandapower's built-in cases and example
networks (with and without results) and MATPOWER imports with
``pandapower.to_json``: they hold a ``pandapowerNet`` and ``DataFrame``
tables, nothing else; ``Series``, numpy scalars and arrays, and the builtin
containers pandapower's encoder writes for plain values are data as well.
Controllers, characteristics, functions, geometry objects and graphs are
refused, as are keys that pandapower would pass on to ``pandas.read_json``
unchecked and dtype names outside :data:`DTYPES`. The text checked is the
text pandapower then parses, so the file cannot change in between.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gridmodel.errors import NetworkError
from gridmodel.inputs import NESTING_LIMIT, NETWORK_LIMIT, read_user_bytes

_NET = "pandapowerNet"
_FRAME = "DataFrame"
_SERIES = "Series"
_SCALAR = "scalar"
_ARRAY = "array"

_NUMPY_SCALARS = (
    "bool",
    "bool_",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
)

#: ``(_module, _class)`` pairs a network file may name, with the kind of object each is.
ALLOWED_CLASSES: dict[tuple[str, str], str] = {
    ("pandapower.auxiliary", "pandapowerNet"): _NET,
    ("pandas.core.frame", "DataFrame"): _FRAME,
    ("pandas", "DataFrame"): _FRAME,
    ("pandas.core.series", "Series"): _SERIES,
    ("pandas", "Series"): _SERIES,
    ("numpy", "array"): _ARRAY,
    **{("numpy", name): _SCALAR for name in _NUMPY_SCALARS},
    **{("builtins", name): _SCALAR for name in ("tuple", "set", "frozenset", "complex")},
}

#: dtype names a table or series may give its columns.
DTYPES = frozenset(
    {"object", "bool", "boolean", "str", "string", "category", "complex128"}
    | {f"{kind}{bits}" for kind in ("int", "uint", "Int", "UInt") for bits in (8, 16, 32, 64)}
    | {"float16", "float32", "float64", "Float32", "Float64"}
    | {f"{t}64[{unit}]" for t in ("datetime", "timedelta") for unit in ("s", "ms", "us", "ns")}
)

#: Keys each kind of object may hold (pandapower passes the rest to its constructor).
_KEYS: dict[str, frozenset[str]] = {
    _NET: frozenset({"_module", "_class", "_object"}),
    _FRAME: frozenset(
        {
            "_module",
            "_class",
            "_object",
            "dtype",
            "orient",
            "is_multiindex",
            "is_multicolumn",
            "index_name",
            "index_names",
            "column_name",
            "column_names",
        }
    ),
    _SERIES: frozenset(
        {
            "_module",
            "_class",
            "_object",
            "dtype",
            "orient",
            "typ",
            "is_multiindex",
            "index_name",
            "index_names",
        }
    ),
    _ARRAY: frozenset({"_module", "_class", "_object", "dtype"}),
    _SCALAR: frozenset({"_module", "_class", "_object"}),
}
_ORIENTS = frozenset({"split", "columns", "index", "records", "values"})
_GEOJSON_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
        "Feature",
        "FeatureCollection",
    }
)
_CLASSES_ALLOWED = (
    "pandapower.auxiliary.pandapowerNet, pandas DataFrame and Series, numpy scalars and "
    "arrays, builtins tuple, set, frozenset, complex; a network file names no code "
    "(controllers, characteristics, functions and other objects are not read)"
)
_WHAT = "a pandapower JSON network (.json)"
_DEPTH_ALLOWED = f"nesting up to {NESTING_LIMIT} deep"


def read_network_json(path: str | Path) -> str:
    """Read a pandapower JSON network file and check that it names no code.

    Parameters
    ----------
    path
        The file: a regular file of at most
        :data:`~gridmodel.inputs.NETWORK_LIMIT` bytes of UTF-8 JSON.

    Returns
    -------
    str
        The file's text, to hand to ``pandapower.from_json``.

    Raises
    ------
    NetworkError
        For a file that is not a regular file, too large, not UTF-8 or not
        JSON, nested too deep, or that names a class outside
        :data:`ALLOWED_CLASSES`, a key pandapower would pass on unchecked or a
        dtype outside :data:`DTYPES` (the message names the field).
    """
    raw = read_user_bytes(path, limit=NETWORK_LIMIT, what=_WHAT, error=NetworkError)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NetworkError(f"not UTF-8 text (byte {exc.start})", file=path, allowed=_WHAT) from None
    check_network_json(text, file=path)
    return text


def check_network_json(text: str, *, file: str | Path | None = None) -> None:
    """Check pandapower JSON text against :data:`ALLOWED_CLASSES` (see :func:`read_network_json`).

    Raises
    ------
    NetworkError
        Naming the field path of the first object, key or dtype refused.
    """
    _Checker(file).text(text, "", 0)


class _Checker:
    """Walks parsed JSON, parsing the JSON text held in ``_object`` fields too."""

    def __init__(self, file: str | Path | None) -> None:
        self.file = file

    def fail(self, path: str, message: str, allowed: str) -> NetworkError:
        return NetworkError(message, file=self.file, field=path or None, allowed=allowed)

    def text(self, text: str, path: str, depth: int) -> Any:
        """Parse JSON text and check it; a text holding no object within is data alone."""
        hook = _Objects()
        try:
            value = json.loads(text, object_pairs_hook=hook)
        except RecursionError:
            raise self.fail(path, "nested too deep", _DEPTH_ALLOWED) from None
        except ValueError as exc:
            message = f"not a valid pandapower JSON network ({_reason(exc)})"
            raise self.fail(path, f"cannot read network file: {message}", _WHAT) from None
        # data alone: no JSON object in it but (at most) the top-level one, naming nothing
        top = isinstance(value, dict)
        named = top and ("_module" in value or "_class" in value)
        if hook.count > (1 if top else 0) or named:
            self.value(value, path, depth)
        return value

    def value(self, value: Any, path: str, depth: int) -> None:
        if depth > NESTING_LIMIT:
            raise self.fail(path, "nested too deep", _DEPTH_ALLOWED)
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, (dict, list)):
                    self.value(item, f"{path}[{i}]", depth + 1)
        elif isinstance(value, dict):
            if "_module" in value or "_class" in value:
                self.serialized(value, path, depth)
                return
            for key, item in value.items():
                if isinstance(item, (dict, list)):
                    self.value(item, _join(path, key), depth + 1)

    def serialized(self, obj: dict[str, Any], path: str, depth: int) -> None:
        pair = (obj.get("_module"), obj.get("_class"))
        named = all(isinstance(p, str) for p in pair)
        kind = ALLOWED_CLASSES.get((str(pair[0]), str(pair[1]))) if named else None
        if kind is None:
            name = ".".join(str(p) for p in pair if p is not None)
            raise self.fail(
                path,
                f"names the class {_shown(name)}, which a network does not hold",
                _CLASSES_ALLOWED,
            )
        for key in obj:
            if key not in _KEYS[kind]:
                raise self.fail(
                    _join(path, key),
                    f"key {_shown(key)} is not read in a {pair[1]} object",
                    ", ".join(sorted(_KEYS[kind])),
                )
        self.options(obj, path, kind)
        for key, item in obj.items():  # pandapower decodes these before the object itself
            if key != "_object" and isinstance(item, (dict, list)):
                self.value(item, _join(path, key), depth + 1)
        inner = obj.get("_object")
        where = _join(path, "_object")
        if kind in (_FRAME, _SERIES) or (kind == _NET and isinstance(inner, str)):
            if not isinstance(inner, str):
                raise self.fail(where, f"must be JSON text, got {type(inner).__name__}", _WHAT)
            inner = self.text(inner, where, depth + 1)
            if kind == _FRAME:
                self.geo_cells(inner, where)
        elif isinstance(inner, (dict, list)):
            self.value(inner, where, depth + 1)

    def options(self, obj: dict[str, Any], path: str, kind: str) -> None:
        dtype = obj.get("dtype")
        if kind == _ARRAY and isinstance(dtype, str):
            return  # pandapower rebuilds an array from its values alone
        dtypes = dtype.values() if isinstance(dtype, dict) else [dtype]
        if "dtype" in obj and not all(isinstance(d, str) and d in DTYPES for d in dtypes):
            bad = next(d for d in dtypes if not (isinstance(d, str) and d in DTYPES))
            raise self.fail(
                _join(path, "dtype"), f"unknown dtype {_shown(bad)}", ", ".join(sorted(DTYPES))
            )
        if "orient" in obj and not (isinstance(obj["orient"], str) and obj["orient"] in _ORIENTS):
            raise self.fail(
                _join(path, "orient"),
                f"unknown orient {_shown(obj['orient'])}",
                ", ".join(sorted(_ORIENTS)),
            )
        if kind == _SERIES and obj.get("typ", "series") != "series":
            raise self.fail(_join(path, "typ"), f"got {_shown(obj['typ'])}", "series")
        for key in ("is_multiindex", "is_multicolumn"):
            if key in obj and not isinstance(obj[key], bool):
                raise self.fail(_join(path, key), f"got {_shown(obj[key])}", "true, false")

    def geo_cells(self, table: Any, path: str) -> None:
        """Check a table's ``geo`` cells, in any orient: GeoJSON whose ``type`` is a geometry."""
        cells: list[Any] = []
        rows = list(table.values()) if isinstance(table, dict) else table
        if isinstance(table, dict) and isinstance(table.get("columns"), list):  # split
            if "geo" in table["columns"]:
                col = table["columns"].index("geo")
                data = table["data"] if isinstance(table.get("data"), list) else []
                cells = [r[col] for r in data if isinstance(r, list) and len(r) > col]
        elif isinstance(table, dict) and isinstance(table.get("geo"), dict):  # columns
            cells = list(table["geo"].values())
        if isinstance(rows, list):  # index, records
            cells += [row["geo"] for row in rows if isinstance(row, dict) and "geo" in row]
        for i, cell in enumerate(cells):
            where = f"{path}.geo[{i}]"
            if isinstance(cell, str) and cell.lstrip()[:1] in ("{", "["):
                self.geojson(self.text(cell, where, 0), where)
            elif isinstance(cell, (dict, list)):  # pandapower writes it out and reads it back
                self.geojson(cell, where)

    def geojson(self, value: Any, path: str, depth: int = 0) -> None:
        if depth > NESTING_LIMIT:
            raise self.fail(path, "nested too deep", _DEPTH_ALLOWED)
        if isinstance(value, list):
            for item in value:
                self.geojson(item, path, depth + 1)
        elif isinstance(value, dict):
            kind = value.get("type")
            if "type" in value and not (isinstance(kind, str) and kind in _GEOJSON_TYPES):
                raise self.fail(
                    path, f"unknown GeoJSON type {_shown(kind)}", ", ".join(sorted(_GEOJSON_TYPES))
                )
            for item in value.values():
                self.geojson(item, path, depth + 1)


class _Objects:
    """``object_pairs_hook`` that refuses duplicate keys and counts the objects parsed."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        self.count += 1
        out = dict(pairs)
        if len(out) < len(pairs):
            keys = [key for key, _ in pairs]
            raise ValueError(f"duplicate key {next(k for k in keys if keys.count(k) > 1)!r}")
        return out


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else str(key)


def _shown(value: Any) -> str:
    """``repr`` of a value from the file, cut to 80 characters."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _reason(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
