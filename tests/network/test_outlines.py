"""Region outlines of a bundled network folder (gridmodel.network.outlines)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandapower as pp
import pandapower.networks as pn
import pytest

from gridmodel.errors import NetworkError
from gridmodel.network.catalog import ENV_PATH, load_network
from gridmodel.network.outlines import MAX_OUTLINES_BYTES, Outline, read_outlines

SUBSTATIONS = (
    "substation,name,region,lat,lon\n"
    "W,West,west,49.8,24.0\nC,Centre,centre,50.45,30.52\nE,East,east,49.99,36.23\n"
)
BUSES = "bus,substation\n0,W\n1,W\n2,W\n3,C\n4,C\n5,C\n6,E\n7,E\n8,E\n"
#: A square around the West substation, closed (5 positions).
WEST_RING = [[23.0, 49.0], [25.0, 49.0], [25.0, 51.0], [23.0, 51.0], [23.0, 49.0]]
#: A square around the Centre substation with a square hole (two rings).
CENTRE_RINGS = [
    [[29.0, 49.0], [32.0, 49.0], [32.0, 52.0], [29.0, 52.0], [29.0, 49.0]],
    [[30.0, 50.0], [30.0, 51.0], [31.0, 51.0], [31.0, 50.0], [30.0, 50.0]],
]
#: Two triangles for a region without substations (occupied: no grid data).
SOUTH_TRIANGLES = [
    [[[33.0, 45.0], [35.0, 45.0], [34.0, 46.0], [33.0, 45.0]]],
    [[[36.0, 45.0], [37.0, 45.0], [36.5, 45.5], [36.0, 45.0]]],
]


def feature(region: Any, geometry: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "properties": {"region": region}, "geometry": geometry}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


GOOD = collection(
    feature("west", {"type": "Polygon", "coordinates": [WEST_RING]}),
    feature("centre", {"type": "Polygon", "coordinates": CENTRE_RINGS}),
    feature("south", {"type": "MultiPolygon", "coordinates": SOUTH_TRIANGLES}),
)


def bundle(folder: Path, outlines: str | None) -> Path:
    folder.mkdir(parents=True)
    pp.to_json(pn.case9(), str(folder / "network.json"))
    (folder / "substations.csv").write_text(SUBSTATIONS, encoding="utf-8")
    (folder / "buses.csv").write_text(BUSES, encoding="utf-8")
    if outlines is not None:
        (folder / "regions.geojson").write_text(outlines, encoding="utf-8")
    return folder


def test_bundled_folder_exposes_its_outlines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    networks = tmp_path / "networks"
    bundle(networks / "nine", json.dumps(GOOD))
    monkeypatch.setenv(ENV_PATH, str(networks))
    grid = load_network("nine")
    assert [o.region for o in grid.outlines] == ["west", "centre", "south"]
    west, centre, south = grid.outlines
    assert west == Outline(
        "west", (((23.0, 49.0), (25.0, 49.0), (25.0, 51.0), (23.0, 51.0), (23.0, 49.0)),)
    )
    assert len(centre.rings) == 2 and centre.rings[1][2] == (31.0, 51.0)
    # a region without substations keeps its outline (two parts, one ring each)
    assert "south" not in grid.region_names()
    assert [len(r) for r in south.rings] == [4, 4]


def test_folder_without_outlines_has_none(tmp_path: Path) -> None:
    grid = load_network(bundle(tmp_path / "plain", None))
    assert grid.outlines == ()
    assert load_network("case9").outlines == ()


def test_third_coordinate_is_dropped(tmp_path: Path) -> None:
    ring = [[*p, 120.0] for p in WEST_RING]  # GeoJSON allows an altitude
    path = tmp_path / "regions.geojson"
    path.write_text(
        json.dumps(collection(feature("west", {"type": "Polygon", "coordinates": [ring]})))
    )
    (outline,) = read_outlines(path)
    assert outline.rings[0][1] == (25.0, 49.0)


def polygon(ring: Any) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring]}


#: Malformed files: (file text, field named, words of the message).
BAD: dict[str, tuple[str, str | None, str]] = {
    "not json": ('{"type": "FeatureCollection", "features": [', None, "not valid JSON"),
    "a list": ("[]", "type", "not a GeoJSON FeatureCollection"),
    "a feature": (json.dumps(feature("west", polygon(WEST_RING))), "type", "type 'Feature'"),
    "features not a list": (
        json.dumps({"type": "FeatureCollection", "features": {}}),
        "features",
        "not a list",
    ),
    "geometry collection": (
        json.dumps(collection(feature("west", {"type": "Point", "coordinates": [24, 50]}))),
        "features[0].geometry.type",
        "geometry type 'Point'",
    ),
    "no region": (
        json.dumps(collection(feature(None, polygon(WEST_RING)))),
        "features[0].properties.region",
        "no region name",
    ),
    "region twice": (
        json.dumps(collection(*[feature("west", polygon(WEST_RING))] * 2)),
        "features[1].properties.region",
        "second outline",
    ),
    "short ring": (
        json.dumps(collection(feature("west", polygon(WEST_RING[:2] + WEST_RING[:1])))),
        "features[0].geometry.coordinates[0]",
        "ring of 3 positions",
    ),
    "open ring": (
        json.dumps(collection(feature("west", polygon(WEST_RING[:4])))),
        "features[0].geometry.coordinates[0]",
        "not closed",
    ),
    "latitude out of range": (
        json.dumps(
            collection(feature("west", polygon([[23.0, 95.0], *WEST_RING[1:4], [23.0, 95.0]])))
        ),
        "features[0].geometry.coordinates[0][0]",
        "out of range",
    ),
    "NaN": (
        json.dumps(
            collection(
                feature("west", polygon([WEST_RING[0], [float("nan"), 49.0], *WEST_RING[2:]]))
            )
        ),
        "features[0].geometry.coordinates[0][1]",
        "out of range",
    ),
    "text coordinate": (
        json.dumps(
            collection(feature("west", polygon([WEST_RING[0], ["25", 49.0], *WEST_RING[2:]])))
        ),
        "features[0].geometry.coordinates[0][1]",
        "not a pair of numbers",
    ),
    "multipolygon hole missing": (
        json.dumps(collection(feature("south", {"type": "MultiPolygon", "coordinates": [[]]}))),
        "features[0].geometry.coordinates[0]",
        "has no rings",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_malformed_outlines_name_the_file_and_field(tmp_path: Path, case: str) -> None:
    text, field, words = BAD[case]
    folder = bundle(tmp_path / "bad", text)
    with pytest.raises(NetworkError) as info:
        load_network(folder)
    assert info.value.file == str(folder / "regions.geojson")
    assert info.value.field == field
    assert words in info.value.message
    assert info.value.allowed  # what would have been accepted


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "regions.geojson"
    head = json.dumps(GOOD)
    path.write_text(head + " " * (MAX_OUTLINES_BYTES + 1 - len(head)), encoding="utf-8")
    with pytest.raises(NetworkError, match="too large") as info:
        read_outlines(path)
    assert info.value.file == str(path)
    assert info.value.allowed == (
        "a GeoJSON FeatureCollection (simplify the outlines), a regular file up to 5 MB"
    )
    path.write_text(head + " " * (MAX_OUTLINES_BYTES - len(head)), encoding="utf-8")
    assert len(read_outlines(path)) == 3  # exactly 5 MB is read
