"""A run whose strike comes at 07:30: its schedule's emergency starts at 07:30, in
``gridmodel run`` and in ``gridmodel schedule --from-run`` alike, and readers refuse
a run folder of another ``schema_version``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from gridmodel.cli import app

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "tests" / "data" / "ua-oblasts-2022-12-16.toml"
runner = CliRunner()


@pytest.fixture(scope="module")
def half_past(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ua-oblasts replay of 16 Dec 2022 (start 07:00) with its wave at 07:30."""
    folder = tmp_path_factory.mktemp("half")
    text = SCENARIO.read_text(encoding="utf-8")
    assert "\ntime_h = 0\n" in text
    scenario = folder / "half.toml"
    scenario.write_text(text.replace("\ntime_h = 0\n", "\ntime_h = 0.5\n"), encoding="utf-8")
    out = folder / "run"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "at the strike, 07:30" in result.output
    return out


def first_day(folder: Path) -> pd.DataFrame:
    table = pd.read_csv(folder / "schedule.csv", dtype=str)
    return table[table["start"].str.startswith("2022-12-16")]


def test_the_emergency_starts_at_the_strike_minute(half_past: Path) -> None:
    day = first_day(half_past)
    clock = day["start"].str[11:16]
    # nothing is dark before the strike: every region's 04:00 slot ends at 07:30
    before = day[clock < "07:30"]
    assert set(before["state"]) == {"on"}
    assert set(day.loc[clock == "04:00", "end"]) == {"2022-12-16T07:30:00+02:00"}
    assert "07:00" not in set(clock)
    # Kyiv city, struck and dark, is in emergency from 07:30
    kyiv = day[(day["region"] == "Kyiv city") & (clock == "07:30")]
    assert len(kyiv) == 3 and set(kyiv["state"]) == {"emergency"}
    # the DTEK preset of Kyiv city: hour 8 (07:00-08:00) on, then dark: 'second'
    dtek = json.loads((half_past / "dtek" / "index.json").read_text(encoding="utf-8"))
    preset = json.loads(
        (half_past / "dtek" / dtek["regions"]["Kyiv city"]).read_text(encoding="utf-8")
    )
    friday = "5"  # 16 Dec 2022
    assert {preset["data"][q][friday]["8"] for q in preset["data"]} == {"second"}


def test_schedule_from_run_splits_at_the_same_minute(half_past: Path, tmp_path: Path) -> None:
    out = tmp_path / "sched"
    args = ["schedule", "--from-run", str(half_past), "--network", "ua-oblasts"]
    args += ["--slot-hours", "4", "--days", "3"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output

    # the wave's minute read back from the timeline's wave_h: every region split at
    # 07:30, and with the scenario's network and options (4-h slots, 3 days, the
    # defaults otherwise, emergency held 4 h after the wave) the run's own files
    ran = pd.read_csv(half_past / "schedule.csv", dtype=str)
    inside = ran["start"].str[14:16] != "00"
    assert set(ran.loc[inside, "start"]) == {"2022-12-16T07:30:00+02:00"}
    assert set(ran.loc[inside, "region"]) == set(ran["region"])
    for name in ("schedule.csv", "schedule.json", "schedule.ics", "groups.csv"):
        assert (out / name).read_bytes() == (half_past / name).read_bytes(), name


@pytest.mark.parametrize(
    ("version", "words"),
    [(1, "an older gridmodel; run it again"), (99, "a newer gridmodel; update gridmodel")],
)
def test_readers_refuse_another_schema_version(
    half_past: Path, tmp_path: Path, version: int, words: str
) -> None:
    old = tmp_path / "old"
    old.mkdir()
    for name in ("summary.json", "timeline.parquet", "schedule.csv"):
        (old / name).write_bytes((half_past / name).read_bytes())
    summary = json.loads((old / "summary.json").read_text(encoding="utf-8"))
    summary["schema_version"] = version
    (old / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    expected = (
        f"{old / 'summary.json'}: schema_version: schema_version {version} was written by "
        f"{words} (allowed: 2)"
    )
    for args in (
        ["schedule", "--from-run", str(old), "--out", str(tmp_path / "sched")],
        ["report", str(old)],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        assert result.stderr.strip().splitlines() == [f"gridmodel: error: {expected}"]
        assert "Traceback" not in result.output
    assert not (tmp_path / "sched").exists() and not (old / "report.html").exists()
