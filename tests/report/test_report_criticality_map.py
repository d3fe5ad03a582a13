"""The criticality page marks its top elements on the map of the intact grid.

Criticality folders come from the real study on IEEE cases (case30, case9),
as ``gridmodel criticality ... --out F`` writes them; the expected elements are
the top rows of the folder's own ``criticality.csv`` and their coordinates the
network's (pandapower's bus geodata), never the map code's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandapower as pp
import pandapower.networks as pn
import pandas as pd
import pytest

from gridmodel.network.catalog import load_network
from gridmodel.report import render_report
from gridmodel.report.criticality_page import MAP_TOP
from gridmodel.studies.criticality import criticality

#: A figure of the page: its JSON between ``var fig =`` and its ``Plotly.newPlot`` call.
FIGURE = re.compile(r'var fig = (\{.*?\});Plotly\.newPlot\("chart-\d+-(\w+)"', re.S)


def figures_of(page: str) -> dict[str, dict[str, Any]]:
    """The plotly figures of a report page by section key (the JSON the browser draws)."""
    return {key: json.loads(spec) for spec, key in FIGURE.findall(page)}


def section_ids(page: str) -> list[str]:
    return re.findall(r'<section id="([a-z]+)"', page)


@pytest.fixture(scope="module")
def case30_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("crit") / "n1"
    criticality(load_network("case30"), k=1, out=out)
    return out, render_report(out).read_text(encoding="utf-8")


def test_the_folder_holds_the_intact_grid_for_the_map(case30_page: tuple[Path, str]) -> None:
    out, _ = case30_page
    state = json.loads((out / "network_state.json").read_text(encoding="utf-8"))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["kind"] == "criticality"
    # case30: 30 buses, one substation each; intact: nothing struck, nothing dark
    assert len(state["substations"]) == 30
    assert {s["state"] for s in state["substations"]} == {"energised"}
    assert sum(s["unserved_mw"] for s in state["substations"]) == pytest.approx(0, abs=1e-6)
    # total load of case30 (MATPOWER): 189.2 MW
    assert sum(s["load_mw"] for s in state["substations"]) == pytest.approx(189.2, abs=1e-3)


def test_the_map_rings_and_numbers_the_top_rows(case30_page: tuple[Path, str]) -> None:
    out, page = case30_page
    assert section_ids(page)[:2] == ["criticality", "map"]
    table = pd.read_csv(out / "criticality.csv", dtype={"substations": str, "names": str})
    top = table.head(MAP_TOP)
    fig = figures_of(page)["map"]
    ranked = [t for t in fig["data"] if re.match(r"\d+\. ", t.get("name", ""))]
    assert [t["name"] for t in ranked] == [f"{r.rank}. {r.names}" for r in top.itertuples()]
    assert [t["ids"] for t in ranked] == [[r.substations] for r in top.itertuples()]
    # each ring sits on its substation (pandapower's geodata of case30)
    grid = load_network("case30")
    for trace in ranked:
        sub = grid.substations.loc[trace["ids"][0]]
        assert trace["x"][0] == pytest.approx(sub["lon"], abs=1e-6)
        assert trace["y"][0] == pytest.approx(sub["lat"], abs=1e-6)
    # the rank labels come last, above the rings, one per marked substation
    labels = fig["data"][-1]
    assert labels["name"] == "ranks"
    assert labels["textposition"] == "top center"
    assert labels["ids"] == list(top["substations"])
    assert labels["text"] == [str(r) for r in top["rank"]]
    # the page explains the map, and says nothing of strikes on it
    assert f"Black rings mark the {MAP_TOP} most critical elements" in page
    assert "right after the first wave" not in page


def test_pairs_are_joined_and_a_shared_substation_lists_its_ranks(tmp_path: Path) -> None:
    out = tmp_path / "n2"
    criticality(load_network("case9"), k=2, out=out)
    page = render_report(out).read_text(encoding="utf-8")
    table = pd.read_csv(out / "criticality.csv", dtype={"substations": str, "names": str})
    top = table.head(MAP_TOP)
    fig = figures_of(page)["map"]
    ranked = [t for t in fig["data"] if re.match(r"\d+\. ", t.get("name", ""))]
    assert [t["ids"] for t in ranked] == [s.split(";") for s in top["substations"]]
    assert all(t["mode"] == "lines+markers" for t in ranked)
    # hand: the ranks of each substation among the top pairs, in rank order
    expected: dict[str, list[str]] = {}
    for rank, subs in zip(top["rank"], top["substations"], strict=True):
        for sub in subs.split(";"):
            expected.setdefault(sub, []).append(str(rank))
    labels = fig["data"][-1]
    assert dict(zip(labels["ids"], labels["text"], strict=True)) == {
        sub: ", ".join(ranks) for sub, ranks in expected.items()
    }


def test_a_network_without_coordinates_says_so(tmp_path: Path) -> None:
    net = pn.case9()
    net.bus["geo"] = None
    pp.to_json(net, str(tmp_path / "case9-plain.json"))
    out = tmp_path / "plain"
    criticality(load_network(str(tmp_path / "case9-plain.json")), k=1, out=out)
    page = render_report(out).read_text(encoding="utf-8")
    assert section_ids(page)[:2] == ["criticality", "map"]
    assert "This network has no coordinates, so its most critical elements are not mapped." in page
    assert "map" not in figures_of(page)
