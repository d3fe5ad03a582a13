"""No file or page a real run writes shows nan, inf or a negative count (issue 18, item 5).

Hypothesis draws small scenarios on pandapower's case9 (which substations are
struck, how many crews, how long the horizon, whether a second wave comes)
and runs them through ``gridmodel run``; a criticality and a Monte Carlo
folder are written once. Every text file and the report page (without the
embedded plotly.js) must be free of ``nan``, ``inf``, ``Infinity`` and an
overflowed count (``-922337...``), and the count columns of the tables are
whole numbers >= 0.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plotly.offline import get_plotlyjs
from typer.testing import CliRunner

from gridmodel.cli import app

runner = CliRunner()
#: Words that must never appear in an output file or page.
NOT_FINITE = re.compile(r"\b(nan|NaN|NAN|inf|Inf|Infinity)\b|-922337")
#: Columns that count whole things, in any table.
COUNTS = ("customers", "customers_off", "tripped", "islands", "hits", "rank", "outages")


def _scan(folder: Path) -> None:
    """Assert no file of ``folder`` shows a non-finite number or an overflowed count."""
    plotly = get_plotlyjs()
    for file in sorted(folder.rglob("*")):
        if file.suffix not in (".json", ".csv", ".html", ".ics"):
            continue
        text = file.read_text(encoding="utf-8").replace(plotly, "")
        found = NOT_FINITE.search(text)
        assert found is None, (file.name, text[max(found.start() - 80, 0) : found.end() + 40])
        if file.suffix == ".csv":
            table = pd.read_csv(file)
            for column in COUNTS:
                if column in table.columns:
                    values = pd.to_numeric(table[column], errors="coerce").dropna()
                    assert (values >= 0).all(), (file.name, column)


SCENARIO = """\
title = "case9 finite outputs"
network = "case9"
seed = {seed}
start = 2023-01-16T18:00:00+02:00

[[waves]]
targets = [{targets}]
{second}
[repair]
crews = {crews}
horizon_h = {horizon}

[schedule]
groups = 2
days = 1
"""


@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    struck=st.lists(
        st.sampled_from([f"substation:bus{i}" for i in range(9)]),
        min_size=1,
        max_size=4,
        unique=True,
    ),
    crews=st.integers(1, 3),
    horizon=st.sampled_from([6, 24, 72]),
    second=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_a_runs_files_and_page_are_finite(
    tmp_path: Path, struck: list[str], crews: int, horizon: int, second: bool, seed: int
) -> None:
    wave = '\n[[waves]]\ntime_h = 3\ntargets = ["line:0"]\n' if second else ""
    text = SCENARIO.format(
        seed=seed,
        targets=", ".join(f'"{s}"' for s in struck),
        second=wave,
        crews=crews,
        horizon=horizon,
    )
    scenario = tmp_path / f"s{seed}.toml"
    scenario.write_text(text, encoding="utf-8")
    out = tmp_path / f"run{seed}-{len(struck)}-{crews}-{horizon}"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--overwrite"])
    assert result.exit_code == 0, result.output
    assert NOT_FINITE.search(result.output) is None, result.output
    _scan(out)


@pytest.mark.parametrize("kind", ["criticality", "montecarlo"])
def test_study_folders_and_pages_are_finite(tmp_path: Path, kind: str) -> None:
    scenario = tmp_path / "s.toml"
    text = SCENARIO.format(seed=1, targets='"substation:bus4"', second="", crews=1, horizon=24)
    scenario.write_text(text, encoding="utf-8")
    out = tmp_path / kind
    if kind == "criticality":
        args = ["criticality", "case9", "--k", "2", "--out", str(out)]
    else:
        args = ["montecarlo", str(scenario), "--samples", "3", "--workers", "1", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = runner.invoke(app, ["report", str(out)])
    assert report.exit_code == 0, report.output
    _scan(out)
