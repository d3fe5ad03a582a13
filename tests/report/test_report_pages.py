"""The compare, Monte Carlo and run pages: what a reader sees without the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from gridmodel.report import figures
from gridmodel.report.page import assumptions_html, cards_html


def test_ranking_table_shows_means_intervals_and_ties() -> None:
    from gridmodel.report.study_sections import ranking_table

    comparison = pd.DataFrame(
        {
            "strategy": ["a", "b", "c", "a", "b", "c"],
            "metric": ["ens_mwh"] * 3 + ["customer_hours"] * 3,
            "mean": [1000.0, 1010.0, 2000.0, 1.0, 2.0, 3.0],
            "ci_low": [900.0, 950.0, 1900.0, 1.0, 2.0, 3.0],
            "ci_high": [1100.0, 1070.0, 2100.0, 1.0, 2.0, 3.0],
            "rank": [1, 1, 3, 1, 1, 3],
        }
    )
    table = ranking_table(comparison)
    assert list(table["strategy"]) == ["a", "b", "c"]
    assert list(table["rank"]) == [1, 1, 3]
    assert list(table["95 % interval (MWh)"]) == ["900 to 1,100", "950 to 1,070", "1,900 to 2,100"]
    assert list(table["tied with"]) == ["b", "a", "—"]


def test_spread_in_words_names_median_and_95th_percentile() -> None:
    from gridmodel.report.study_sections import distributions, distributions_html

    samples = pd.DataFrame(
        {"unserved_mw": [0.0, 0.0, 10.0, 20.0, 20.0, 40.0], "ens_mwh": [0.0] * 5 + [100.0]}
    )
    html = distributions_html(samples)
    # hand: median 15, 95th percentile 35 (see the Monte Carlo cards test)
    assert "at or below 15 MW" in html and "reaches 35 MW or more" in html
    assert "energy not served" in html and "customers" not in html
    assert len(distributions(samples).data) == 2


def test_dc_run_does_not_show_the_ac_solver() -> None:
    summary = {"options": {"mode": "dc", "ac_backend": "pandapower"}, "impact": {"load_mw": 1}}
    html = assumptions_html(summary)
    assert "ac_backend" not in html and "pandapower" not in html
    ac = assumptions_html({"options": {"mode": "ac", "ac_backend": "pandapower"}})
    assert "AC power flow solver" in ac and "pandapower" in ac


def test_assumptions_mention_a_map_only_on_a_page_with_one() -> None:
    summary = {"impact": {"load_mw": 1}}
    assert "map" not in assumptions_html(summary, has_map=False)
    assert "The map and the impact" in assumptions_html(summary, has_map=True)


def test_strategy_card_breaks_at_underscores_not_mid_word() -> None:
    html = cards_html([("repair strategy", "greedy_marginal", "order")])
    assert "greedy_<wbr>marginal" in html and 'class="value long"' in html


def test_single_trip_cascade_has_whole_ticks() -> None:
    fig = figures.cascade_steps(
        [{"element": "line", "index": 3, "step": 1, "loading_percent": 120}]
    )
    assert fig.layout.yaxis.tickformat == ",d" and fig.layout.yaxis.dtick == 1


def test_twelve_groups_get_twelve_colours() -> None:
    rows = [
        {
            "region": "r",
            "group": str(g),
            "start": f"2022-12-16T{h:02d}:00:00+02:00",
            "end": f"2022-12-16T{h + 1:02d}:00:00+02:00",
            "state": "off" if (g + h) % 3 == 0 else "on",
        }
        for g in range(1, 13)
        for h in range(0, 23)
    ]
    fig = figures.schedule_chart(pd.DataFrame(rows))
    colours = [t.marker.color for t in fig.data if t.type == "bar"]
    assert len(colours) == 12 and len(set(colours)) == 12


def test_criticality_names_stay_names_and_no_seed_none(tmp_path: Path) -> None:
    from gridmodel.report import render_report

    folder = tmp_path / "crit"
    folder.mkdir()
    pd.DataFrame({"rank": [1], "names": ["2763"], "unserved_mw": [10.0]}).to_csv(
        folder / "criticality.csv", index=False
    )
    (folder / "summary.json").write_text(
        json.dumps({"schema_version": 2, "network": "case118", "seed": None})
    )
    text = render_report(folder).read_text(encoding="utf-8")
    assert "<td>2763</td>" in text and "2,763" not in text
    assert "None" not in text.split("<body>", 1)[1].split("<script", 1)[0]


def test_compare_page_is_titled_with_the_scenario(tmp_path: Path) -> None:
    from report_run import comparison

    from gridmodel.contract import SCHEMA_VERSION
    from gridmodel.report import render_report

    folder = tmp_path / "compare"
    folder.mkdir()
    comparison().to_csv(folder / "comparison.csv", index=False)
    summary = {"schema_version": SCHEMA_VERSION, "kind": "compare", "network": "case9"}
    summary |= {"scenario": "Repairs after the 16 Dec strike", "seed": 7, "samples": 20}
    (folder / "summary.json").write_text(json.dumps(summary))
    text = render_report(folder).read_text(encoding="utf-8")
    assert "<h1>Repairs after the 16 Dec strike</h1>" in text
    assert "<title>Repairs after the 16 Dec strike · gridmodel report</title>" in text
    assert "network case9 · seed 7 · samples 20" in text
    assert "older gridmodel" not in text


def test_older_compare_folder_is_titled_with_its_name_and_says_why(tmp_path: Path) -> None:
    from report_run import comparison

    from gridmodel.report import render_report

    folder = tmp_path / "strategies-dec16"
    folder.mkdir()
    comparison().to_csv(folder / "comparison.csv", index=False)  # no summary.json: older
    text = render_report(folder).read_text(encoding="utf-8")
    assert "<h1>strategies-dec16</h1>" in text
    assert "summary.json: missing (written by an older gridmodel)" in text
    assert 'id="comparison"' in text  # the comparison is still shown
