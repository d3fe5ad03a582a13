"""``gridmodel schedule`` through the command line (CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gridmodel.cli import app

FILES = {".gridmodel", "schedule.csv", "schedule.json", "schedule.ics", "groups.csv", "dtek"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def regions(tmp_path: Path) -> Path:
    path = tmp_path / "regions.csv"
    path.write_text("region,load_mw,customers,groups\nKyiv city,1200,600000,3\nLviv,600,300000,6\n")
    return path


def assert_one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gridmodel: error: ")
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0]


def test_fraction_schedule_writes_every_file(
    runner: CliRunner, regions: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    args = ["schedule", "--regions", str(regions), "--deficit-fraction", "0.3"]
    args += ["--start", "2022-12-17", "--days", "1", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == FILES
    data = json.loads((out / "schedule.json").read_text())
    assert set(data) == {"Kyiv city", "Lviv"} and list(data["Kyiv city"]) == ["1", "2", "3"]
    table = pd.read_csv(out / "schedule.csv", dtype=str)
    # 0.3 of the load: 1 of 3 Kyiv groups (0.333) and 2 of 6 Lviv groups, 6 slots of 4 h
    off = table[table["state"] == "off"].groupby("region").size()
    assert off.to_dict() == {"Kyiv city": 6, "Lviv": 12}
    assert "2 regions, 9 groups, 1 day(s) of 4-h slots from 2022-12-17" in result.stdout
    # next to the Yasno object: a DTEK weekly preset per region (2022-12-17 is weekday 6)
    index = json.loads((out / "dtek" / "index.json").read_text())
    assert index["regions"] == {"Kyiv city": "kyiv-city.json", "Lviv": "lviv.json"}
    assert index["weekdays"] == {"6": "2022-12-17"}
    kyiv = json.loads((out / "dtek" / "kyiv-city.json").read_text())
    kyiv_off = table[(table["region"] == "Kyiv city") & (table["state"] == "off")]
    # 3 groups: group g is queues (2g-1).x and 2g.x; its 4-h off slots are "no" all hours
    for group, start, end in kyiv_off[["group", "start", "end"]].itertuples(index=False):
        g, first, last = int(group), int(start[11:13]), int(end[11:13]) or 24
        for queue in (f"{2 * g - 1}.1", f"{2 * g - 1}.2", f"{2 * g}.1", f"{2 * g}.2"):
            cells = [kyiv["data"][queue]["6"][str(h)] for h in range(first + 1, last + 1)]
            assert cells == ["no"] * (last - first), (group, start, queue)


def write_run_timeline(run: Path, *, drop: tuple[str, ...] = ()) -> None:
    """A day of one region as ``gridmodel run`` writes it: 100 MW short of supply, 300 MW
    from 17:00 (200 supply shortage + 100 network-limited), 50 MW shed by under-frequency
    relays at 03:00."""
    run.mkdir()
    hours = pd.date_range("2022-12-16T22:00Z", periods=24, freq="h").tz_convert("Europe/Kyiv")
    network = np.where(hours.hour >= 17, 100.0, 0.0)
    supply = np.where(hours.hour >= 17, 200.0, 100.0)
    ufls = np.where(hours.hour == 3, 50.0, 0.0)
    unserved = network + supply + ufls
    pd.DataFrame(
        {
            "hour": range(24),
            "time": [t.isoformat() for t in hours],
            "region": "Kyiv city",
            "demand_mw": 1300.0,
            "served_mw": 1300.0 - unserved,
            "unserved_mw": unserved,
            "dark_mw": 0.0,
            "network_limited_mw": network,
            "supply_shortage_mw": supply,
            "ufls_mw": ufls,
            "shed_mw": network + supply,
            "critical_mw": 100.0,
            "wave_h": np.nan,
        }
    ).drop(columns=list(drop)).to_parquet(run / "timeline.parquet")


def test_from_run_with_subgroups(runner: CliRunner, tmp_path: Path) -> None:
    run = tmp_path / "run"
    write_run_timeline(run)
    out = tmp_path / "sched"
    args = ["schedule", "--from-run", str(run), "--groups", "6x2", "--slot-hours", "1"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "schedule.csv", dtype=str)
    assert table["group"].iloc[0] == "1.1" and table["start"].iloc[0] == "2022-12-17T00:00:00+02:00"
    hour = table["start"].str[11:13].astype(int)
    off = table[table["state"] == "off"].groupby(hour).size()
    # rotatable 1300 - 100 = 1200 MW in 12 subgroups of 100 MW: 1 off (100 MW) before 17:00,
    # 3 off (300 MW network-limited + supply shortage) from 17:00
    assert off[off.index < 17].eq(1).all() and off[off.index >= 17].eq(3).all()
    # 03:00: 50 of 1300 MW shed by under-frequency relays is an emergency outage for one
    # subgroup (1/12 covers 0.038), not rotated; the other eleven hold the 1150 MW
    # rotatable load, 100 MW of it is one subgroup off
    at_three = table.loc[hour == 3, "state"]
    assert (at_three == "emergency").sum() == 1 and (at_three == "off").sum() == 1
    assert len(off) == 24 and (table["state"] == "emergency").sum() == 1


def test_from_run_without_category_columns_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    # A run folder written before the timeline had ufls_mw.
    run = tmp_path / "run"
    write_run_timeline(run, drop=("ufls_mw",))
    out = tmp_path / "sched"
    result = runner.invoke(app, ["schedule", "--from-run", str(run), "--out", str(out)])
    assert_one_line_error(
        result, "timeline.parquet: ufls_mw: missing column 'ufls_mw'", "allowed: columns hour"
    )
    assert not out.exists()


def tamper_timeline(run: Path, row: int, **values: float) -> Path:
    """Overwrite cells of row ``row`` of the run's timeline.parquet, as a hand edit would."""
    path = run / "timeline.parquet"
    table = pd.read_parquet(path)
    for column, value in values.items():
        table.loc[row, column] = value
    table.to_parquet(path)
    return path


CAUSES = "dark_mw + network_limited_mw + supply_shortage_mw + ufls_mw"


@pytest.mark.parametrize(
    ("values", "field", "needle"),
    [
        # 05:00 row: demand 1300 MW, 100 MW supply shortage
        ({"dark_mw": 5000.0}, "dark_mw", "5000 MW in row 6 (Kyiv city, 2022-12-17T05:00:00+02:00)"),
        ({"critical_mw": 1400.0}, "critical_mw", "exceeds demand_mw 1300 MW"),
        ({"dark_mw": 1300.0001}, "dark_mw", "(allowed: 0 to demand_mw, within 1e-05 MW)"),
        # each cause alone fits the demand, together they do not: 1201 + 100 MW
        ({"dark_mw": 1201.0}, CAUSES, "1301 MW in row 6"),
        ({"network_limited_mw": -10.0}, "network_limited_mw", "bad value -10.0 in row 6"),
    ],
)
def test_from_run_refuses_a_tampered_timeline(
    runner: CliRunner, tmp_path: Path, values: dict[str, float], field: str, needle: str
) -> None:
    # Parts of a row above its demand (or below 0) would be clipped to shares of 1 (or 0)
    # and give a schedule of a grid that never was: refused, naming the file and column.
    run = tmp_path / "run"
    write_run_timeline(run)
    path = tamper_timeline(run, 5, **values)
    out = tmp_path / "sched"
    result = runner.invoke(app, ["schedule", "--from-run", str(run), "--out", str(out)])
    assert_one_line_error(result, f"{path}: {field}: ", needle)
    assert not out.exists()
    assert not list(tmp_path.glob(".sched*"))  # no temporary folder left behind


def test_from_run_takes_a_part_within_rounding_of_its_demand(
    runner: CliRunner, tmp_path: Path
) -> None:
    # 05:00 all dark, dark_mw 5e-6 MW above the demand (a re-export rounded to 1e-6 MW
    # could do that): accepted, the whole region is in emergency that hour.
    run = tmp_path / "run"
    write_run_timeline(run)
    dark = 1300.0 + 5e-6
    zero = {"network_limited_mw": 0.0, "supply_shortage_mw": 0.0, "shed_mw": 0.0}
    tamper_timeline(run, 5, dark_mw=dark, unserved_mw=dark, served_mw=0.0, **zero)
    out = tmp_path / "sched"
    args = ["schedule", "--from-run", str(run), "--slot-hours", "1", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "schedule.csv", dtype=str)
    at_five = table.loc[table["start"] == "2022-12-17T05:00:00+02:00", "state"]
    assert len(at_five) == 6 and (at_five == "emergency").all()


def test_network_from_catalog(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "case9"
    args = ["schedule", "--network", "case9", "--stage", "1", "--stage-mw", "100"]
    args += ["--start", "2023-02-01", "--tz", "Africa/Johannesburg", "--slot-hours", "2"]
    args += ["--policy", "stage_table", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "schedule.csv", dtype=str)
    # case9: one region, 315 MW, 6 groups of 52.5 MW; stage 1 x 100 MW needs 2 groups
    assert table["start"].iloc[0] == "2023-02-01T00:00:00+02:00"
    assert table[table["state"] == "off"].groupby("start").size().eq(2).all()


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        ([], ("exactly one deficit input",)),
        (["--deficit-fraction", "0.2", "--stage", "1"], ("--deficit-fraction, --stage",)),
        (["--deficit-fraction", "0.2", "--policy", "fair"], ("unknown schedule policy",)),
        (["--deficit-fraction", "0.2", "--slot-hours", "3"], ("--slot-hours", "1, 2, 4")),
        (["--deficit-fraction", "0.2", "--tz", "Mars/Base"], ("unknown time zone",)),
        (["--deficit-fraction", "0.2", "--groups", "6y2"], ("bad group count",)),
        (["--deficit-fraction", "0.2", "--start", "17.12.2022"], ("bad date",)),
        (["--queues", "nope.csv"], ("nope.csv", "no such file")),
    ],
)
def test_bad_input_is_one_line_and_no_folder(
    runner: CliRunner, regions: Path, tmp_path: Path, extra: list[str], needles: tuple[str, ...]
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["schedule", "--regions", str(regions), *extra, "--out", str(out)])
    assert_one_line_error(result, *needles)
    assert not out.exists()
    assert not list(tmp_path.glob(".out*"))  # no temporary folder left behind


def test_fraction_without_loads_needs_a_network(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["schedule", "--deficit-fraction", "0.2", "--out", str(tmp_path / "o")]
    )
    assert_one_line_error(result, "--network NAME or --regions FILE")


def test_foreign_folder_needs_overwrite(runner: CliRunner, regions: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    args = ["schedule", "--regions", str(regions), "--deficit-fraction", "0.2", "--out", str(out)]
    result = runner.invoke(app, args)
    assert_one_line_error(result, "not written by gridmodel")
    assert (out / "notes.txt").read_text() == "keep me"
    result = runner.invoke(app, [*args, "--overwrite"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == FILES
    # a folder gridmodel wrote is replaced without --overwrite
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
