"""Compare and Monte Carlo pages say where sample 0 (the run page's draw) sits
among the samples; Monte Carlo rows carry the impact at the strike's hour and
at peak demand.

Expected ranks and percentiles are counted by hand from the hand-made tables
of ``report_run.py``.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd
import pytest
from report_run import (
    SCENARIO,
    SHIFTS,
    STRATEGIES,
    comparison,
    comparison_samples,
    samples,
)

from gridmodel.report import render_report
from gridmodel.report.sample_rank import ordinal, standing

AT_OR_BELOW = "% of the samples are at or below it"


def page_text(folder: Path) -> str:
    text = render_report(folder).read_text(encoding="utf-8")
    return html.unescape(text.split("<main>", 1)[1].split("<footer>", 1)[0])


def test_ordinals() -> None:
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 102, 111)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "102nd", "111th",
    ]  # fmt: skip


def test_standing_by_hand() -> None:
    # sample 0 has 7.0; below it 1.0 and 5.0, and sample 3 has 7.0 too
    table = pd.DataFrame({"sample": [4, 0, 1, 2, 3], "x": [1.0, 7.0, 5.0, 9.0, 7.0]})
    place = standing(table["sample"], table["x"])
    assert place is not None
    assert (place.rank, place.n, place.ties) == (3, 5, 1)
    assert place.percentile == pytest.approx(80.0)  # 4 of 5 at or below 7.0
    assert standing(table["sample"].replace(0, 9), table["x"]) is None  # no sample 0


def test_compare_page_places_sample_0_per_strategy(tmp_path: Path) -> None:
    folder = tmp_path / "compare"
    folder.mkdir()
    comparison().to_csv(folder / "comparison.csv", index=False)
    comparison_samples().to_csv(folder / "samples.csv", index=False)
    text = page_text(folder)
    # hand: sample 0 has SHIFTS[name] of the 20 samples below it, no ties:
    # rank 1 and percentile 5 (1 of 20), or rank 3 and percentile 15 (3 of 20)
    assert SHIFTS == {"critical_first": 0, "largest_load_first": 0, "nearest_first": 2}
    expected = (
        "Sample 0, the draw gridmodel run shows on its page, by energy not served: "
        f"under {STRATEGIES[0]} 1st lowest of 20 (percentile 5: 5 {AT_OR_BELOW}); "
        f"under {STRATEGIES[1]} 1st lowest of 20 (percentile 5: 5 {AT_OR_BELOW}); "
        f"under {STRATEGIES[2]} 3rd lowest of 20 (percentile 15: 15 {AT_OR_BELOW})."
    )
    assert expected in text


def test_monte_carlo_page_places_sample_0(tmp_path: Path) -> None:
    folder = tmp_path / "mc"
    (folder / "samples").mkdir(parents=True)
    samples().to_parquet(folder / "samples" / "chunk-00000.parquet")
    text = page_text(folder)
    # hand: the first 50 of the 200 samples (sample 0 among them) have no
    # unserved load and no ENS: rank 1, tied with 49 others, 50 of 200 = 25 %
    place = f"1st lowest of 200, tied with 49 others (percentile 25: 25 {AT_OR_BELOW})"
    assert (
        f"Sample 0, the draw gridmodel run shows on its page: by energy not served it ranks "
        f"{place}; by MW off at the strike it ranks {place}."
    ) in text


@pytest.mark.slow  # a whole run and a few Monte Carlo samples of the 16 Dec replay
def test_monte_carlo_rows_are_at_the_strike_with_the_peak_beside(tmp_path: Path) -> None:
    from gridmodel.scenario import load_scenario
    from gridmodel.studies.montecarlo.sampling import cached_context, sample_row
    from gridmodel.studies.run import run

    scenario = load_scenario(SCENARIO)  # the strike at 07:00, the peak at 17:00
    context = cached_context(scenario)
    row = sample_row(context, 0, seed=scenario.seed, timeline=False)
    # independent path: gridmodel run of the same sample, its summary's two impacts
    summary = run(scenario, sample=0).summary
    impact, peak = summary["impact"], summary["impact_at_peak"]
    assert impact["load_mw"] < peak["load_mw"]  # 07:00 demand is below the peak's
    for key in ("load_mw", "unserved_mw", "dark_mw", "shed_mw"):
        assert row[key] == pytest.approx(impact[key], abs=1e-6), key
    assert row["customers_off"] == impact["customers_off"]
    assert row["peak_load_mw"] == pytest.approx(peak["load_mw"], abs=1e-6)
    assert row["peak_unserved_mw"] == pytest.approx(peak["unserved_mw"], abs=1e-6)
    assert row["peak_customers_off"] == peak["customers_off"]


def test_a_strike_at_the_peak_has_the_same_figures_at_peak() -> None:
    from gridmodel.scenario import load_scenario
    from gridmodel.studies.montecarlo.sampling import cached_context, sample_row

    # case118-salvo strikes at 18:00 on a winter weekday: factor 1.00, the peak itself
    scenario = load_scenario(SCENARIO.parents[2] / "scenarios" / "case118-salvo.toml")
    row = sample_row(cached_context(scenario), 3, seed=scenario.seed, timeline=False)
    assert row["peak_load_mw"] == row["load_mw"]
    assert row["peak_unserved_mw"] == row["unserved_mw"] > 0
    assert row["peak_customers_off"] == row["customers_off"]
