"""A pandapower JSON network names no code (gridmodel.network.pandapower_json).

pandapower imports the ``_module`` and calls the ``_class`` that each object of
its JSON names. A crafted file names a module whose import writes a marker
file; gridmodel must refuse it with exit code 2 and one line, before the
module is imported. Every network pandapower itself saves must still load.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandapower as pp
import pandapower.networks as pn
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.errors import NetworkError
from gridmodel.network.catalog import load_network, read_net
from gridmodel.network.pandapower_json import check_network_json

runner = CliRunner()


@pytest.fixture
def trap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """A module on ``sys.path`` whose import writes a marker file: (module name, marker)."""
    name = f"gm_trap_{uuid.uuid4().hex[:12]}"
    marker = tmp_path / "marker.txt"
    code = f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n"
    code += "class Boom:\n    pass\n"
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / f"{name}.py").write_text(code, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    return name, marker


@functools.cache
def _case9_text() -> str:
    return str(pp.to_json(pn.case9()))


def _case9() -> dict[str, Any]:
    return dict(json.loads(_case9_text()))


def _table(doc: dict[str, Any], name: str) -> dict[str, Any]:
    table: dict[str, Any] = json.loads(doc["_object"][name]["_object"])
    return table


def _set_table(doc: dict[str, Any], name: str, table: dict[str, Any]) -> None:
    doc["_object"][name]["_object"] = json.dumps(table)


def _at_top(doc: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    doc["_object"]["extra"] = obj
    return doc


def _in_a_table_cell(doc: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    """Like a controller: the object sits in an object column of a table."""
    bus = _table(doc, "bus")
    bus["columns"].append("object")
    for row in bus["data"]:
        row.append(obj)
    _set_table(doc, "bus", bus)
    doc["_object"]["bus"]["dtype"]["object"] = "object"
    return doc


def _in_a_nested_net(doc: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    """pandapower reads a pandapowerNet whose ``_object`` is itself JSON text."""
    inner = _at_top(_case9(), obj)
    doc["_object"] = json.dumps(inner["_object"])
    return doc


def _in_a_list(doc: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    doc["_object"]["user_pf_options"] = {"steps": [1, [2, obj]]}
    return doc


def _in_a_table_option(doc: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    """pandapower decodes a table's options (its index name) before the table."""
    doc["_object"]["bus"]["index_name"] = obj
    return doc


def _in_a_values_table(doc: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any]:
    """A table in orient 'values': JSON text that is a list of rows, the object a cell."""
    table = {"_module": "pandas", "_class": "DataFrame", "orient": "values"}
    doc["_object"]["extra"] = {**table, "_object": json.dumps([[obj]])}
    return doc


PLACES: dict[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = {
    "values-table-cell": _in_a_values_table,
    "top-level": _at_top,
    "table-option": _in_a_table_option,
    "table-cell": _in_a_table_cell,
    "nested-net-text": _in_a_nested_net,
    "list": _in_a_list,
}


def _write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize("place", sorted(PLACES))
@pytest.mark.parametrize("named", ["class", "function"])
def test_a_file_naming_a_module_is_refused_before_it_is_imported(
    tmp_path: Path, trap: tuple[str, Path], place: str, named: str
) -> None:
    module, marker = trap
    obj = (
        {"_module": module, "_class": "Boom", "_object": "{}"}
        if named == "class"
        else {"_module": module, "_class": "function", "_object": "Boom"}
    )
    path = _write(tmp_path / "crafted.json", PLACES[place](_case9(), obj))
    result = runner.invoke(app, ["networks", "show", str(path)])
    assert result.exit_code == 2, (result.output, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"gridmodel: error: {path}: "), lines[0]
    assert f"{module}" in lines[0] and "(allowed: pandapower.auxiliary.pandapowerNet" in lines[0]
    assert "Traceback" not in result.output
    assert not marker.exists()
    assert module not in sys.modules


def test_the_crafted_file_does_run_code_in_pandapower_itself(
    tmp_path: Path, trap: tuple[str, Path]
) -> None:
    """The control: the refused file is a real danger, not a malformed one."""
    module, marker = trap
    path = _write(
        tmp_path / "crafted.json",
        _at_top(_case9(), {"_module": module, "_class": "Boom", "_object": "{}"}),
    )
    with pytest.raises(Exception):  # noqa: B017 - pandapower refuses Boom only after the import
        pp.from_json(str(path))
    assert marker.read_text() == "ran"
    sys.modules.pop(module, None)


def test_the_field_path_names_where_the_object_is(tmp_path: Path) -> None:
    doc = _in_a_table_cell(_case9(), {"_module": "os", "_class": "system", "_object": "[]"})
    with pytest.raises(NetworkError) as info:
        check_network_json(json.dumps(doc), file="x.json")
    assert info.value.field == "_object.bus._object.data[0][8]"
    assert info.value.line().startswith("x.json: _object.bus._object.data[0][8]: names the class")


def _frame_option(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        doc["_object"]["bus"][key] = value

    return change


def _object_path(doc: dict[str, Any]) -> None:
    doc["_object"]["bus"]["_object"] = "/etc/passwd.json"


def _geo_type(doc: dict[str, Any]) -> None:
    bus = _table(doc, "bus")
    col = bus["columns"].index("geo")
    bus["data"][0][col] = json.dumps({"type": "__loader__", "coordinates": [0, 0]})
    _set_table(doc, "bus", bus)


def _geo_dict(doc: dict[str, Any]) -> None:
    bus = _table(doc, "bus")
    col = bus["columns"].index("geo")
    bus["data"][1][col] = {"type": "__class__", "name": "x"}
    _set_table(doc, "bus", bus)


def _geo_records(doc: dict[str, Any]) -> None:
    rows = [{"name": "b", "geo": {"type": "__init__", "name": "x"}}]
    doc["_object"]["bus"] = {
        "_module": "pandas",
        "_class": "DataFrame",
        "orient": "records",
        "_object": json.dumps(rows),
    }


#: pandapower passes these on to pandas or geojson: each must be refused.
BAD_FIELDS: dict[str, tuple[Callable[[dict[str, Any]], None], str, str]] = {
    "key passed to read_json": (_frame_option("typ", "series"), "_object.bus.typ", "key 'typ'"),
    "storage option": (
        _frame_option("storage_options", {"a": 1}),
        "_object.bus.storage_options",
        "storage_options",
    ),
    "dtype": (_frame_option("dtype", {"vn_kv": "int64[pyarrow]"}), "_object.bus.dtype", "dtype"),
    "orient table": (_frame_option("orient", "table"), "_object.bus.orient", "orient"),
    "multiindex flag": (_frame_option("is_multiindex", "yes"), "_object.bus.is_multiindex", ""),
    "table from a path": (_object_path, "_object.bus._object", "not a valid pandapower JSON"),
    "GeoJSON type": (_geo_type, "_object.bus._object.geo[0]", "GeoJSON type"),
    "GeoJSON object in a cell": (_geo_dict, "_object.bus._object.geo[1]", "GeoJSON type"),
    "GeoJSON in a records table": (_geo_records, "_object.bus._object.geo[0]", "GeoJSON type"),
}


@pytest.mark.parametrize("case", sorted(BAD_FIELDS))
def test_fields_pandapower_passes_on_are_checked(case: str) -> None:
    change, field, words = BAD_FIELDS[case]
    doc = _case9()
    change(doc)
    with pytest.raises(NetworkError) as info:
        check_network_json(json.dumps(doc), file="x.json")
    assert info.value.field == field, info.value.line()
    assert words in info.value.line()
    assert info.value.allowed


def test_duplicate_keys_and_deep_nesting_are_refused() -> None:
    text = pp.to_json(pn.case9())
    twice = text.replace('"_object": {', '"_object": {"bus": 1, "bus": 2, ', 1)
    with pytest.raises(NetworkError, match="duplicate key 'bus'"):
        check_network_json(twice)
    deep = '{"_object": ' + "[" * 5000 + "]" * 5000 + "}"
    with pytest.raises(NetworkError, match="nested too deep"):
        check_network_json(deep)


def _with_results(make: Callable[[], pp.pandapowerNet]) -> pp.pandapowerNet:
    net = make()
    pp.rundcpp(net)
    return net


def _with_values() -> pp.pandapowerNet:
    """case9 with numpy arrays, scalars, a tuple and a set among its options."""
    net = pn.case9()
    net["user_pf_options"] = {
        "names": np.array(["a", "bb"]),
        "values": np.array([1.5, 2.0]),
        "pair": (1, 2),
        "count": np.int64(3),
        "missing": np.float64("nan"),
        "flag": np.bool_(True),
        "set": {1, 2},
    }
    return net


#: Networks pandapower writes: each must load and keep its DC flows.
SAVED: dict[str, Callable[[], pp.pandapowerNet]] = {
    "case9": pn.case9,
    "case118": pn.case118,
    "example_simple": pn.example_simple,
    "example_multivoltage": pn.example_multivoltage,
    "mv_oberrhein": pn.mv_oberrhein,
    "cigre_mv": pn.create_cigre_network_mv,
    "case30 with results": lambda: _with_results(pn.case30),
    "case9 with numpy options": _with_values,
}


@pytest.mark.parametrize("name", sorted(SAVED))
def test_networks_pandapower_saves_still_load(tmp_path: Path, name: str) -> None:
    ref = SAVED[name]()
    path = tmp_path / "saved.json"
    pp.to_json(ref, str(path))
    net = read_net(path)
    assert len(net.bus) == len(ref.bus) and len(net.line) == len(ref.line)
    pp.rundcpp(ref)
    pp.rundcpp(net)
    np.testing.assert_allclose(
        net.res_line["p_from_mw"].to_numpy(), ref.res_line["p_from_mw"].to_numpy(), atol=1e-9
    )


def test_a_matpower_import_saved_as_json_still_loads(tmp_path: Path) -> None:
    ref = read_net(Path(__file__).resolve().parents[1] / "data" / "case9.m")
    pp.runpp(ref)  # results and the MATPOWER options: numpy values in the net
    path = tmp_path / "case9m.json"
    pp.to_json(ref, str(path))
    assert len(read_net(path).bus) == 9


@pytest.mark.parametrize("name", ["ua-grid", "ua-oblasts"])
def test_bundled_networks_still_load(name: str) -> None:
    grid = load_network(name)
    folder = Path(grid.source)
    doc = json.loads((folder / "network.json").read_text(encoding="utf-8"))
    bus = json.loads(doc["_object"]["bus"]["_object"])
    assert len(grid.net.bus) == len(bus["index"]) > 0


KEYS = ["_module", "_class", "_object", "dtype", "orient", "typ", "is_multiindex", "geo", "type"]
CLASSES = [
    ("pandapower.auxiliary", "pandapowerNet"),
    ("pandas", "DataFrame"),
    ("pandas", "Series"),
    ("numpy", "array"),
]


def _wrapped(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """An allowed object whose ``_object`` is JSON text, as pandapower writes tables."""
    return st.builds(
        lambda pair, value, extra: {
            "_module": pair[0],
            "_class": pair[1],
            "_object": json.dumps(value),
            **extra,
        },
        st.sampled_from(CLASSES),
        inner,
        st.dictionaries(st.sampled_from(KEYS[3:]), inner, max_size=2),
    )


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS), inner)
        | _wrapped(inner)
    ),
    max_leaves=20,
)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(value=JSON_VALUES)
def test_any_json_is_accepted_or_one_network_error(value: Any) -> None:
    """Whatever the JSON, the check ends in a NetworkError or passes; it never breaks."""
    try:
        check_network_json(json.dumps(value), file="x.json")
    except NetworkError as error:
        assert error.line().startswith("x.json: ")


NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_.", min_size=1, max_size=20)


@settings(max_examples=60, deadline=None)
@given(module=NAMES, cls=NAMES, place=st.sampled_from(sorted(PLACES)))
def test_any_pair_outside_the_allow_list_is_refused(module: str, cls: str, place: str) -> None:
    allowed = {
        ("pandapower.auxiliary", "pandapowerNet"),
        ("pandas.core.frame", "DataFrame"),
        ("pandas", "DataFrame"),
        ("pandas.core.series", "Series"),
        ("pandas", "Series"),
    }
    if (module, cls) in allowed or module in ("numpy", "builtins"):
        return
    doc = PLACES[place](_case9(), {"_module": module, "_class": cls, "_object": "{}"})
    with pytest.raises(NetworkError, match="which a network does not hold"):
        check_network_json(json.dumps(doc), file="x.json")


@functools.cache
def _small_text() -> str:
    net = pp.create_empty_network()
    pp.create_bus(net, vn_kv=110.0)
    return str(pp.to_json(net))


def _small() -> dict[str, Any]:
    return dict(json.loads(_small_text()))


@pytest.fixture(scope="module")
def module_trap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A trap module for the whole module (hypothesis examples share it)."""
    folder = tmp_path_factory.mktemp("trap")
    name = f"gm_trap_{uuid.uuid4().hex[:12]}"
    marker = folder / "marker.txt"
    code = f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n"
    (folder / f"{name}.py").write_text(code + "class Boom:\n    pass\n", encoding="utf-8")
    sys.path.insert(0, str(folder))
    yield name, marker
    sys.path.remove(str(folder))


def _hidden(module: str) -> st.SearchStrategy[Any]:
    """JSON in the shapes pandapower decodes, with the trap object somewhere within."""
    traps = st.sampled_from(
        [
            {"_module": module, "_class": "Boom", "_object": "{}"},
            {"_module": module, "_class": "function", "_object": "Boom"},
        ]
    )
    orients = st.sampled_from(["split", "values", "records", "columns", "index"])
    tables = st.sampled_from(CLASSES[1:3])

    def table(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.builds(
            lambda pair, orient, value: {
                "_module": pair[0],
                "_class": pair[1],
                "orient": orient,
                "_object": json.dumps(value),
            },
            tables,
            orients,
            inner,
        )

    return st.recursive(
        traps | st.integers(),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.sampled_from(["a", "geo", "index_name"]), inner, max_size=3)
            | table(inner)
            | _wrapped(inner)
        ),
        max_leaves=8,
    )


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_whatever_the_check_passes_pandapower_reads_without_importing(
    module_trap: tuple[str, Path], data: st.DataObject
) -> None:
    """The oracle is pandapower itself: a file the check accepts imports no trap.

    (200 examples find a table in orient 'values' holding the trap in a cell
    when the check skips such tables; about a minute on a 2-core machine.)
    """
    module, marker = module_trap
    value = data.draw(_hidden(module))
    doc = _small()
    doc["_object"]["extra"] = value
    text = json.dumps(doc)
    try:
        check_network_json(text)
    except NetworkError:
        return
    with contextlib.suppress(Exception):
        pp.from_json(io.StringIO(text))
    assert not marker.exists(), text[-400:]
    assert module not in sys.modules
