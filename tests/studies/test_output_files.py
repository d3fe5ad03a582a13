"""Every output file of ``gridmodel run`` holds only finite numbers; runs are reproducible.

One run of each example scenario (``scenarios/*.toml``) through the CLI, then
every file is scanned: JSON files are parsed with NaN/Infinity literals
rejected and every number walked; every numeric column of the tables must be
finite, except the cells README "Edge cases" documents as empty; the
calendar text must not contain ``nan``/``inf``; the figures embedded in
report.html (plotly JSON, float arrays base64-encoded) must be finite.
"""

from __future__ import annotations

import base64
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gridmodel.cli import app

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))
runner = CliRunner()

#: Cells that are legitimately empty (README "Edge cases"): a task without a
#: prerequisite (``after``), a task not started / not finished within the
#: horizon (``start_h`` / ``end_h``), an hour before the first wave (``wave_h``).
MAY_BE_EMPTY = {
    "tasks.csv": {"after", "start_h", "end_h", "assigned_h", "wait_h", "travel_h", "work_h"},
    "timeline.csv": {"wave_h"},
    "timeline.parquet": {"wave_h"},
}
TABLES = ("timeline.parquet", "timeline.csv", "tasks.csv", "groups.csv", "schedule.csv")
JSONS = ("summary.json", "network_state.json", "schedule.json", "run.json", "dtek/index.json")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One ``gridmodel run`` per example scenario."""
    base = tmp_path_factory.mktemp("runs")
    out = {}
    for scenario in SCENARIOS:
        folder = base / scenario.stem
        result = runner.invoke(app, ["run", str(scenario), "--out", str(folder)])
        assert result.exit_code == 0, result.output
        out[scenario.stem] = folder
    return out


def _reject(literal: str) -> float:
    raise AssertionError(f"non-finite JSON literal {literal}")


def non_finite_numbers(data: Any, path: str = "") -> list[str]:
    """Paths of non-finite floats in a parsed JSON value."""
    if isinstance(data, float):
        return [] if math.isfinite(data) else [path]
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in non_finite_numbers(v, f"{path}/{k}")]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in non_finite_numbers(v, f"{path}[{i}]")]
    return []


def test_the_examples_are_all_scanned() -> None:
    assert {s.stem for s in SCENARIOS} >= {"case118-salvo", "ua-2022-11-23", "ua-2022-12-16"}


@pytest.mark.slow
@pytest.mark.parametrize("name", JSONS)
def test_json_files_hold_only_finite_numbers(runs: dict[str, Path], name: str) -> None:
    for scenario, folder in runs.items():
        text = (folder / name).read_text(encoding="utf-8")
        data = json.loads(text, parse_constant=_reject)
        assert non_finite_numbers(data) == [], (scenario, name)


@pytest.mark.slow
@pytest.mark.parametrize("name", TABLES)
def test_tables_hold_only_finite_numbers(runs: dict[str, Path], name: str) -> None:
    for scenario, folder in runs.items():
        path = folder / name
        table = pd.read_parquet(path) if name.endswith(".parquet") else pd.read_csv(path)
        assert len(table) > 0, (scenario, name)
        for column in table.select_dtypes("number").columns:
            values = table[column].to_numpy(dtype=float)
            assert not np.isinf(values).any(), (scenario, name, column)
            if column not in MAY_BE_EMPTY.get(name, set()):
                assert not np.isnan(values).any(), (scenario, name, column)
        # text columns never spell a non-number either
        for column in table.select_dtypes(exclude="number").columns:
            cells = table[column].dropna().astype(str).str.strip().str.lower()
            assert not cells.isin({"nan", "inf", "-inf", "infinity"}).any(), (name, column)
        # documented empties: only where the meaning holds
        if name == "tasks.csv":
            not_started = table["start_h"].isna()
            assert not table.loc[not_started, "done"].astype(bool).any()
            # a task sent a crew has its wait; one at work has its travel
            assert (table["assigned_h"].isna() == table["wait_h"].isna()).all()
            assert table.loc[~not_started, "travel_h"].notna().all()
            assert table.loc[table["done"].astype(bool), "end_h"].notna().all()


@pytest.mark.slow
def test_timeline_counts_whole_customers(runs: dict[str, Path]) -> None:
    # counts of customers are whole in the files (rounded once, as written); the
    # metrics come from the unrounded hour means, so the file's sum is within
    # half a customer per row of summary.json's customer_hours
    for scenario, folder in runs.items():
        for name in ("timeline.parquet", "timeline.csv"):
            path = folder / name
            table = pd.read_parquet(path) if name.endswith(".parquet") else pd.read_csv(path)
            for column in ("customers_off", "customers_interrupted"):
                assert pd.api.types.is_integer_dtype(table[column]), (scenario, name, column)
                assert (table[column] >= 0).all() and (table[column] <= table["customers"]).all()
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        hours = summary["metrics"]["customer_hours"]
        assert abs(table["customers_off"].sum() - hours) <= 0.5 * len(table) + 1e-6, scenario


def test_calendar_has_no_non_numbers(runs: dict[str, Path]) -> None:
    for folder in runs.values():
        text = (folder / "schedule.ics").read_text(encoding="utf-8")
        assert "BEGIN:VCALENDAR" in text
        assert not re.search(r"\b(nan|inf|infinity)\b", text, flags=re.IGNORECASE)


@pytest.mark.slow
def test_report_figure_data_is_finite(runs: dict[str, Path]) -> None:
    # plotly.js itself contains "NaN" as code; only the figure JSON is checked
    for scenario, folder in runs.items():
        html = (folder / "report.html").read_text(encoding="utf-8")
        specs = re.findall(r"var fig = (\{.*?\});Plotly\.newPlot", html, flags=re.DOTALL)
        assert len(specs) >= 4, scenario  # map, impact, timeline, schedule at least
        for spec in specs:
            bad = _figure_non_finite(json.loads(spec, parse_constant=_reject))
            assert bad == [], (scenario, bad[:5])


def _figure_non_finite(data: Any, path: str = "") -> list[str]:
    if isinstance(data, dict):
        if "bdata" in data and "dtype" in data:  # plotly typed array
            values = np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"])
            ok = values.dtype.kind != "f" or bool(np.isfinite(values).all())
            return [] if ok else [path]
        return [p for k, v in data.items() for p in _figure_non_finite(v, f"{path}/{k}")]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _figure_non_finite(v, f"{path}[{i}]")]
    if isinstance(data, float) and not math.isfinite(data):
        return [path]
    return []


@pytest.mark.slow
def test_dtek_presets_cover_every_scheduled_region(runs: dict[str, Path]) -> None:
    reference = json.loads((ROOT / "tests/schedule/data/dtek-preset/kyiv.json").read_text())
    vocabulary = set(reference["time_type"])
    for scenario, folder in runs.items():
        regions = set(pd.read_csv(folder / "schedule.csv", dtype=str)["region"])
        index = json.loads((folder / "dtek" / "index.json").read_text(encoding="utf-8"))
        assert set(index["regions"]) == regions, scenario
        files = {p.name for p in (folder / "dtek").iterdir()}
        assert files == {*index["regions"].values(), "index.json"}, scenario
        for name in index["regions"].values():
            preset = json.loads((folder / "dtek" / name).read_text(encoding="utf-8"))
            assert list(preset) == list(reference), (scenario, name)
            assert list(preset["data"]) == list(reference["data"])
            cells = {v for q in preset["data"].values() for d in q.values() for v in d.values()}
            assert cells <= vocabulary, (scenario, name)


# ----------------------------------------------------------------- reproducibility


@pytest.mark.slow
def test_run_metadata_is_in_run_json_not_in_summary(runs: dict[str, Path]) -> None:
    for scenario, folder in runs.items():
        meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        assert {"finished_at", "gridmodel", "python", "host", "scenario_file"} <= set(meta)
        assert meta["scenario_file"].endswith(f"{scenario}.toml")
        summary = (folder / "summary.json").read_text(encoding="utf-8")
        # no machine path, host name or wall-clock time inside summary.json
        for needle in (str(folder), str(ROOT), meta["host"], meta["finished_at"][:10]):
            assert needle not in summary, (scenario, needle)


@pytest.mark.slow
def test_second_run_gives_byte_identical_summary(runs: dict[str, Path], tmp_path: Path) -> None:
    # case118: a random salvo, so the bytes depend on every random draw
    again = tmp_path / "again"
    scenario = ROOT / "scenarios" / "case118-salvo.toml"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(again)])
    assert result.exit_code == 0, result.output
    for name in ("summary.json", "tasks.csv", "timeline.csv", "schedule.csv", "schedule.json"):
        assert (again / name).read_bytes() == (runs["case118-salvo"] / name).read_bytes(), name


@pytest.mark.slow
def test_compare_is_identical_for_the_same_seed(tmp_path: Path) -> None:
    scenario = ROOT / "scenarios" / "case118-salvo.toml"
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name
        result = runner.invoke(
            app, ["compare", str(scenario), "-n", "3", "--seed", "7", "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        outs.append(out)
    for name in ("comparison.csv", "samples.csv"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name


@pytest.mark.slow
def test_montecarlo_workers_1_and_2_give_identical_files(tmp_path: Path) -> None:
    # the CLI end of test_distributed's library-level check: same rows and the
    # same summary.json bytes whether one or two worker processes ran the samples
    scenario = ROOT / "scenarios" / "case118-salvo.toml"
    outs = {}
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        result = runner.invoke(
            app,
            ["montecarlo", str(scenario), "-n", "6", "--chunk-size", "2", "--impact-only",
             "--workers", workers, "--out", str(out), "--no-progress"],
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        outs[workers] = out
    tables = [
        pd.read_parquet(o / "samples").sort_values("sample").reset_index(drop=True)
        for o in outs.values()
    ]
    pd.testing.assert_frame_equal(tables[0], tables[1])
    assert (outs["1"] / "summary.json").read_bytes() == (outs["2"] / "summary.json").read_bytes()
