"""Region outlines: from a network folder into network_state.json and onto the report's map.

The run folders here are hand-made (a two-substation network_state.json), so
the number of points the map must draw is counted by hand from the rings.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandapower as pp
import pandapower.networks as pn
import pytest
from plotly.offline import get_plotlyjs

import gridmodel
from gridmodel.errors import OptionError
from gridmodel.report import read_run_folder, render_report
from gridmodel.report.network_map import OUTLINE_NAME
from gridmodel.strikes import Damage
from gridmodel.studies.network_state import network_state

#: A square (5 positions) and a triangle with a triangular hole (4 + 4 positions).
SQUARE = [[23.0, 49.0], [25.0, 49.0], [25.0, 51.0], [23.0, 51.0], [23.0, 49.0]]
TRIANGLE = [[29.0, 49.0], [32.0, 49.0], [30.5, 52.0], [29.0, 49.0]]
HOLE = [[30.0, 49.5], [30.5, 50.5], [31.0, 49.5], [30.0, 49.5]]
OUTLINES = [
    {"region": "west", "rings": [SQUARE]},
    {"region": "occupied", "rings": [TRIANGLE, HOLE]},  # a region without substations
]
#: Points of the outline trace: every position, plus one gap (None) after each ring.
OUTLINE_POINTS = (5 + 1) + (4 + 1) + (4 + 1)

SUBSTATIONS = [
    {
        "substation": s,
        "name": name,
        "region": "west",
        "lat": lat,
        "lon": lon,
        "vn_kv": 330.0,
        "state": state,
        "load_mw": 100.0,
        "unserved_mw": 100.0 if state == "struck" else 0.0,
        "customers_off": 0,
    }
    for s, name, lat, lon, state in (
        ("A", "Alpha", 49.8, 24.0, "struck"),
        ("B", "Beta", 50.4, 24.5, "energised"),
    )
]
BRANCH = {
    "element": "line",
    "index": 0,
    "from": "A",
    "to": "B",
    "flow_mw": 0.0,
    "rating_mw": 500.0,
    "loading_percent": 0.0,
    "state": "out",
    "trip_step": None,
}


def write_state(folder: Path, **extra: Any) -> Path:
    folder.mkdir()
    state = {"network": "two", "substations": SUBSTATIONS, "branches": [BRANCH], **extra}
    (folder / "network_state.json").write_text(json.dumps(state), encoding="utf-8")
    return folder


def map_figure(page: str) -> dict[str, Any]:
    """The plotly JSON of the map chart in a rendered report."""
    match = re.search(r'var fig = (\{.*?\});Plotly\.newPlot\("chart-\d+-map"', page, flags=re.S)
    assert match, "the report has a map chart"
    return json.loads(match.group(1))


def test_map_draws_outlines_first_thin_grey_without_legend_or_hover(tmp_path: Path) -> None:
    folder = write_state(tmp_path / "run", outlines=OUTLINES)
    page = render_report(folder).read_text(encoding="utf-8")
    traces = map_figure(page)["data"]
    outline = traces[0]  # under the branches and substations
    assert outline["name"] == OUTLINE_NAME
    assert len(outline["x"]) == len(outline["y"]) == OUTLINE_POINTS
    assert outline["x"].count(None) == 3 and outline["x"][5] is None
    assert outline["x"][:5] == [p[0] for p in SQUARE]
    assert outline["y"][6:10] == [p[1] for p in TRIANGLE]
    assert outline["mode"] == "lines" and "fill" not in outline
    assert outline["showlegend"] is False and outline["hoverinfo"] == "skip"
    assert outline["line"]["width"] < 1 and outline["line"]["color"] == "#c8c8c8"
    assert sum(t.get("name") == OUTLINE_NAME for t in traces) == 1
    # still one offline file: nothing fetched from anywhere
    rest = page.replace(get_plotlyjs(), "")
    assert not re.search(r"(https?:)?//[a-z0-9]", rest, flags=re.I)


def test_old_run_folder_without_outlines_draws_the_map(tmp_path: Path) -> None:
    folder = write_state(tmp_path / "old")
    run = read_run_folder(folder)
    assert run.notes == () and run.network is not None
    traces = map_figure(render_report(folder).read_text(encoding="utf-8"))["data"]
    assert OUTLINE_NAME not in [t.get("name") for t in traces]
    assert any(t.get("name") == "substations: struck" for t in traces)


@pytest.mark.parametrize(
    ("outlines", "field", "allowed"),
    [
        ({"west": SQUARE}, "outlines", "a list"),
        ([{"rings": [SQUARE]}], "outlines[0].region", "text"),
        (
            [{"region": "west", "rings": [[[23.0, 49.0, 7.0]]]}],
            "outlines[0].rings[0][0]",
            "[lon, lat]",
        ),
        (
            [{"region": "west", "rings": [[["23", 49.0]]]}],
            "outlines[0].rings[0][0][0]",
            "a finite number",
        ),
        ([{"region": "west", "rings": "none"}], "outlines[0].rings", "a list"),
    ],
)
def test_bad_outlines_are_refused_naming_the_field(
    tmp_path: Path, outlines: Any, field: str, allowed: str
) -> None:
    folder = write_state(tmp_path / "bad", outlines=outlines)
    with pytest.raises(OptionError) as caught:
        render_report(folder)
    assert caught.value.file == str(folder / "network_state.json")
    assert caught.value.field == field and caught.value.allowed == allowed
    assert not (folder / "report.html").exists()


def test_network_state_carries_the_networks_outlines(tmp_path: Path) -> None:
    folder = tmp_path / "nine"
    folder.mkdir()
    pp.to_json(pn.case9(), str(folder / "network.json"))
    (folder / "substations.csv").write_text(
        "substation,name,region,lat,lon\nW,West,west,50.0,24.0\nE,East,east,49.9,36.2\n",
        encoding="utf-8",
    )
    (folder / "buses.csv").write_text(
        "bus,substation\n" + "".join(f"{b},{'W' if b < 5 else 'E'}\n" for b in range(9)),
        encoding="utf-8",
    )
    features = [
        {
            "type": "Feature",
            "properties": {"region": o["region"]},
            "geometry": {"type": "Polygon", "coordinates": o["rings"]},
        }
        for o in OUTLINES
    ]
    (folder / "regions.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8"
    )
    hit = gridmodel.impact(gridmodel.load_network(folder))
    state = network_state(hit.compiled, hit.outcome, Damage((), (), 0, 0))
    assert state["outlines"] == OUTLINES
    json.dumps(state, allow_nan=False)  # plain JSON
    plain = gridmodel.impact(gridmodel.load_network("case9"))
    assert network_state(plain.compiled, plain.outcome, Damage((), (), 0, 0))["outlines"] == []
