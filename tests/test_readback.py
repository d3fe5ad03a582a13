"""A run folder read back is checked like any other input (issue 18, item 4).

One real run on pandapower's case9 writes the folder; hypothesis then puts a
drawn value (wrong type, null, text, NaN, Infinity, 1e999, a huge or
negative count, a list or object instead of a number) at a drawn place of its
``summary.json`` or ``network_state.json``, or drops a key, and runs
``gridmodel report`` and ``gridmodel schedule --from-run`` on it. Each must
end with exit code 2 and one line naming the file and the field, no
traceback, and no ``report.html`` or schedule folder written.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from gridmodel.cli import app
from gridmodel.contract import MAX_COUNT
from gridmodel.readback import check_summary
from gridmodel.shapes import loads

runner = CliRunner()
EXAMPLES = int(os.environ.get("GRIDMODEL_FUZZ_EXAMPLES", "0")) or 25

SCENARIO = """\
title = "case9 read-back"
network = "case9"
seed = 1
start = 2023-01-16T18:00:00+02:00

[[waves]]
targets = ["bus:4"]

[repair]
crews = 1
horizon_h = 24

[schedule]
groups = 2
days = 1
"""

#: Values that no field of summary.json or network_state.json accepts where a number is.
BAD_NUMBERS: list[tuple[str, str]] = [
    ('"12"', "wrong type"),
    ("true", "wrong type"),
    ("[1]", "wrong type"),
    ('{"x": 1}', "wrong type"),
    ("NaN", "not a finite number"),
    ("Infinity", "not a finite number"),
    ("-Infinity", "not a finite number"),
    ("1e999", "not a finite number"),
    ("-5", "out of range"),
    (str(MAX_COUNT * 10), "out of range"),
    (str(10**40), "too large"),
]


#: Fields where a bad value of BAD_NUMBERS is a valid one: coordinates and flows.
FREE_RANGE: dict[str, tuple[str, ...]] = {
    "-5": ("lat", "lon", "flow_mw"),
    str(MAX_COUNT * 10): ("lat", "lon"),
}


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("readback")
    scenario = base / "case9.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    result = runner.invoke(app, ["run", str(scenario), "--out", str(base / "run")])
    assert result.exit_code == 0, result.output
    (base / "run" / "report.html").unlink()
    return base / "run"


def _numbers(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every number (not bool) in a JSON value, skipping free-form objects."""
    if isinstance(value, dict):
        skip = {"options", "assumptions", "frequency", "trapezoid", "schema_version", "seed"}
        return [p for k, v in value.items() if k not in skip for p in _numbers(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _numbers(v, (*path, i))]
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return [path] if number else []


def _field(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _put(data: Any, path: tuple[Any, ...], marker: str) -> str:
    """``data`` as JSON text with the value at ``path`` replaced by the text ``marker``."""
    copy = json.loads(json.dumps(data))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = "@@MARK@@"
    return json.dumps(copy, indent=1).replace('"@@MARK@@"', marker)


def _refused(result: Result, file: str, field: str) -> None:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    assert lines[0].startswith(f"gridmodel: error: {file}: {field}"), (lines[0], field)
    assert "(allowed: " in lines[0]


def _copy(folder: Path, tmp: Path) -> Path:
    target = tmp / "copy"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(folder, target)
    return target


def _case() -> Any:
    return settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )


@pytest.mark.parametrize("name", ["summary.json", "network_state.json"])
def test_a_bad_number_anywhere_is_one_line_and_no_report(
    run_folder: Path, tmp_path: Path, name: str
) -> None:
    data = json.loads((run_folder / name).read_text(encoding="utf-8"))
    places = _numbers(data)
    assert len(places) > 20  # the file has numbers at many places

    @_case()
    @given(place=st.sampled_from(places), bad=st.sampled_from(BAD_NUMBERS))
    def check(place: tuple[Any, ...], bad: tuple[str, str]) -> None:
        folder = _copy(run_folder, tmp_path)
        (folder / name).write_text(_put(data, place, bad[0]), encoding="utf-8")
        result = runner.invoke(app, ["report", str(folder)])
        if bad[1] == "out of range" and place[-1] in FREE_RANGE.get(bad[0], ()):
            assert result.exit_code == 0, result.output  # e.g. a negative flow or longitude
            return
        _refused(result, str(folder / name), _field(place))
        assert bad[1] in result.stderr
        assert not (folder / "report.html").exists()

    check()


@pytest.mark.parametrize("name", ["summary.json", "network_state.json"])
def test_a_missing_key_or_other_container_is_one_line(
    run_folder: Path, tmp_path: Path, name: str
) -> None:
    data = json.loads((run_folder / name).read_text(encoding="utf-8"))
    objects = [("impact",), ("impact", "by_region", 0), ("substations", 0), ("branches", 0)]
    keys = [
        (*where, key)
        for where in objects
        if _has(data, where)
        for key in _at(data, where)
        if key not in ("time", "time_h", "warnings")
    ]

    @_case()
    @given(place=st.sampled_from(keys), action=st.sampled_from(["drop", "null-list", "nest"]))
    def check(place: tuple[Any, ...], action: str) -> None:
        folder = _copy(run_folder, tmp_path)
        changed = json.loads(json.dumps(data))
        parent = _at(changed, place[:-1])
        if action == "drop":
            del parent[place[-1]]
        elif action == "null-list":
            parent[place[-1]] = [None]
        else:
            parent[place[-1]] = {"value": parent[place[-1]]}
        (folder / name).write_text(json.dumps(changed), encoding="utf-8")
        result = runner.invoke(app, ["report", str(folder)])
        _refused(result, str(folder / name), _field(place))
        assert not (folder / "report.html").exists()

    check()


def _has(data: Any, path: tuple[Any, ...]) -> bool:
    try:
        return isinstance(_at(data, path), dict)
    except (KeyError, IndexError):
        return False


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[1, 2]", "not a JSON object"),
        ('"summary"', "not a JSON object"),
        ("{", "cannot read JSON"),
        ("[" * 100_000, "cannot read JSON"),
    ],
)
def test_a_summary_that_is_not_an_object_is_refused(
    run_folder: Path, tmp_path: Path, text: str, words: str
) -> None:
    folder = _copy(run_folder, tmp_path)
    (folder / "summary.json").write_text(text, encoding="utf-8")
    for args in (["report", str(folder)], ["schedule", "--from-run", str(folder), "--out"]):
        if args[0] == "schedule":
            args = [*args, str(tmp_path / "schedule")]
        result = runner.invoke(app, args)
        _refused(result, str(folder / "summary.json"), "")
        assert words in result.stderr
    assert not (folder / "report.html").exists() and not (tmp_path / "schedule").exists()


TIMELINE_DAMAGE: list[tuple[str, Any, str]] = [
    ("served_mw", "lots", "served_mw"),
    ("served_mw", float("nan"), "served_mw"),
    ("dark_mw", float("inf"), "dark_mw"),
    ("dark_mw", -1.0, "dark_mw"),
    ("customers_off", 1e300, "customers_off"),
    ("wave_h", -1e308, "wave_h"),
    ("time", "yesterday", "time"),
]


@pytest.mark.parametrize(("column", "value", "field"), TIMELINE_DAMAGE)
def test_a_tampered_timeline_is_refused_by_report_and_schedule(
    run_folder: Path, tmp_path: Path, column: str, value: Any, field: str
) -> None:
    folder = _copy(run_folder, tmp_path)
    table = pd.read_parquet(folder / "timeline.parquet")
    table[column] = table[column].astype(object)
    table.loc[3, column] = value
    if isinstance(value, str):  # a text column, as a hand edit leaves it
        table[column] = table[column].astype(str)
    table.to_parquet(folder / "timeline.parquet")
    file = str(folder / "timeline.parquet")
    _refused(runner.invoke(app, ["report", str(folder)]), file, field)
    assert not (folder / "report.html").exists()
    out = tmp_path / "schedule"
    _refused(
        runner.invoke(app, ["schedule", "--from-run", str(folder), "--out", str(out)]), file, field
    )
    assert not out.exists()


def test_the_files_of_a_real_run_pass(run_folder: Path) -> None:
    summary = loads((run_folder / "summary.json").read_text(encoding="utf-8"))
    check_summary(summary, run_folder / "summary.json")  # no error
    result = runner.invoke(app, ["report", str(_copy(run_folder, run_folder.parent))])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("name", "column", "value", "allowed"),
    [
        ("schedule.csv", "state", "banana", "on, off, possible, emergency"),
        ("schedule.csv", "start", "yesterday", "an ISO 8601 date or time"),
        ("groups.csv", "off_h", "-4", "a number from 0 to 1e+06, or empty"),
    ],
)
def test_a_tampered_schedule_file_is_refused(
    run_folder: Path, tmp_path: Path, name: str, column: str, value: str, allowed: str
) -> None:
    folder = _copy(run_folder, tmp_path)
    table = pd.read_csv(folder / name, dtype=str)
    table.loc[0, column] = value
    table.to_csv(folder / name, index=False)
    result = runner.invoke(app, ["report", str(folder)])
    _refused(result, str(folder / name), column)
    assert f"(allowed: {allowed})" in result.stderr
    assert not (folder / "report.html").exists()
