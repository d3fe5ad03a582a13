"""Strategy comparison: common random numbers, paired statistics, the compare command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.cli.compare import ranking_table
from gridmodel.contract import SCHEMA_VERSION
from gridmodel.errors import OptionError
from gridmodel.restoration.strategies import names
from gridmodel.scenario import load_scenario
from gridmodel.studies.compare import COMPARED, COMPARISON_COLUMNS, compare

runner = CliRunner()

# case9 (MATPOWER): 9 buses, 9 lines, 315 MW of load. Three random lines cut
# per sample, one crew, two days.
SCENARIO = """
title = "three lines"
network = "case9"
seed = 5
[[waves]]
time_h = 0
[[waves.random]]
count = 3
target = "line"
severity = [0.2, 1.0]
[repair]
crews = 1
horizon_h = 48
"""


def scenario_file(tmp_path: Path, text: str = SCENARIO) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return load_scenario(scenario_file(tmp_path_factory.mktemp("s")))


@pytest.fixture(scope="module")
def result(scenario):
    return compare(scenario, samples=4)


def test_same_seed_same_numbers(scenario, result) -> None:
    again = compare(scenario, samples=4)
    pd.testing.assert_frame_equal(result.samples, again.samples)
    pd.testing.assert_frame_equal(result.table, again.table)


def test_every_strategy_sees_the_same_strikes_and_durations(result) -> None:
    samples = result.samples
    assert sorted(samples["strategy"].unique()) == sorted(names())
    per_sample = samples.groupby("sample")["damage_key"].nunique()
    assert (per_sample == 1).all()
    assert samples.groupby("sample")["damage_key"].first().nunique() > 1  # samples differ


def test_another_seed_draws_other_strikes(scenario, result) -> None:
    other = compare(scenario, samples=4, seed=6, strategies=["as_listed"])
    assert set(other.samples["damage_key"]).isdisjoint(set(result.samples["damage_key"]))


def test_table_statistics_by_hand(result) -> None:
    table = result.table
    assert tuple(table.columns) == COMPARISON_COLUMNS
    assert set(table["metric"]) == set(COMPARED)
    samples = result.samples
    ens = samples.pivot(index="sample", columns="strategy", values="ens_mwh")
    row = table[(table.strategy == "as_listed") & (table.metric == "ens_mwh")].iloc[0]
    values = ens["as_listed"].to_numpy()
    # 95 % Student t interval, n = 4: t(0.975, 3) = 3.182446 (statistical tables)
    half = 3.182446 * values.std(ddof=1) / np.sqrt(4)
    assert row["mean"] == pytest.approx(values.mean())
    assert row["ci_low"] == pytest.approx(values.mean() - half, rel=1e-6)
    assert row["ci_high"] == pytest.approx(values.mean() + half, rel=1e-6)
    # paired difference to the best strategy of the metric
    best = row["best"]
    diff = values - ens[best].to_numpy()
    assert row["diff_to_best"] == pytest.approx(diff.mean())
    assert ens.mean().min() == pytest.approx(ens[best].mean())
    best_row = table[(table.strategy == best) & (table.metric == "ens_mwh")].iloc[0]
    assert (best_row["diff_to_best"], best_row["diff_ci_low"], best_row["diff_ci_high"]) == (
        0.0,
        0.0,
        0.0,
    )
    # the exact search is never beaten on energy not served, sample by sample
    assert (ens.sub(ens["optimal"], axis=0) >= -1e-6).all().all()


def test_served_curves_carry_each_strategys_mean_energy_not_served(result) -> None:
    # The curves are means over samples of hourly national totals, so their
    # hourly shortfall summed over the horizon (1 h steps) is the strategy's
    # mean ENS over the samples.
    curves = result.served
    assert set(curves["strategy"]) == set(result.samples["strategy"])
    assert (curves["served_mw"] <= curves["demand_mw"] + 1e-9).all()
    shortfall = (curves["demand_mw"] - curves["served_mw"]).groupby(curves["strategy"]).sum()
    mean_ens = result.samples.groupby("strategy")["ens_mwh"].mean()
    pd.testing.assert_series_equal(
        shortfall.sort_index(), mean_ens.sort_index(), check_names=False, rtol=1e-9
    )


def test_ranks_count_the_strategies_significantly_better(result) -> None:
    # rank = 1 + the number of strategies whose paired 95 % interval of the
    # ENS difference lies above zero, recomputed here with scipy's t interval
    ens = result.samples.pivot(index="sample", columns="strategy", values="ens_mwh")
    expected = {}
    for name in ens.columns:
        better = 0
        for other in ens.columns:
            diff = (ens[name] - ens[other]).to_numpy()
            if other == name or np.ptp(diff) == 0:
                better += other != name and diff[0] > 1e-6
                continue
            low, _ = stats.t.interval(0.95, len(diff) - 1, diff.mean(), stats.sem(diff))
            better += low > 1e-6
        expected[name] = better + 1
    ranking = result.ranking
    assert dict(zip(ranking["strategy"], ranking["rank"], strict=True)) == expected
    assert ranking["rank"].is_monotonic_increasing
    assert ranking["rank"].iloc[0] == 1
    assert (
        ranking["strategy"].iloc[0]
        == result.table["best"][result.table.metric == "ens_mwh"].iloc[0]
    )


def test_identical_strategies_tie(tmp_path: Path) -> None:
    # One damaged line: every strategy repairs it at once, so every sample
    # gives every strategy the same numbers, and they all share rank 1.
    one = """
title = "one line"
network = "case9"
[[waves]]
targets = ["line:3"]
[repair]
crews = 1
horizon_h = 24
"""
    result = compare(
        load_scenario(scenario_file(tmp_path, one)),
        samples=3,
        strategies=["as_listed", "load_per_hour", "customers_per_crew_hour"],
    )
    assert result.ranking["rank"].tolist() == [1, 1, 1]
    text = ranking_table(result.ranking, samples=3)
    assert text.count(" 1= ") == 3


def test_optimal_is_left_out_by_default_when_too_large(tmp_path: Path) -> None:
    big = """
title = "many"
network = "case9"
[[waves]]
[[waves.random]]
count = 9
target = "line"
[[waves.random]]
count = 5
target = "substation"
[repair]
crews = 2
horizon_h = 24
"""
    scenario = load_scenario(scenario_file(tmp_path, big))
    result = compare(scenario, samples=1)
    assert "optimal" not in set(result.samples["strategy"])
    assert any("optimal left out" in note for note in result.notes)
    with pytest.raises(OptionError, match="at most"):
        compare(scenario, samples=1, strategies=["optimal", "as_listed"])


def test_compare_command_writes_the_table_and_prints_a_ranking(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    args = ["compare", str(scenario_file(tmp_path)), "--samples", "3", "--out", str(out)]
    done = runner.invoke(app, [*args, "--strategies", "as_listed,load_per_hour"])
    assert done.exit_code == 0, done.output
    table = pd.read_csv(out / "comparison.csv")
    assert tuple(table.columns) == COMPARISON_COLUMNS
    assert set(table["strategy"]) == {"as_listed", "load_per_hour"}
    assert len(pd.read_csv(out / "samples.csv")) == 3 * 2
    curves = pd.read_parquet(out / "comparison_timeline.parquet")
    assert set(curves["strategy"]) == {"as_listed", "load_per_hour"}
    assert len(curves) == 2 * 48  # one row per strategy and hour of the 48 h horizon
    lines = done.stdout.splitlines()
    first = table.sort_values("rank")["strategy"].iloc[0]
    assert any(line.split()[:2] in (["1", first], ["1=", first]) for line in lines)
    # summary.json says what was compared, on what: the scenario file's title and seed
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == "three lines"
    assert summary["schema_version"] == SCHEMA_VERSION
    assert (summary["network"], summary["seed"], summary["samples"]) == ("case9", 5, 3)
    assert summary["strategies"] == ["as_listed", "load_per_hour"]
    assert summary["options"]["mode"] == "dc"


def test_compare_command_rejects_bad_input_with_one_line(tmp_path: Path) -> None:
    path = str(scenario_file(tmp_path))
    bad = runner.invoke(
        app, ["compare", path, "--strategies", "as_listed,fastest", "--out", str(tmp_path / "x")]
    )
    assert bad.exit_code == 2
    assert "unknown repair strategy 'fastest'" in bad.stderr
    assert "load_per_hour" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    refused = runner.invoke(app, ["compare", path, "--samples", "1", "--out", str(mine)])
    assert refused.exit_code == 2
    assert "not written by gridmodel" in refused.stderr
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    zero = runner.invoke(app, ["compare", path, "--samples", "0", "--out", str(tmp_path / "y")])
    # the message names the option by its Python parameter name
    assert zero.exit_code == 2
    assert zero.stderr.strip() == (
        "gridmodel: error: samples: 0 is out of range (allowed: a whole number from 1 to 10,000)"
    )


def test_compare_builds_its_report_before_the_folder_appears(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(scenario_file(tmp_path))
    out = tmp_path / "cmp"
    args = ["compare", path, "-n", "1", "--strategies", "as_listed", "--out", str(out)]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    # built in the temporary folder, the report is titled with the scenario's title
    # (summary.json), not with a folder's name
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<h1>three lines</h1>" in page
    assert "<title>three lines · gridmodel report</title>" in page

    def no_space(run: object) -> str:
        raise OSError(28, "No space left on device")

    # a report that cannot be written: no folder at all, one line naming --out
    monkeypatch.setattr("gridmodel.report.render.report_html", no_space)
    other = tmp_path / "other"
    failed = runner.invoke(app, [*args[:-1], str(other)])
    assert failed.exit_code == 2, failed.output
    assert str(other) in failed.stderr and len(failed.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp", "scenario.toml"]
