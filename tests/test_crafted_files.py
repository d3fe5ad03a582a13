"""Files gridmodel reads back name no code it would run.

A Parquet file carries pandas metadata (dtype names) and Arrow extension
metadata (once a pickle, in ``arrow.py_extension_type``). A run folder's
``timeline.parquet`` whose metadata names a module that writes a marker file
when imported must be read or refused without importing it.
"""

from __future__ import annotations

import json
import pickle
import sys
import uuid
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gridmodel.errors import GridModelError
from gridmodel.schedule.run_input import read_run_timeline


def _trap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    name = f"gm_trap_{uuid.uuid4().hex[:12]}"
    marker = tmp_path / "marker.txt"
    lib = tmp_path / "lib"
    lib.mkdir()
    code = f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n"
    (lib / f"{name}.py").write_text(code + "class Boom:\n    pass\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(lib))
    return name, marker


def _pickle(module: str) -> bytes:
    """A pickle that imports ``module`` and calls its ``Boom``."""
    return f"c{module}\nBoom\n(tR.".encode()


def _crafted_timeline(path: Path, module: str) -> None:
    """A timeline whose column ``served_mw`` names ``module.Boom`` in every metadata slot."""
    frame = pd.DataFrame(
        {"hour": [0], "time": ["2022-12-16T07:00+02:00"], "region": ["a"], "demand_mw": [1.0]}
    )
    frame["served_mw"] = 1.0
    table = pa.Table.from_pandas(frame)
    meta = json.loads(table.schema.metadata[b"pandas"])
    for column in meta["columns"]:
        if column["name"] == "served_mw":
            column.update(numpy_type=f"{module}.Boom", pandas_type=f"{module}.Boom")
    pickled = f"c{module}\nBoom\n(tR.".encode()  # a pickle that imports the module
    fields = [
        f.with_metadata(
            {
                b"ARROW:extension:name": b"arrow.py_extension_type",
                b"ARROW:extension:metadata": pickled,
            }
        )
        if f.name == "served_mw"
        else f
        for f in table.schema
    ]
    schema = pa.schema(fields, metadata={b"pandas": json.dumps(meta).encode()})
    pq.write_table(pa.Table.from_arrays(table.columns, schema=schema), path)


def test_a_timeline_naming_a_module_imports_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, marker = _trap(tmp_path, monkeypatch)
    run = tmp_path / "run"
    run.mkdir()
    _crafted_timeline(run / "timeline.parquet", module)
    try:
        table, _ = read_run_timeline(run)
    except GridModelError as error:
        assert str(run / "timeline.parquet") in error.line()
    else:
        assert table["served_mw"].tolist() == [1.0]
    assert not marker.exists()
    assert module not in sys.modules


def test_the_crafted_metadata_is_live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: unpickling the extension metadata does run the module."""
    module, marker = _trap(tmp_path, monkeypatch)
    pickle.loads(_pickle(module))  # the point of the control
    assert marker.read_text() == "ran"
    sys.modules.pop(module, None)
