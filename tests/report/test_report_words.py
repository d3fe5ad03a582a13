"""What the run page says in words: the missile totals reconciled with the waves,
and that it shows one draw of a random scenario.

Expected sentences are built from the scenario file (its waves' salvos,
targets and random picks counted by hand) and the sample's interceptions
from ``summary.json``, never from the report code.
"""

from __future__ import annotations

import html
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from report_run import SCENARIO, write_run_folder

from gridmodel.network.catalog import load_network
from gridmodel.report import render_report
from gridmodel.report.labels import strikes_sentence


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("words") / "run"
    write_run_folder(folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    text = render_report(folder).read_text(encoding="utf-8")
    header = text.split("<header>", 1)[1].split("</header>", 1)[0]
    return html.unescape(header), summary


def test_the_page_explains_the_missile_totals_from_the_waves(page) -> None:
    header, summary = page
    (wave,) = tomllib.loads(SCENARIO.read_text(encoding="utf-8"))["waves"]
    fired = sum(s["missiles"] for s in wave["salvos"])  # 40 + 35 + 15 = 90
    named = len(wave["targets"])  # 1: Kryvyi Rih
    drawn = sum(r["count"] for r in wave["random"])  # 9 plants
    note = wave["note"].rstrip(".")  # the scenario's own words on the counts
    stopped = summary["strikes"]["intercepted"]  # this sample's draw
    through = fired - stopped
    hits = through + named + drawn
    assert hits == len(summary["strikes"]["hits"])  # the page total, reconciled
    assert fired == 90 and named == 1 and drawn == 9
    # the wave trips the nuclear units in service: Rivne, Khmelnytskyi, South Ukraine
    net = load_network("ua-oblasts").net
    nuclear = int(((net.gen["type"] == "nuclear") & net.gen["in_service"]).sum())
    assert nuclear == 3
    # salvos draw substations (the default), the random pick plants
    expected = (
        f"{fired} missiles in 1 wave ({stopped} intercepted) and {hits} hits: "
        f"wave '{wave['name']}': {fired} missiles fired in salvos, {stopped} intercepted, "
        f"{through} got through and hit, 1 named target hit, {drawn} hits drawn at random, "
        f"in all {hits} hits ({drawn} on plants, {through + named} on substations), "
        f"{nuclear} elements tripped by protection, not damaged ({note})."
    )
    assert expected in header


def test_the_run_page_says_it_shows_one_draw(page) -> None:
    header, _ = page
    seed = tomllib.loads(SCENARIO.read_text(encoding="utf-8"))["seed"]
    assert f"This page shows one draw of a random scenario: sample 0 of seed {seed}." in header


def test_a_page_without_random_strikes_says_nothing_of_draws(tmp_path: Path, page) -> None:
    _, summary = page
    strikes = {**summary["strikes"], "random": False}
    folder = tmp_path / "fixed"
    folder.mkdir()
    (folder / "summary.json").write_text(json.dumps({**summary, "strikes": strikes}))
    text = render_report(folder).read_text(encoding="utf-8")
    assert "one draw" not in text


def test_carried_damage_is_named_in_the_sentence() -> None:
    # the 23 Nov 2022 replay's shape: two carried waves of plant damage (3 + 1
    # named plants), a strike of 70 missiles and a later one of 69 plus a target
    waves = [
        {"wave": 0, "name": "before", "time_h": 0.0, "carried": True, "missiles": 0,
         "intercepted": 0, "hits": 3, "hits_by_source": {"salvos": 0, "targets": 3, "random": 0},
         "hits_by_kind": {"gen": 3}, "trips": 0},
        {"wave": 1, "name": "TPP", "time_h": 0.0, "carried": True, "missiles": 0,
         "intercepted": 0, "hits": 1, "hits_by_source": {"salvos": 0, "targets": 1, "random": 0},
         "hits_by_kind": {"gen": 1}, "trips": 0},
        {"wave": 2, "name": "23 Nov", "time_h": 0.0, "carried": False, "missiles": 70,
         "intercepted": 54, "hits": 16,
         "hits_by_source": {"salvos": 16, "targets": 0, "random": 0},
         "hits_by_kind": {"substation": 16}, "trips": 0},
        {"wave": 3, "name": "5 Dec", "time_h": 288.0, "carried": False, "missiles": 69,
         "intercepted": 61, "hits": 9, "hits_by_source": {"salvos": 8, "targets": 1, "random": 0},
         "hits_by_kind": {"substation": 9}, "trips": 0},
    ]  # fmt: skip
    # hand: 70 + 69 = 139 missiles, 54 + 61 = 115 intercepted, 3 + 1 + 16 + 9 = 29 hits
    assert strikes_sentence({"waves": waves}) == (
        "139 missiles in 2 waves (115 intercepted) and 29 hits: "
        "wave '23 Nov': 70 missiles fired in salvos, 54 intercepted, 16 got through and hit "
        "(16 on substations); wave '5 Dec' (288 h after the first): 69 missiles fired in "
        "salvos, 61 intercepted, 8 got through and hit, 1 named target hit, "
        "in all 9 hits (9 on substations); "
        "4 plants damaged before the strike carried over ('before', 'TPP')."
    )


def test_an_older_summary_without_waves_has_no_sentence() -> None:
    assert strikes_sentence({"missiles": 3, "intercepted": 1, "hits": []}) == ""
