"""The shape check of files read back, and the last check before a result is written.

Expected values are the contract's own bounds (``MAX_COUNT``, ``MAX_MW``)
and the field paths a reader would look for; no tolerance is involved.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridmodel.contract import MAX_COUNT, MAX_MW, NetworkStateJson, SummaryJson, write_json
from gridmodel.errors import InternalError, OptionError
from gridmodel.readback import check_table, check_written_table
from gridmodel.shapes import NonFinite, check_shape, loads

SUMMARY: dict[str, Any] = {
    "schema_version": 2,
    "impact": {
        "load_mw": 315.0,
        "served_mw": 190.0,
        "unserved_mw": 125.0,
        "dark_mw": 125.0,
        "shed_mw": 0.0,
        "critical_unserved_mw": 0.0,
        "customers_off": 62500,
        "islands": 2,
        "energized_islands": 1,
        "deenergized_buses": [8],
        "tripped_branches": [],
        "by_region": [{"region": "1", "load_mw": 315.0, "unserved_mw": 125.0, "customers_off": 1}],
        "converged": True,
        "mode": "dc",
        "warnings": [],
    },
    "metrics": {"ens_mwh": 10.0, "caidi_h": None, "restore_h": {"50": 1.0, "90": None}},
}


def test_loads_keeps_non_finite_numbers_as_markers() -> None:
    data = loads('{"a": NaN, "b": -Infinity, "c": 1e999, "d": 2.5}')
    assert data == {
        "a": NonFinite("NaN"),
        "b": NonFinite("-Infinity"),
        "c": NonFinite("1e999"),
        "d": 2.5,
    }


def test_a_valid_summary_passes() -> None:
    check_shape(SUMMARY, SummaryJson, file="summary.json")  # no error


@given(count=st.integers(min_value=-(10**30), max_value=-1) | st.integers(MAX_COUNT + 1, 10**30))
@settings(max_examples=30, deadline=None)
def test_a_count_out_of_range_names_its_path(count: int) -> None:
    region = {**SUMMARY["impact"]["by_region"][0], "customers_off": count}
    data = {**SUMMARY, "impact": {**SUMMARY["impact"], "by_region": [region]}}
    with pytest.raises(OptionError) as caught:
        check_shape(data, SummaryJson, file="summary.json")
    assert caught.value.field == "impact.by_region[0].customers_off"


@given(value=st.sampled_from([math.nan, math.inf, -math.inf]))
@settings(max_examples=10, deadline=None)
def test_write_json_refuses_a_non_finite_number_and_writes_nothing(
    tmp_path_factory: pytest.TempPathFactory, value: float
) -> None:
    path = tmp_path_factory.mktemp("write") / "summary.json"
    data = {**SUMMARY, "metrics": {**SUMMARY["metrics"], "ens_mwh": value}}
    with pytest.raises(InternalError, match=r"summary.json would hold metrics.ens_mwh: "):
        write_json(path, data, shape=SummaryJson)
    with pytest.raises(InternalError, match=r"metrics\.ens_mwh"):
        write_json(path, data)  # without a shape: still no NaN or infinity
    assert not path.exists()


def test_write_json_refuses_a_negative_count(tmp_path: Path) -> None:
    state = {"network": "n", "substations": [], "branches": [], "outlines": []}
    state["substations"] = [
        {
            "substation": "a",
            "name": "a",
            "region": "r",
            "lat": None,
            "lon": None,
            "vn_kv": 110.0,
            "state": "dark",
            "load_mw": 1.0,
            "unserved_mw": 1.0,
            "customers_off": -9223372036854775808,
        }
    ]
    with pytest.raises(InternalError, match=r"substations\[0\].customers_off"):
        write_json(tmp_path / "network_state.json", state, shape=NetworkStateJson)
    assert not (tmp_path / "network_state.json").exists()


def test_a_result_table_with_a_negative_count_is_not_written(tmp_path: Path) -> None:
    table = pd.DataFrame({"rank": [1, 2], "unserved_mw": [5.0, 2.0], "customers_off": [3, -1]})
    with pytest.raises(InternalError, match=r"criticality.csv would hold customers_off: "):
        check_written_table(table, tmp_path / "criticality.csv")


def test_table_columns_read_back_as_numbers() -> None:
    table = pd.DataFrame({"served_mw": ["1.5", "2"], "region": ["a", "b"]})
    checked = check_table(table, Path("timeline.csv"), ("served_mw",))
    assert checked["served_mw"].tolist() == [1.5, 2.0]
    with pytest.raises(OptionError, match=r"served_mw: bad value"):
        check_table(pd.DataFrame({"served_mw": [MAX_MW * 10]}), Path("t.csv"))
