"""`gridmodel run`: the run folder of the output contract (DESIGN.md), end to end.

Runs the 23 Nov 2022 replay once (module fixture): its nuclear trips leave a
generation shortage in energised areas, so the schedule has definite outages.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from gridmodel.cli import app

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "ua-2022-11-23.toml"
runner = CliRunner()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "nov23"
    result = runner.invoke(app, ["run", str(SCENARIO), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_run_writes_every_contract_file(run_dir: Path) -> None:
    for name in (
        "summary.json",
        "timeline.parquet",
        "timeline.csv",
        "schedule.csv",
        "schedule.json",
        "schedule.ics",
        "dtek/index.json",
        "report.html",
    ):
        assert (run_dir / name).is_file(), name


def test_summary_has_impact_and_metrics(run_dir: Path) -> None:
    data = json.loads((run_dir / "summary.json").read_text())
    # the output contract's version comes first (DESIGN.md, CHANGELOG.md)
    assert next(iter(data)) == "schema_version" and data["schema_version"] == 2
    for key in ("scenario", "network", "seed", "strategy", "impact", "metrics"):
        assert key in data
    metrics = data["metrics"]
    for key in ("ens_mwh", "customer_hours", "saidi_h", "saifi", "caidi_h", "peak_deficit_mw"):
        assert isinstance(metrics[key], int | float)
    assert set(metrics["restore_h"]) == {"50", "90", "100"}
    # the AC backend in use is named, never the unresolved "auto"
    assert data["options"]["ac_backend"] in ("pandapower", "lightsim2grid")
    # ENS is the integral of unserved MW over the hourly timeline (1 h steps)
    timeline = pd.read_parquet(run_dir / "timeline.parquet")
    assert metrics["ens_mwh"] == pytest.approx(timeline["unserved_mw"].sum(), rel=1e-6)


def test_schedule_covers_the_first_days_from_the_scenario_start(run_dir: Path) -> None:
    schedule = pd.read_csv(run_dir / "schedule.csv")
    assert set(schedule["state"]) <= {"on", "off", "possible", "emergency"}
    # the nuclear trips leave a shortage in energised areas: definite outages
    assert (schedule["state"] == "off").any()
    starts = pd.to_datetime(schedule["start"].str.slice(0, 10))
    assert starts.min().date() == date(2022, 11, 23)
    yasno = json.loads((run_dir / "schedule.json").read_text())
    assert set(yasno) == set(schedule["region"])
    region = next(iter(yasno.values()))
    group = next(iter(region.values()))
    assert group["today"]["date"].startswith("2022-11-23")
    assert group["tomorrow"]["date"].startswith(str(date(2022, 11, 23) + timedelta(days=1)))


def test_same_scenario_gives_byte_identical_summary(run_dir: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    result = runner.invoke(app, ["run", str(SCENARIO), "--out", str(again)])
    assert result.exit_code == 0, result.output
    assert (again / "summary.json").read_bytes() == (run_dir / "summary.json").read_bytes()
    assert (again / "schedule.csv").read_bytes() == (run_dir / "schedule.csv").read_bytes()


#: A small run on pandapower's case9: one bus struck, one crew, one day.
CASE9 = """\
title = "case9 bus 4"
network = "case9"
seed = 1
[[waves]]
targets = ["bus:4"]
[repair]
crews = 1
horizon_h = 24
[schedule]
groups = 3
days = 1
"""


def _no_space(run: object) -> str:
    raise OSError(28, "No space left on device")


def test_a_failing_report_leaves_no_run_folder_and_keeps_the_earlier_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario = tmp_path / "case9.toml"
    scenario.write_text(CASE9, encoding="utf-8")
    out = tmp_path / "run"
    first = runner.invoke(app, ["run", str(scenario), "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines()[-1] == f"report: {out / 'report.html'}"
    earlier = (out / "summary.json").read_bytes()
    # The disk fills up while the report is written: the run must end with one
    # line naming the output folder, and the earlier, complete result must stay
    # as it was (the report is built before the rename, so nothing was replaced).
    monkeypatch.setattr("gridmodel.report.render.report_html", _no_space)
    again = runner.invoke(app, ["run", str(scenario), "--out", str(out)])
    assert again.exit_code == 2, again.output
    assert again.stderr.strip().splitlines() == [
        f"gridmodel: error: {out}: cannot write the results (No space left on device)"
    ]
    assert (out / "summary.json").read_bytes() == earlier and (out / "report.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case9.toml", "run"]
    # and a first run that fails the same way leaves no folder at all
    fresh = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path / "fresh")])
    assert fresh.exit_code == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case9.toml", "run"]


def test_a_network_without_load_runs_with_an_empty_schedule(tmp_path: Path) -> None:
    # case9 with its three loads removed: no region has consumers, so nothing
    # rotates; the run still writes every file, the schedule with no rows.
    import pandapower as pp
    import pandapower.networks as pn

    net = pn.case9()
    net.load = net.load.drop(net.load.index)
    pp.to_json(net, str(tmp_path / "noload.json"))
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        'network = "noload.json"\n[[waves]]\ntime_h = 0\ntargets = ["line:3"]\n'
        "[repair]\nhorizon_h = 24\n",
        encoding="utf-8",
    )
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out)])
    assert result.exit_code == 0, result.output
    schedule = pd.read_csv(out / "schedule.csv")
    assert list(schedule.columns) == ["region", "group", "start", "end", "state"]
    assert schedule.empty
    assert json.loads((out / "summary.json").read_text())["impact"]["load_mw"] == 0.0


def test_a_timeline_part_above_its_demand_is_a_model_bug_not_the_scenarios(
    tmp_path: Path,
) -> None:
    """The run's own timeline reaches the schedule unchecked by the user; a row
    whose served load exceeds its demand is the model's invariant broken: an
    InternalError (exit code 1), never a scenario error blaming the user (2)."""
    import gridmodel
    from gridmodel.errors import InternalError
    from gridmodel.studies.run import outage_schedule

    result = gridmodel.run(gridmodel.load_scenario(ROOT / "scenarios" / "ua-2022-12-16.toml"))
    timeline = result.restoration.timeline.frame
    # the untouched timeline gives the run's schedule: the call itself is sound
    pd.testing.assert_frame_equal(
        outage_schedule(result.context, timeline).table, result.outage_schedule.table
    )
    broken = timeline.copy()
    row = broken.index[int(broken["demand_mw"].to_numpy().argmax())]
    broken.loc[row, "served_mw"] = broken.loc[row, "demand_mw"] + 1.0  # 1 MW beyond demand
    with pytest.raises(InternalError, match="the run's timeline: served_mw: "):
        outage_schedule(result.context, broken)


@pytest.mark.parametrize(
    ("change", "field", "said"),
    [
        ('\npolicy = "priority"\nprotected_groups = ["Nowhere:1"]\n', "region",
         "unknown region 'Nowhere'"),
        ("", "time", "not on a whole minute"),  # the start below has seconds
    ],
)  # fmt: skip
def test_the_users_schedule_errors_still_blame_the_scenario(
    change: str, field: str, said: str, tmp_path: Path
) -> None:
    """Errors in what the user wrote (a protected group's region, a start time
    with seconds) reach the schedule as fields named ``region`` and ``time``,
    like timeline columns: they stay exit code 2 naming the scenario file."""
    text = (ROOT / "scenarios" / "case118-salvo.toml").read_text(encoding="utf-8")
    if not change:
        text = text.replace("T18:00:00+02:00", "T18:00:30+02:00")
    scenario = tmp_path / "s.toml"
    scenario.write_text(text + change, encoding="utf-8")
    result = runner.invoke(app, ["run", str(scenario), "--out", str(tmp_path / "run")])
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output
    assert f"{scenario}: " in result.output and f"{field}: " in result.output
    assert said in result.output
