"""``gridmodel run`` with the restoration stage: summary.json metrics and the timeline files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.restoration.timeline import COLUMNS
from gridmodel.scenario import load_scenario
from gridmodel.studies.compare import compare

runner = CliRunner()

SCENARIO = """
title = "two lines and a substation"
network = "case9"
seed = 3
start = 2022-12-16T07:00:00+02:00
[[waves]]
targets = ["line:3", "line:5", "substation:bus8"]
severity = 0.5
[repair]
strategy = "as_listed"
crews = 1
horizon_h = 72
partial_damage = false
[repair.durations.line]
dist = "fixed"
median_h = 10.0
[repair.durations.substation]
dist = "fixed"
median_h = 20.0
"""
METRIC_KEYS = {"ens_mwh", "customer_hours", "saidi_h", "saifi", "caidi_h", "peak_deficit_mw"}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("run")
    scenario = base / "scenario.toml"
    scenario.write_text(SCENARIO)
    out = base / "out"
    done = runner.invoke(
        app, ["run", str(scenario), "--strategy", "load_per_hour", "--out", str(out)]
    )
    assert done.exit_code == 0, done.output
    assert "restoration (load_per_hour)" in done.stdout
    return out


def test_summary_has_the_metrics_of_the_output_contract(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["strategy"] == "load_per_hour"
    metrics = summary["metrics"]
    assert set(metrics) >= METRIC_KEYS | {"restore_h"}
    assert set(metrics["restore_h"]) == {"50", "90", "100"}
    assert "impact" in summary
    # three tasks of 5, 5 and 10 h for one crew all end within 20 h: 100 % back by then
    assert metrics["restore_h"]["100"] is not None and metrics["restore_h"]["100"] <= 20.0


def test_timeline_files_agree_with_the_summary(run_dir: Path) -> None:
    summary = json.loads((run_dir / "summary.json").read_text())
    frame = pd.read_parquet(run_dir / "timeline.parquet")
    assert tuple(frame.columns) == COLUMNS
    assert len(frame) == 72 * frame["region"].nunique()
    assert frame["time"].iloc[0] == pd.Timestamp("2022-12-16 07:00", tz="Europe/Kyiv")
    assert summary["metrics"]["ens_mwh"] == pytest.approx(frame["unserved_mw"].sum(), abs=1e-5)
    csv = pd.read_csv(run_dir / "timeline.csv")
    assert tuple(csv.columns) == COLUMNS
    assert csv["time"].iloc[0] == "2022-12-16T07:00:00+02:00"
    assert csv["unserved_mw"].sum() == pytest.approx(frame["unserved_mw"].sum())
    tasks = pd.read_csv(run_dir / "tasks.csv")
    assert set(tasks["element"]) == {"line:3", "line:5", "substation:bus8"}


def test_run_and_compare_use_the_same_durations(run_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "scenario.toml"
    path.write_text(SCENARIO)
    compared = compare(load_scenario(path), samples=1, strategies=["load_per_hour"])
    summary = json.loads((run_dir / "summary.json").read_text())
    assert compared.samples["ens_mwh"].iloc[0] == pytest.approx(
        summary["metrics"]["ens_mwh"], abs=1e-5
    )


def test_unknown_strategy_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(SCENARIO)
    out = tmp_path / "out"
    done = runner.invoke(app, ["run", str(scenario), "--strategy", "best", "--out", str(out)])
    assert done.exit_code == 2
    assert "unknown repair strategy 'best'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert not out.exists()
    scenario.write_text(SCENARIO.replace('"as_listed"', '"as_lsted"'))
    bad = runner.invoke(app, ["run", str(scenario), "--out", str(out)])
    assert bad.exit_code == 2
    assert "repair.strategy" in bad.stderr and "did you mean 'as_listed'" in bad.stderr
