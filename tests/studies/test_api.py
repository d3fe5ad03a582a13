"""The public Python API (``import gridmodel``) gives what the command line writes.

Every command of the command line is a thin wrapper over the API, so the API's
results must equal the command's output for the same input: the impact JSON,
the run folder's files, the one-line error messages. Expected values are the
command line's output (a separate entry and a separate file round trip) and,
where stated, hand values from the MATPOWER case files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import gridmodel
from gridmodel.cli import app

ROOT = Path(__file__).resolve().parents[2]
CASE118 = ROOT / "scenarios" / "case118-salvo.toml"
#: Files every run folder holds (DESIGN.md output contract).
RUN_FILES = (
    "summary.json",
    "run.json",
    "timeline.parquet",
    "timeline.csv",
    "tasks.csv",
    "schedule.csv",
    "schedule.json",
    "schedule.ics",
    "dtek/index.json",
    "groups.csv",
    "network_state.json",
    "report.html",
)
#: MATPOWER case30: total load 189.2 MW (sum of the Pd column of case30.m).
CASE30_LOAD_MW = 189.2
#: MATPOWER case30 bus 26 (pandapower bus 25) hangs on one line and carries Pd = 3.5 MW.
CASE30_BUS26_MW = 3.5
runner = CliRunner()


@pytest.fixture(scope="module")
def case30() -> gridmodel.Grid:
    return gridmodel.load_network("case30")


@pytest.fixture(scope="module")
def scenario() -> gridmodel.Scenario:
    return gridmodel.load_scenario(CASE118)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory: the API must leave it empty unless asked to write."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


# --- impact ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strikes", "options"),
    [
        ([], {}),
        (["substation:bus25"], {}),
        # a cascade: six branches trip after bus 5 and line 3 are lost
        (["substation:bus5", "line:3"], {"overload": "trip"}),
        (["substation:bus5", "line:3"], {"overload": "shed", "ratings": "margin:0.2"}),
        # the default (operator): sheds where the trip cascade takes five lines out
        (["substation:bus1", "line:1"], {}),
    ],
    ids=["intact", "radial-bus", "cascade", "shed", "operator-default"],
)
def test_impact_to_dict_is_the_cli_json(
    case30: gridmodel.Grid, strikes: list[str], options: dict[str, str], workdir: Path
) -> None:
    hit = gridmodel.impact(case30, strikes, **options)
    args = ["impact", "case30", "--json"]
    for strike in strikes:
        args += ["--strike", strike]
    for name, value in options.items():
        args += [f"--{name}", value]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    # exactly the printed object: same keys in the same order, same values
    printed = json.loads(result.stdout)
    assert printed == hit.to_dict()
    assert list(printed) == list(hit.to_dict())
    assert list(workdir.iterdir()) == []


def test_the_operator_is_the_default_overload_handling(case30: gridmodel.Grid) -> None:
    # bus 1 and line 1 lost: lines 28 and 29 go to ~119 % (below the 120 %
    # emergency rating), so the operator sheds (29.5 MW) and nothing trips;
    # the plain cascade (the stress mode) trips them and three more, 91 MW off
    strikes = ["substation:bus1", "line:1"]
    default = gridmodel.impact(case30, strikes).to_dict()
    assert default == gridmodel.impact(case30, strikes, overload="operator").to_dict()
    assert default["tripped_branches"] == []
    assert default["unserved_mw"] == pytest.approx(29.48, abs=0.01)
    stress = gridmodel.impact(case30, strikes, overload="trip").to_dict()
    assert len(stress["tripped_branches"]) == 5
    assert stress["unserved_mw"] == pytest.approx(91.0, abs=0.01)


def test_impact_by_region_adds_up_to_the_totals(case30: gridmodel.Grid) -> None:
    hit = gridmodel.impact(case30, ["substation:bus5", "line:3"], overload="trip")
    totals = hit.to_dict()
    frame = hit.by_region
    assert isinstance(frame, pd.DataFrame)
    assert totals["unserved_mw"] > 0 and totals["tripped_branches"]  # not a trivial case
    assert frame["unserved_mw"].sum() == pytest.approx(totals["unserved_mw"], abs=1e-6)
    # the whole case file's load, and dark + shed make up the unserved load (1e-6 MW)
    assert frame["load_mw"].sum() == pytest.approx(CASE30_LOAD_MW, abs=1e-6)
    np.testing.assert_allclose(
        frame["dark_mw"] + frame["shed_mw"], frame["unserved_mw"], rtol=0, atol=1e-6
    )
    by_region = {r["region"]: r["unserved_mw"] for r in totals["by_region"]}
    assert list(frame.index.astype(str)) == list(by_region)
    np.testing.assert_allclose(frame["unserved_mw"], list(by_region.values()), rtol=0, atol=1e-6)


def test_impact_of_a_radial_bus_is_its_load(case30: gridmodel.Grid) -> None:
    # hand value from case30.m: losing bus 26 cuts exactly its 3.5 MW, nothing else
    totals = gridmodel.impact(case30, ["substation:bus25"]).to_dict()
    assert totals["unserved_mw"] == pytest.approx(CASE30_BUS26_MW, abs=1e-6)
    assert totals["load_mw"] == pytest.approx(CASE30_LOAD_MW, abs=1e-6)
    assert totals["tripped_branches"] == [] and totals["deenergized_buses"] == [25]


# --- run --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "run"
    result = runner.invoke(app, ["run", str(CASE118), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def api_run(scenario: gridmodel.Scenario) -> gridmodel.Run:
    return gridmodel.run(scenario)


def test_run_summary_is_the_cli_summary_json(api_run: gridmodel.Run, cli_run: Path) -> None:
    written = json.loads((cli_run / "summary.json").read_text(encoding="utf-8"))
    assert api_run.summary == written
    # the contract's version comes first
    assert next(iter(written)) == "schema_version" and written["schema_version"] == 2
    # the impact object of the contract, with the time it was taken at
    impact = api_run.summary["impact"]
    assert impact == {
        **api_run.impact.to_dict(),
        "time_h": impact["time_h"],
        "time": impact["time"],
    }


def test_run_tables_are_the_cli_files(api_run: gridmodel.Run, cli_run: Path) -> None:
    assert isinstance(api_run.timeline, pd.DataFrame)
    pd.testing.assert_frame_equal(api_run.timeline, pd.read_parquet(cli_run / "timeline.parquet"))
    # tasks.csv: empty text cells stay empty text; an empty start or end is a missing number
    text = ("element", "kind", "part", "region", "after", "origin", "pool")
    numbers = ("assigned_h", "wait_h", "travel_h", "work_h", "start_h", "end_h")
    tasks = pd.read_csv(
        cli_run / "tasks.csv",
        dtype=dict.fromkeys(text, str),
        keep_default_na=False,
        na_values={name: [""] for name in numbers},
    )
    pd.testing.assert_frame_equal(api_run.tasks, tasks, check_exact=False, rtol=1e-12)
    schedule = pd.read_csv(cli_run / "schedule.csv", dtype=str)
    for column in ("start", "end"):
        schedule[column] = pd.to_datetime(schedule[column], utc=True).dt.tz_convert(
            api_run.scenario.timezone
        )
    pd.testing.assert_frame_equal(api_run.schedule, schedule)


def test_run_write_gives_the_cli_run_folder(
    api_run: gridmodel.Run, cli_run: Path, tmp_path: Path
) -> None:
    out = api_run.write(tmp_path / "api")
    assert out == tmp_path / "api"
    for name in RUN_FILES:
        assert (out / name).is_file(), name
    # the reproducible files are byte-identical to the command's
    for name in ("summary.json", "tasks.csv", "timeline.csv", "schedule.csv", "schedule.json"):
        assert (out / name).read_bytes() == (cli_run / name).read_bytes(), name
    # a second write into the folder it wrote replaces it; a foreign folder is refused
    api_run.write(out)
    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter.tex").write_text("precious")
    with pytest.raises(gridmodel.OutputError):
        api_run.write(foreign)
    assert [p.name for p in foreign.iterdir()] == ["chapter.tex"]


def test_run_writes_nothing_by_itself(scenario: gridmodel.Scenario, workdir: Path) -> None:
    result = gridmodel.run(scenario, sample=1)
    assert result.sample == 1 and result.summary["sample"] == 1
    assert list(workdir.iterdir()) == []


# --- compare, montecarlo, criticality ------------------------------------------


def test_compare_returns_tables_and_writes_only_when_asked(
    scenario: gridmodel.Scenario, workdir: Path, tmp_path: Path
) -> None:
    strategies = ["as_listed", "critical_first"]
    result = gridmodel.compare(scenario, strategies=strategies, samples=2)
    assert isinstance(result, gridmodel.Comparison)
    for frame in (result.table, result.samples, result.ranking):
        assert isinstance(frame, pd.DataFrame)
    assert list(workdir.iterdir()) == []
    # independent path: gridmodel.run of the same sample and strategy (same random draws)
    for strategy in strategies:
        for sample in (0, 1):
            expected = gridmodel.run(scenario, strategy=strategy, sample=sample)
            row = result.samples[
                (result.samples["strategy"] == strategy) & (result.samples["sample"] == sample)
            ]
            assert row["ens_mwh"].item() == pytest.approx(
                expected.summary["metrics"]["ens_mwh"], abs=1e-6
            )
    assert result.ranking["ens_mwh"].is_monotonic_increasing
    out = result.write(tmp_path / "cmp")
    for name in ("comparison.csv", "samples.csv", "comparison_timeline.parquet", "report.html"):
        assert (out / name).is_file(), name
    pd.testing.assert_frame_equal(
        pd.read_csv(out / "comparison.csv"), result.table, check_exact=False, rtol=1e-12
    )
    assert list(workdir.iterdir()) == []


def test_montecarlo_returns_the_rows_and_writes_only_with_out(
    scenario: gridmodel.Scenario, workdir: Path, tmp_path: Path
) -> None:
    samples = gridmodel.montecarlo(scenario, 4, timeline=False)
    assert isinstance(samples, pd.DataFrame)
    assert samples["sample"].tolist() == [0, 1, 2, 3]
    assert list(workdir.iterdir()) == []
    # independent path: gridmodel.run of each sample, its impact JSON
    for sample in (0, 3):
        impact = gridmodel.run(scenario, sample=sample).impact.to_dict()
        row = samples.iloc[sample]
        for key in ("load_mw", "unserved_mw", "dark_mw", "shed_mw"):
            assert row[key] == pytest.approx(impact[key], abs=1e-6), key
        assert row["customers_off"] == impact["customers_off"]
        assert row["islands"] == impact["islands"]
    out = tmp_path / "mc"
    stored = gridmodel.montecarlo(scenario, 4, timeline=False, chunk_size=3, out=out)
    pd.testing.assert_frame_equal(stored, samples)
    on_disk = pd.read_parquet(out / "samples").sort_values("sample").reset_index(drop=True)
    pd.testing.assert_frame_equal(on_disk, samples)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert next(iter(summary)) == "schema_version" and summary["schema_version"] == 2
    assert summary["samples"] == 4 and summary["seed"] == scenario.seed
    assert list(workdir.iterdir()) == []


def test_criticality_returns_the_ranking_and_writes_only_with_out(
    workdir: Path, tmp_path: Path
) -> None:
    grid = gridmodel.load_network("case9")
    table = gridmodel.criticality(grid, k=1)
    assert isinstance(table, pd.DataFrame)
    assert table.attrs == {"outages_total": 9, "outages_evaluated": 9, "sampled": False}
    assert list(workdir.iterdir()) == []
    # independent path: gridmodel.impact of each substation on its own
    assert sorted(table["substations"]) == sorted(str(s) for s in grid.substations.index)
    for row in table.itertuples():
        alone = gridmodel.impact(grid, [f"substation:{row.substations}"]).to_dict()
        assert row.unserved_mw == pytest.approx(alone["unserved_mw"], abs=1e-6)
        assert row.customers_off == alone["customers_off"]
    assert table["unserved_mw"].is_monotonic_decreasing
    out = tmp_path / "crit"
    again = gridmodel.criticality(grid, k=1, out=out)
    pd.testing.assert_frame_equal(again, table)
    for name in ("criticality.csv", "summary.json", "run.json"):
        assert (out / name).is_file(), name
    text = dict.fromkeys(("substations", "names", "regions"), str)
    written = pd.read_csv(out / "criticality.csv", dtype=text)
    pd.testing.assert_frame_equal(written, table, check_exact=False, rtol=1e-12)
    assert list(workdir.iterdir()) == []


# --- errors -----------------------------------------------------------------------

BAD_SCENARIO = """\
title = "bad"
network = "case9"
seed = "one"
"""
UNKNOWN_SUBSTATION = """\
title = "nowhere"
network = "case9"
seed = 1
[[waves]]
targets = ["substation:nowhere"]
"""


def _cases(
    tmp: Path,
) -> list[tuple[str, type[gridmodel.GridModelError], Callable[[], Any], list[str]]]:
    """(id, error class, API call, command-line arguments) for the same bad input."""
    bad = tmp / "bad.toml"
    bad.write_text(BAD_SCENARIO, encoding="utf-8")
    nowhere = tmp / "nowhere.toml"
    nowhere.write_text(UNKNOWN_SUBSTATION, encoding="utf-8")
    out = str(tmp / "out")
    case118 = str(CASE118)

    def scenario() -> gridmodel.Scenario:
        return gridmodel.load_scenario(case118)

    def case9() -> gridmodel.Grid:
        return gridmodel.load_network("case9")

    return [
        ("unknown-network", gridmodel.NetworkError,
         lambda: gridmodel.load_network("case9999"), ["impact", "case9999"]),
        ("unknown-element", gridmodel.NetworkError,
         lambda: gridmodel.impact(case9(), ["line:99"]), ["impact", "case9", "-s", "line:99"]),
        ("strike-kind", gridmodel.OptionError,
         lambda: gridmodel.impact(case9(), ["pipe:1"]), ["impact", "case9", "-s", "pipe:1"]),
        ("mode", gridmodel.OptionError,
         lambda: gridmodel.impact(case9(), mode="xx"), ["impact", "case9", "--mode", "xx"]),
        ("limit", gridmodel.OptionError,
         lambda: gridmodel.impact(case9(), limit=-5.0), ["impact", "case9", "--limit", "-5"]),
        ("scenario-type", gridmodel.ScenarioError,
         lambda: gridmodel.load_scenario(str(bad)), ["run", str(bad), "--out", out]),
        ("scenario-reference", gridmodel.ScenarioError,
         lambda: gridmodel.run(gridmodel.load_scenario(str(nowhere))),
         ["run", str(nowhere), "--out", out]),
        ("run-strategy", gridmodel.OptionError,
         lambda: gridmodel.run(scenario(), strategy="best"),
         ["run", case118, "--strategy", "best", "--out", out]),
        ("compare-samples", gridmodel.OptionError,
         lambda: gridmodel.compare(scenario(), samples=0),
         ["compare", case118, "--samples", "0", "--out", out]),
        ("compare-strategy", gridmodel.OptionError,
         lambda: gridmodel.compare(scenario(), strategies=["fastest"], samples=1),
         ["compare", case118, "--strategies", "fastest", "--out", out]),
        ("mc-samples", gridmodel.OptionError,
         lambda: gridmodel.montecarlo(scenario(), 0),
         ["montecarlo", case118, "-n", "0", "--out", out]),
        ("mc-workers", gridmodel.OptionError,
         lambda: gridmodel.montecarlo(scenario(), 5, workers=0),
         ["montecarlo", case118, "-n", "5", "--workers", "0", "--out", out]),
        ("mc-seed", gridmodel.OptionError,
         lambda: gridmodel.montecarlo(scenario(), 5, seed=-1),
         ["montecarlo", case118, "-n", "5", "--seed", "-1", "--out", out]),
        ("mc-chunk-size", gridmodel.OptionError,
         lambda: gridmodel.montecarlo(scenario(), 5, chunk_size=0),
         ["montecarlo", case118, "-n", "5", "--chunk-size", "0", "--out", out]),
        ("crit-k", gridmodel.OptionError,
         lambda: gridmodel.criticality(case9(), k=3),
         ["criticality", "case9", "--k", "3", "--out", out]),
        ("crit-top", gridmodel.OptionError,
         lambda: gridmodel.criticality(case9(), top=0),
         ["criticality", "case9", "--top", "0", "--out", out]),
        ("crit-max-pairs", gridmodel.OptionError,
         lambda: gridmodel.criticality(case9(), k=2, max_pairs=0),
         ["criticality", "case9", "--k", "2", "--max-pairs", "0", "--out", out]),
    ]  # fmt: skip


#: The cases of :func:`_cases`, by id.
ERROR_CASES = (
    "unknown-network",
    "unknown-element",
    "strike-kind",
    "mode",
    "limit",
    "scenario-type",
    "scenario-reference",
    "run-strategy",
    "compare-samples",
    "compare-strategy",
    "mc-samples",
    "mc-workers",
    "mc-seed",
    "mc-chunk-size",
    "crit-k",
    "crit-top",
    "crit-max-pairs",
)


@pytest.mark.parametrize("case", ERROR_CASES)
def test_api_error_line_is_what_the_cli_prints(case: str, tmp_path: Path, workdir: Path) -> None:
    cases = {c[0]: c[1:] for c in _cases(tmp_path)}
    assert tuple(cases) == ERROR_CASES
    error, call, args = cases[case]
    with pytest.raises(error) as raised:
        call()
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.stderr == f"gridmodel: error: {raised.value.line()}\n"
    assert "Traceback" not in result.output
    # neither wrote anything
    assert list(workdir.iterdir()) == []
    assert not (tmp_path / "out").exists()
