"""Report charts as plotly figures, and the page built from them.

The run folder (tests/report/report_run.py) has a real ``summary.json`` and
``network_state.json`` from the pipeline on ``ua-oblasts`` and hand-made
tables for the later stages; expected numbers are worked out by hand from
those tables (stated in comments) or taken from the pipeline's own JSON, never
from the figure code.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs
from report_run import (
    HOSTILE_GROUP,
    HOSTILE_REGION,
    HOSTILE_TITLE,
    HOURS,
    METRICS,
    STRATEGIES,
    comparison,
    comparison_timeline,
    schedule,
    timeline,
    write_run_folder,
)
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.errors import OptionError
from gridmodel.network.catalog import load_network
from gridmodel.report import figures, read_run_folder, render_report
from gridmodel.report.network_map import label_positions
from gridmodel.report.render import headline_cards, sections
from gridmodel.report.schedule_chart import STATE_CODES, STATE_COLOURS

REGIONS = ["north", "south", "east"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report") / "run"
    write_run_folder(folder)
    return folder


@pytest.fixture(scope="module")
def summary(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def state(run_dir: Path) -> dict[str, Any]:
    return json.loads((run_dir / "network_state.json").read_text(encoding="utf-8"))


def by_name(fig: go.Figure, name: str) -> list[Any]:
    return [t for t in fig.data if t.name == name]


# --- network map --------------------------------------------------------------


def test_map_colours_substations_struck_dark_energised(summary: dict, state: dict) -> None:
    fig = figures.network_map(state)
    grid = load_network(summary["network"])
    # independent: struck = substations named by a substation or bus hit (a hit
    # on a generator or line does not strike the substation); dark = all buses
    # de-energised
    hits = [h["element"].split(":", 1) for h in summary["strikes"]["hits"]]
    struck = {ident for kind, ident in hits if kind == "substation"} | {
        str(grid.bus_substation[int(ident)]) for kind, ident in hits if kind == "bus"
    }
    dark_buses = set(summary["impact"]["deenergized_buses"])
    dark = {
        str(s)
        for s in grid.substations.index
        if s not in struck and set(grid.buses_of(str(s))) <= dark_buses
    }
    energised = set(map(str, grid.substations.index)) - struck - dark
    expected = {"struck": struck, "dark (no power)": dark, "energised": energised}
    for label, subs in expected.items():
        traces = by_name(fig, f"substations: {label}")
        names = set(grid.substations.loc[sorted(subs), "name"])
        assert len(traces) == (1 if subs else 0)
        if subs:
            assert traces[0].type == "scatter"
            assert len(traces[0].x) == len(subs)
            shown = {html.unescape(re.search(r"<b>(.*?)</b>", t).group(1)) for t in traces[0].text}
            assert shown == names
    # hover carries numbers: Kyiv was struck and lost all its load (pipeline JSON)
    kyiv = next(s for s in state["substations"] if s["substation"] == "KYIV")
    hover = next(t for t in by_name(fig, "substations: struck")[0].text if "Kyiv<" in t)
    assert f"{kyiv['unserved_mw']:,.0f} MW" in hover
    assert f"{kyiv['customers_off']:,} customers" in hover


def test_map_marks_every_tripped_line_between_substations(summary: dict, state: dict) -> None:
    fig = figures.network_map(state)
    grid = load_network(summary["network"])
    net = grid.net
    sub_of = grid.bus_substation
    tripped_lines = [
        t["index"]
        for t in summary["impact"]["tripped_branches"]
        if t["element"] == "line"
        and sub_of[net.line.at[t["index"], "from_bus"]] != sub_of[net.line.at[t["index"], "to_bus"]]
    ]
    assert tripped_lines, "the fixture scenario must have a cascade"
    line, marks = by_name(fig, "tripped (overload)")
    # one segment (from, to, gap) per tripped line, one hover mark per line
    assert len(line.x) == 3 * len(tripped_lines)
    assert line.line.dash == "dash"
    assert len(marks.x) == len(tripped_lines)
    assert all("tripped at cascade step" in text for text in marks.text)
    # map axes: longitude / latitude, latitude scaled by 1 / cos(mean latitude)
    assert fig.layout.yaxis.scaleanchor == "x"
    mean_lat = np.mean([s["lat"] for s in state["substations"]])
    assert fig.layout.yaxis.scaleratio == pytest.approx(1 / np.cos(np.radians(mean_lat)))
    labels = by_name(fig, "regions")[0]
    assert set(labels.text) == set(grid.substations["region"])


def test_map_labels_are_drawn_above_the_strike_crosses(state: dict) -> None:
    fig = figures.network_map(state)
    names = [t.name for t in fig.data]
    # the fixture run strikes Kyiv; the region labels come after (on top of) its cross
    assert names.index("regions") > names.index("substations: struck")
    labels = by_name(fig, "regions")[0]
    struck = by_name(fig, "substations: struck")[0]
    # text beside an invisible marker as large as the largest cross: plotly sets the
    # text off by the marker's radius, so no label sits on a cross's centre
    assert labels.mode == "markers+text" and labels.marker.opacity == 0
    assert labels.marker.size >= max(struck.marker.size)
    assert set(labels.textposition) <= {"top center", "bottom center"}
    assert labels.textfont.shadow == "auto"  # a halo in the background colour


def test_label_positions_put_a_crowded_label_below_its_point() -> None:
    # hand: a 10 x 5 map; the second label is 0.1 right of and 0.05 above the first
    # (within 6 % of the width, 3 % of the height), the third far away
    positions = label_positions([0.0, 0.1, 10.0], [0.0, 0.05, 5.0])
    assert positions == ["top center", "bottom center", "top center"]


def test_map_lines_in_service_are_classed_by_loading(state: dict) -> None:
    fig = figures.network_map(state)
    in_service = [
        b for b in state["branches"] if b["state"] == "in_service" and b["from"] != b["to"]
    ]
    drawn = 0
    for label in ("loading < 50 %", "loading 50-80 %", "loading 80-100 %", "loading ≥ 100 %"):
        traces = by_name(fig, label)
        if traces:
            drawn += len(traces[1].x)
    assert drawn == len(in_service)


# --- impact, cascade, metrics -----------------------------------------------


def test_impact_bars_equal_the_summary_by_region(summary: dict) -> None:
    by_region = summary["impact"]["by_region"]
    fig = figures.impact_by_region(by_region)
    lost = {r["region"]: r["unserved_mw"] for r in by_region if r["unserved_mw"] > 0}
    (bars,) = by_name(fig, "unserved MW")
    assert bars.type == "bar" and bars.orientation == "h"
    assert dict(zip(bars.y, bars.x, strict=True)) == pytest.approx(lost)
    (customers,) = by_name(fig, "customers off")
    expected = {r["region"]: r["customers_off"] for r in by_region if r["unserved_mw"] > 0}
    assert dict(zip(customers.y, customers.x, strict=True)) == expected
    (served,) = by_name(fig, "served MW")
    load = {r["region"]: r["load_mw"] for r in by_region}
    for region, a, b in zip(bars.y, bars.x, served.x, strict=True):
        assert a + b == pytest.approx(load[region], abs=1e-6)
    assert bars.y[-1] == max(lost, key=lost.get)  # largest loss on top


def test_cascade_counts_trips_per_step(summary: dict) -> None:
    tripped = summary["impact"]["tripped_branches"]
    fig = figures.cascade_steps(tripped)
    (bars,) = by_name(fig, "branches tripped")
    steps = sorted({t["step"] for t in tripped})
    assert list(bars.x) == steps
    assert list(bars.y) == [sum(t["step"] == s for t in tripped) for s in steps]
    (marks,) = by_name(fig, "loading when tripped")
    assert list(marks.y) == [t["loading_percent"] for t in tripped]
    assert all(y > 100 for y in marks.y)  # a branch trips above its limit


def test_metrics_table_shows_the_summary_numbers(summary: dict) -> None:
    fig = figures.metrics_table(summary)
    (table,) = fig.data
    assert table.type == "table"
    rows = dict(zip(table.cells.values[0], table.cells.values[1], strict=True))
    assert rows["energy not served (MWh)"] == "123,456"
    # every restoration time says what it counts, next to its figure
    assert rows["hours until 90 % of demand is served again and stays served"] == "31.0"
    assert rows["hours until 100 % of demand is served again and stays served"] == (
        "not within the horizon"
    )
    network = "hours until the last network outage ends (no dark or network-limited load)"
    supply = "hours until the supply shortage ends (no load shed for want of generation)"
    assert rows[network] == "26.0" and rows[supply] == "not within the horizon"
    # the impact figures name their time: the scenario's start is 07:00 and its
    # wave comes at time_h = 0; the winter-weekday profile peaks at 17:00
    customers = summary["impact"]["customers_off"]
    assert rows["customers without power at the strike, 07:00"] == f"{customers:,}"
    peak = summary["impact_at_peak"]
    assert rows["unserved at the 17:00 peak (MW)"] == f"{peak['unserved_mw']:,.0f}"
    assert rows["load at the strike, 07:00 (MW)"] == f"{summary['impact']['load_mw']:,.0f}"


# --- restoration ---------------------------------------------------------------


def test_restoration_curve_totals_and_region_selector() -> None:
    fig = figures.restoration_curve(timeline(REGIONS))
    # per choice: demand, served, deliverable; choices: all regions + 3 regions
    assert len(fig.data) == 4 * 3
    assert [t.visible for t in fig.data[:3]] == [True] * 3
    assert not any(t.visible for t in fig.data[3:])
    demand, served = fig.data[0], fig.data[1]
    # hand: demands 1000 + 2000 + 3000; half lost at hour 0; at hour 30 only
    # "east" (back at 36 h) still misses 1500 * (1 - 30/36) = 250 MW
    assert demand.y[0] == pytest.approx(6000)
    assert served.y[0] == pytest.approx(3000)
    assert served.y[30] == pytest.approx(5750)
    # "south" alone at hour 12: 2000 - 1000 * (1 - 12/30) = 1400 MW
    south_served = fig.data[2 * 3 + 1]
    assert south_served.y[12] == pytest.approx(1400)
    menu = fig.layout.updatemenus[0]
    assert [b.label for b in menu.buttons] == ["all regions", *REGIONS]
    assert menu.buttons[2].args[0]["visible"] == [k // 3 == 2 for k in range(12)]


def test_restoration_curve_stacks_why_load_is_unserved() -> None:
    # one region, two hours: 100 MW demand; hour 0: 40 served, 35 dark, 25
    # network-limited; hour 1: 80 served (10 of it re-fed), 20 network-limited
    table = pd.DataFrame(
        {
            "hour": [0, 1],
            "region": "north",
            "demand_mw": [100.0, 100.0],
            "served_mw": [40.0, 80.0],
            "dark_mw": [35.0, 0.0],
            "network_limited_mw": [25.0, 20.0],
            "supply_shortage_mw": [0.0, 0.0],
            "ufls_mw": [0.0, 0.0],
            "refed_mw": [0.0, 10.0],
        }
    )
    fig = figures.restoration_curve(table)
    names = [t.name for t in fig.data[: len(fig.data) // 2]]
    # no under-frequency shedding in the table: no trace for it
    assert names == [
        "demand",
        "served",
        "network-limited",
        "supply shortage",
        "dark",
        "re-fed through neighbours",
    ]
    stack = [t for t in fig.data[:6] if t.stackgroup == "demand"]
    assert [t.name for t in stack] == ["served", "network-limited", "supply shortage", "dark"]
    # the stack's top is the demand in every hour
    top = np.sum([np.asarray(t.y, dtype=float) for t in stack], axis=0)
    assert top.tolist() == pytest.approx([100.0, 100.0])
    assert list(fig.data[5].y) == pytest.approx([0.0, 10.0])


def test_restoration_curve_ignores_a_total_row() -> None:
    table = timeline(REGIONS)
    total = table.groupby("hour", as_index=False)[["demand_mw", "served_mw"]].sum()
    both = pd.concat([table, total.assign(region="total")], ignore_index=True)
    fig = figures.restoration_curve(both)
    assert fig.data[1].y[0] == pytest.approx(3000)  # not doubled
    assert len(fig.layout.updatemenus[0].buttons) == 4


def _plotted_x(trace: Any) -> np.ndarray:
    """The x of every point of a trace, whether given as values or as x0 + k dx."""
    if trace.x is not None:
        return np.asarray(trace.x, dtype=float)
    return trace.x0 + trace.dx * np.arange(len(trace.y))


@pytest.mark.parametrize("stored", ["parquet", "csv"])
def test_restoration_curve_follows_the_clock_across_daylight_saving(stored: str) -> None:
    # Kyiv moved its clocks from 03:00 EET to 04:00 EEST on 27 March 2022 (EU rule:
    # last Sunday of March, 01:00 UTC), so the hours after midnight that day read
    # 00:00, 01:00, 02:00, 04:00, 05:00 on the wall clock. Exact (whole ms).
    times = pd.date_range("2022-03-27 00:00", periods=5, freq="h", tz="Europe/Kyiv")
    table = pd.DataFrame(
        {
            "hour": range(5),
            "region": "north",
            "demand_mw": 100.0,
            "served_mw": 50.0,
            "time": times if stored == "parquet" else [t.isoformat() for t in times],
        }
    )
    fig = figures.restoration_curve(table)
    wall = ["00:00", "01:00", "02:00", "04:00", "05:00"]
    expected = [pd.Timestamp(f"2022-03-27T{w}", tz="UTC").value / 1e6 for w in wall]
    for trace in fig.data:  # all regions, then north
        assert list(_plotted_x(trace)) == expected, trace.name
    assert fig.layout.xaxis.type == "date"


# --- comparison ----------------------------------------------------------------


def test_strategy_comparison_bars_carry_means_and_intervals() -> None:
    fig = figures.strategy_comparison(comparison(), served=comparison_timeline())
    (ens,) = by_name(fig, "ens_mwh")
    assert list(ens.x) == list(STRATEGIES)
    # hand: mean 100000 + 10000 k, interval [-5000, +6000] around it
    assert list(ens.y) == [100000.0, 110000.0, 120000.0]
    assert list(ens.error_y.array) == [6000.0] * 3
    assert list(ens.error_y.arrayminus) == [5000.0] * 3
    (hours,) = by_name(fig, "customer_hours")
    assert list(hours.y) == [8e7, 9e7, 1e8]
    curves = [t for t in fig.data if str(t.name).startswith("served: ")]
    assert [t.name for t in curves] == [f"served: {s}" for s in STRATEGIES]
    # hand: two regions of min(500, 250 + hour (10 - k)) MW each
    assert curves[0].y[0] == pytest.approx(500)
    assert curves[2].y[10] == pytest.approx(2 * (250 + 10 * 8))


def test_strategy_comparison_reads_the_compare_table_columns() -> None:
    # the columns gridmodel.studies.compare writes: paired differences in the same row
    table = pd.DataFrame(
        {
            "strategy": ["b", "a", "b", "a"],
            "metric": ["ens_mwh", "ens_mwh", "saidi_h", "saidi_h"],
            "mean": [5.0, 3.0, 1.0, 2.0],
            "ci_low": [4.0, 2.0, 0.5, 1.5],
            "ci_high": [6.0, 4.0, 1.5, 2.5],
            "best": ["a", "a", "b", "b"],
            "diff_to_best": [2.0, 0.0, 0.0, 1.0],
            "diff_ci_low": [1.0, 0.0, 0.0, 0.5],
            "diff_ci_high": [3.0, 0.0, 0.0, 1.5],
            "rank": [2, 1, 2, 1],
        }
    )
    fig = figures.strategy_comparison(table)
    assert [t.name for t in fig.data] == ["ens_mwh"]  # saidi_h is not drawn
    assert list(fig.data[0].x) == ["a", "b"]  # rank order
    assert list(fig.data[0].y) == [3.0, 5.0]
    assert fig.data[0].customdata[1][2] == 2.0  # difference to the best, for hover


# --- schedule --------------------------------------------------------------------


def colour_of(fig: go.Figure, code: float) -> str:
    """Colour plotly draws for ``code`` (discrete colour scale, zmin/zmax)."""
    heat = fig.data[0]
    position = (code - heat.zmin) / (heat.zmax - heat.zmin)
    scale = [(float(p), c) for p, c in heat.colorscale]
    return next(c for p, c in scale if p >= position)


def test_schedule_heatmap_states_and_colours() -> None:
    fig = figures.schedule_chart(schedule(["north", "south"]))
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert len(heat) == 2
    north = heat[0]
    assert list(north.y) == ["group 1", "group 2", "group 3"]
    z = np.asarray(north.z, dtype=float)
    assert z.shape == (3, 48)  # two days of hours
    code = {s: k for k, s in enumerate(STATE_CODES)}
    # hand (report_run.SLOTS): group 1 off 00-04 and 12-16, possible 24-28 (day 2)
    assert list(z[0, :4]) == [code["off"]] * 4
    assert list(z[0, 12:16]) == [code["off"]] * 4
    assert list(z[0, 24:28]) == [code["possible"]] * 4
    assert (z[0] == code["off"]).sum() == 8
    # group 3 emergency for the first 8 hours
    assert list(z[2, :8]) == [code["emergency"]] * 8
    for state, colour in STATE_COLOURS.items():
        assert colour_of(fig, code[state]) == colour
    assert STATE_COLOURS == {
        "on": "#ffffff",
        "possible": "#d9d9d9",
        "off": "#525252",
        "emergency": "#d62728",
    }


def test_schedule_hours_off_per_group_and_day() -> None:
    fig = figures.schedule_chart(schedule(["north", "south"]))
    bars = [t for t in fig.data if t.type == "bar"]
    # per region one bar trace per group, x = days
    assert [b.name for b in bars] == ["group 1", "group 2", "group 3"] * 2
    assert list(bars[0].x) == ["2022-12-16", "2022-12-17"]
    # hand: day 1 group 1 off 2 slots (8 h), group 2 two (8 h), group 3
    # emergency 2 + off 2 (16 h); day 2 only possible outages (0 h off, 4 h possible)
    assert [list(b.y) for b in bars[:3]] == [[8.0, 0.0], [8.0, 0.0], [16.0, 0.0]]
    assert [list(b.customdata) for b in bars[:3]] == [[0.0, 4.0]] * 3
    # the region selector: the busiest region first, buttons switch traces
    menu = fig.layout.updatemenus[0]
    assert [b.label for b in menu.buttons] == ["north", "south"]
    # per region: heatmap + 3 group bars
    assert menu.buttons[1].args[0]["visible"] == [False] * 4 + [True] * 4


def test_schedule_uses_groups_csv_and_unguards_formula_names() -> None:
    table = schedule(["'=north"])
    groups = pd.DataFrame(
        {
            "region": ["'=north"] * 3,
            "group": ["1", "2", "3"],
            "date": ["2022-12-16"] * 3,
            "off_h": [1.0, 2.0, 3.0],
            "possible_h": [0.0, 0.0, 0.0],
            "emergency_h": [0.5, 0.0, 0.0],
        }
    )
    fig = figures.schedule_chart(table, groups=groups)
    bars = [t for t in fig.data if t.type == "bar"]
    assert [list(b.y) for b in bars] == [[1.5], [2.0], [3.0]]  # off + emergency, groups.csv
    assert fig.layout.updatemenus[0].buttons[0].label == "=north"


def test_schedule_hours_darker_state_wins_in_a_shared_hour() -> None:
    table = pd.DataFrame(
        {
            "region": ["r", "r"],
            "group": ["1", "1"],
            "start": ["2022-12-16T10:00:00+02:00", "2022-12-16T10:30:00+02:00"],
            "end": ["2022-12-16T10:30:00+02:00", "2022-12-16T11:00:00+02:00"],
            "state": ["on", "off"],
        }
    )
    hours = figures.schedule_hours(table)
    assert list(hours["state"]) == ["off"]
    assert hours["hour"].iloc[0] == pd.Timestamp("2022-12-16 10:00")


# --- CCDF ----------------------------------------------------------------------


def test_ccdf_by_hand() -> None:
    # 6 samples, 2 without a blackout: P(>=10) = 4/6, P(>=20) = 3/6, P(>=40) = 1/6
    x, y = figures.ccdf_points([0, 0, 10, 20, 20, 40])
    assert list(x) == [10, 20, 40]
    assert list(y) == pytest.approx([4 / 6, 3 / 6, 1 / 6])
    fig = figures.blackout_ccdf([0, 0, 10, 20, 20, 40])
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert list(fig.data[0].y) == pytest.approx([4 / 6, 3 / 6, 1 / 6])


# --- the page --------------------------------------------------------------------


def test_headline_cards_name_their_time(run_dir: Path, summary: dict) -> None:
    found = headline_cards(read_run_folder(run_dir))
    cards = {label: (value, note) for label, value, note in found}
    # the strike: the scenario starts at 07:00 (+02:00) with its wave at time_h = 0
    impact, peak = summary["impact"], summary["impact_at_peak"]
    assert impact["time"] == "2022-12-16T07:00:00+02:00"
    # the peak: the winter-weekday profile is highest (1.00) from 17:00
    assert peak["time"] == "2022-12-16T17:00:00+02:00" and peak["time_h"] == 10.0
    value, note = cards["MW off at the strike"]
    assert value == f"{impact['unserved_mw']:,.0f} MW"
    assert note == (
        f"unserved at the strike, 07:00; {peak['unserved_mw']:,.0f} MW at the 17:00 peak"
    )
    value, note = cards["customers off at the strike"]
    assert value == f"{impact['customers_off']:,}"
    assert note == f"at the strike, 07:00; {peak['customers_off']:,} at the 17:00 peak"
    # hand: at hour 0 the three regions of the timeline lose 500 + 1000 + 1500 MW
    assert cards["MW off at the worst hour"] == ("3,000 MW", "worst hour: 16 Dec 2022 07:00")
    assert cards["energy not served"][0] == f"{METRICS['ens_mwh']:,.0f} MWh"
    value, note = cards["to 90 % restored"]
    assert value == "31 h"
    assert note == (
        "hours until 90 % of demand is served again and stays served; "
        "network outages end at 26 h; "
        f"supply shortage ends not within the {HOURS} h simulated"
    )
    assert cards["repair strategy"][0] == "critical_first"


def test_headline_cards_round_customers_once(tmp_path: Path) -> None:
    folder = tmp_path / "timeline-only"
    folder.mkdir()
    table = timeline(["north"])  # 500 MW lost at hour 0
    table["customers_off"] = table["unserved_mw"] * 2.4691  # a time mean: fractional
    table.to_parquet(folder / "timeline.parquet")
    cards = {label: value for label, value, _ in headline_cards(read_run_folder(folder))}
    # hand: 500 x 2.4691 = 1234.55 customers at the worst hour: 1,235 on the card
    assert cards["customers off at the worst hour"] == "1,235"


def test_report_is_one_offline_file_with_every_section(run_dir: Path) -> None:
    path = render_report(run_dir)
    assert path == run_dir / "report.html"
    text = path.read_text(encoding="utf-8")
    assert path.stat().st_size < 10_000_000
    plotly_js = get_plotlyjs()
    assert text.count(plotly_js[:300]) == 1  # plotly.js embedded exactly once
    page = text.replace(plotly_js, "")
    assert not re.search(r"(https?:)?//[a-z0-9]", page, flags=re.I)  # no URL of our own
    assert "<link" not in page and "@import" not in page and "url(" not in page
    ids = re.findall(r'<section id="([a-z]+)"', page)
    expected = ["map", "impact", "cascade", "restoration", "comparison", "schedule", "spread"]
    assert ids == [*expected, "ccdf", "criticality", "metrics", "assumptions"]
    assert page.count('class="chart"') == 9
    assert page.count("Plotly.newPlot(") == 9


@pytest.mark.slow  # a whole run of the 16 Dec replay and its report: 5-7 s
def test_names_from_files_are_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    write_run_folder(folder, hostile=True)
    text = render_report(folder).read_text(encoding="utf-8")
    page = text.replace(get_plotlyjs(), "")
    for hostile in (HOSTILE_TITLE, HOSTILE_REGION, HOSTILE_GROUP):
        assert hostile not in page
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in page
    # inside the chart JSON nothing can close the script or open a comment
    scripts = re.findall(r"<script>(.*?)</script>", page, flags=re.S)
    assert len(scripts) == 2 + 9  # config, plotly.js (emptied above), one per chart
    assert all("<" not in s for s in scripts[2:])


def test_sections_are_optional(tmp_path: Path) -> None:
    folder = tmp_path / "only-schedule"
    folder.mkdir()
    schedule(["north"]).to_csv(folder / "schedule.csv", index=False)
    run = read_run_folder(folder)
    assert [s.key for s in sections(run)] == ["schedule", "assumptions"]
    assert render_report(folder).is_file()


@pytest.mark.parametrize(
    ("name", "damage", "field", "problem"),
    [
        ("timeline.parquet", b"not parquet", None, "cannot read table"),
        ("comparison.csv", b"hour\n0\n", "strategy", "missing column 'strategy'"),
    ],
)
def test_a_damaged_file_is_refused_naming_it(
    tmp_path: Path, name: str, damage: bytes, field: str | None, problem: str
) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    schedule(["north"]).to_csv(folder / "schedule.csv", index=False)
    (folder / name).write_bytes(damage)
    with pytest.raises(OptionError) as caught:
        render_report(folder)
    assert caught.value.file == str(folder / name) and caught.value.field == field
    assert caught.value.message.startswith(problem)
    assert not (folder / "report.html").exists()


# --- command line ----------------------------------------------------------------


def test_cli_report_prints_the_path(run_dir: Path) -> None:
    result = CliRunner().invoke(app, ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(run_dir / "report.html")


@pytest.mark.parametrize("kind", ["missing", "empty", "file"])
def test_cli_report_bad_folder_is_one_line_exit_2(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "x"
    if kind == "empty":
        target.mkdir()
    elif kind == "file":
        target.write_text("hello")
    result = CliRunner().invoke(app, ["report", str(target)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(target) in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.slow  # a whole run with its 14-day restoration timeline
def test_cli_run_builds_the_report(tmp_path: Path) -> None:
    out = tmp_path / "run"
    scenario = Path(__file__).resolve().parents[2] / "scenarios" / "ua-2022-12-16.toml"
    result = CliRunner().invoke(app, ["run", str(scenario), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"report: {out / 'report.html'}" in result.stdout
    text = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="map"' in text and 'id="impact"' in text and 'id="restoration"' in text
    assert (out / "report.html").stat().st_size < 10_000_000


def test_monte_carlo_folder_gets_sample_cards_and_ccdf(tmp_path: Path) -> None:
    folder = tmp_path / "mc"
    (folder / "samples").mkdir(parents=True)
    sizes = [0.0, 0.0, 10.0, 20.0, 20.0, 40.0]
    pd.DataFrame({"sample": range(6), "unserved_mw": sizes}).to_parquet(
        folder / "samples" / "part-00000.parquet"
    )
    (folder / "summary.json").write_text(
        json.dumps({"schema_version": 2, "scenario": "mc", "samples": 6})
    )
    run = read_run_folder(folder)
    assert [s.key for s in sections(run)] == ["spread", "ccdf", "assumptions"]
    cards = {label: value for label, value, _ in headline_cards(run)}
    # hand: median of (0, 0, 10, 20, 20, 40) = 15; 95th percentile (linear) at
    # position 0.95 * 5 = 4.75: 20 + 0.75 * (40 - 20) = 35
    assert cards == {
        "median MW off at the strike": "15 MW",
        "1 in 20 worst, at the strike": "35 MW",
    }


def test_criticality_table_is_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "crit"
    folder.mkdir()
    pd.DataFrame(
        {"rank": [1, 2], "names": [HOSTILE_GROUP, "Kyiv"], "unserved_mw": [2182.26, 10.0]}
    ).to_csv(folder / "criticality.csv", index=False)
    (folder / "summary.json").write_text(
        json.dumps({"schema_version": 2, "network": "ua-oblasts", "k": 1})
    )
    text = render_report(folder).read_text(encoding="utf-8").replace(get_plotlyjs(), "")
    assert HOSTILE_GROUP not in text
    assert "<td>&lt;img src=x onerror=alert(3)&gt;</td>" in text
    assert '<td class="num">2,182.3</td>' in text
    assert "<h1>ua-oblasts</h1>" in text


def test_network_state_matches_the_impact_and_is_reproducible(
    run_dir: Path, summary: dict, state: dict, tmp_path: Path
) -> None:
    tripped = {(b["element"], b["index"]) for b in state["branches"] if b["state"] == "tripped"}
    assert tripped == {(t["element"], t["index"]) for t in summary["impact"]["tripped_branches"]}
    lost = sum(s["unserved_mw"] for s in state["substations"])
    assert lost == pytest.approx(summary["impact"]["unserved_mw"], abs=0.01)
    # same scenario and seed, byte-identical file
    again = tmp_path / "again"
    write_run_folder(again)
    first = (run_dir / "network_state.json").read_bytes()
    assert (again / "network_state.json").read_bytes() == first
