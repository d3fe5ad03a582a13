"""A run's impact is taken at the demand of the strike's hour; the peak figure stays next to it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.network.metadata import CUSTOMERS_PER_MW

runner = CliRunner()

# case9: loads of 90, 100 and 125 MW at buses 4, 6 and 8. Demand factor 0.6 at
# 07:00 and 1 elsewhere; the wave at 07:00 takes substation bus8 (125 MW) out.
FACTORS = [1.0] * 24
FACTORS[7] = 0.6
SCENARIO = f"""
title = "bus 8 at seven"
network = "case9"
seed = 1
start = 2022-12-16T00:00:00+02:00
[[waves]]
time_h = 7.0
targets = ["substation:bus8"]
severity = 0.5
[demand]
profile = {FACTORS}
[repair]
strategy = "as_listed"
crews = 1
horizon_h = 24
partial_damage = false
[repair.durations.substation]
dist = "fixed"
median_h = 4.0
"""


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    base = tmp_path_factory.mktemp("strike_hour")
    scenario = base / "scenario.toml"
    scenario.write_text(SCENARIO)
    out = base / "out"
    done = runner.invoke(app, ["run", str(scenario), "--out", str(out)])
    assert done.exit_code == 0, done.output
    return json.loads((Path(out) / "summary.json").read_text()), done.stdout


def test_impact_is_at_the_strike_hours_demand(ran) -> None:
    summary, _ = ran
    impact, peak = summary["impact"], summary["impact_at_peak"]
    # by hand: 0.6 x (90 + 100 + 125) MW demand, 0.6 x 125 MW dark at 07:00
    assert impact["load_mw"] == pytest.approx(0.6 * 315.0, abs=1e-6)
    assert impact["unserved_mw"] == pytest.approx(0.6 * 125.0, abs=1e-6)
    assert impact["time_h"] == 7.0
    assert impact["time"] == "2022-12-16T07:00:00+02:00"
    # the same damage at the network's peak demand
    assert peak["load_mw"] == pytest.approx(315.0, abs=1e-6)
    assert peak["unserved_mw"] == pytest.approx(125.0, abs=1e-6)
    # the whole of bus 8's customers are off either way
    assert impact["customers_off"] == peak["customers_off"] == round(125.0 * CUSTOMERS_PER_MW)


def test_the_strike_hour_matches_the_timelines_hour(ran) -> None:
    summary, _ = ran
    # the timeline's hours 08:00-10:00 (factor 1, bus 8 still out) have the peak figure
    assert summary["metrics"]["peak_deficit_mw"] == pytest.approx(125.0, abs=1e-6)


def test_cli_first_line_names_the_time_with_separators(ran) -> None:
    summary, stdout = ran
    first = stdout.splitlines()[0]
    customers = summary["impact"]["customers_off"]
    assert first == (
        f"bus 8 at seven: 75 MW of 189 MW unserved at the strike, 07:00, "
        f"{customers:,} customers off (125 MW of 315 MW at peak demand)"
    )
    assert customers >= 1000 and f"{customers:,}" in first  # a thousands separator
