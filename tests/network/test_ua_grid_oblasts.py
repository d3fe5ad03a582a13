"""Oblast outlines of the ua-grid network (networks/ua-grid/inputs/make_oblasts.py).

Expected regions of the cities are where the cities are (their coordinates
from the project's domain notes); the file's figures are those the script's
docstring states.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from gridmodel.network.outlines import read_outlines

INPUTS = Path(__file__).resolve().parents[2] / "networks" / "ua-grid" / "inputs"
OBLASTS = INPUTS / "oblasts.geojson"

#: Our names of Ukraine's 27 first-level divisions.
REGIONS = {
    "Crimea", "Mykolaiv", "Chernihiv", "Rivne", "Chernivtsi", "Ivano-Frankivsk", "Khmelnytskyi",
    "Lviv", "Ternopil", "Zakarpattia", "Volyn", "Cherkasy", "Kirovohrad", "Kyiv oblast", "Odesa",
    "Vinnytsia", "Zhytomyr", "Sumy", "Dnipropetrovsk", "Donetsk", "Kharkiv", "Luhansk", "Poltava",
    "Zaporizhzhia", "Kyiv city", "Kherson", "Sevastopol",
}  # fmt: skip

#: City: (lat, lon, region it lies in).
CITIES: dict[str, tuple[float, float, str]] = {
    "Kyiv": (50.45, 30.52, "Kyiv city"),
    "Bila Tserkva": (49.80, 30.11, "Kyiv oblast"),
    "Lviv": (49.84, 24.03, "Lviv"),
    "Odesa": (46.48, 30.72, "Odesa"),
    "Kryvyi Rih": (47.91, 33.39, "Dnipropetrovsk"),
    "Enerhodar": (47.50, 34.66, "Zaporizhzhia"),
    "Sevastopol": (44.60, 33.52, "Sevastopol"),
    "Simferopol": (44.95, 34.10, "Crimea"),
    "Kharkiv": (49.99, 36.23, "Kharkiv"),
}


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_oblasts", INPUTS / "make_oblasts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_oblasts = _module()


@pytest.fixture(scope="module")
def features() -> list[dict[str, Any]]:
    return json.loads(OBLASTS.read_text(encoding="utf-8"))["features"]


@pytest.mark.parametrize("city", list(CITIES))
def test_region_of_known_cities(features: list[dict[str, Any]], city: str) -> None:
    lat, lon, region = CITIES[city]
    assert make_oblasts.region_of(lon, lat, features) == region


def test_region_of_outside_ukraine_is_none(features: list[dict[str, Any]]) -> None:
    assert make_oblasts.region_of(21.01, 52.23, features) is None  # Warsaw
    assert make_oblasts.region_of(32.0, 43.5, features) is None  # the Black Sea


def test_file_has_every_division_once_within_budget(features: list[dict[str, Any]]) -> None:
    assert OBLASTS.stat().st_size < 250_000
    assert sorted(f["properties"]["region"] for f in features) == sorted(REGIONS)
    for f in features:
        assert set(f["properties"]) <= {"region", "source_name", "iso_3166_2"}
    by_region = {f["properties"]["region"]: f for f in features}
    assert by_region["Kyiv oblast"]["properties"]["source_name"] == "Kiev"
    assert by_region["Kyiv city"]["properties"]["iso_3166_2"] == "UA-30"
    # the file is a valid regions.geojson for a bundled network
    assert [o.region for o in read_outlines(OBLASTS)] == [
        f["properties"]["region"] for f in features
    ]


def test_kyiv_oblast_hole_is_exactly_kyiv_city(features: list[dict[str, Any]]) -> None:
    by_region = {f["properties"]["region"]: f["geometry"] for f in features}
    oblast, city = by_region["Kyiv oblast"], by_region["Kyiv city"]
    assert oblast["type"] == "Polygon" and len(oblast["coordinates"]) == 2
    hole, (outer,) = oblast["coordinates"][1], city["coordinates"]
    assert sorted(map(tuple, hole)) == sorted(map(tuple, outer))  # same vertices, no sliver


def test_shared_borders_stay_shared_after_simplifying() -> None:
    # Two unit squares sharing the edge x = 1, which zigzags 0.001 degree (0.11 km)
    # off straight; the east square's outer border bulges 0.1 degree (11 km).
    wiggle = [[1.0, y / 10] if y % 2 else [1.001, y / 10] for y in range(11)]
    west = [[0.0, 0.0], *wiggle, [0.0, 1.0], [0.0, 0.0]]
    east = [*wiggle[::-1], [2.0, 0.0], [2.1, 0.5], [2.0, 1.0], [1.001, 1.0]]
    source = [
        {"properties": {"name": "L'viv"}, "geometry": {"type": "Polygon", "coordinates": [west]}},
        {"properties": {"name": "Volyn"}, "geometry": {"type": "Polygon", "coordinates": [east]}},
    ]
    for tolerance_km, border_points in ((1.0, 2), (0.05, 11)):
        out = make_oblasts.make_features(source, tolerance_km)
        assert [f["properties"]["region"] for f in out] == ["Lviv", "Volyn"]
        (w,), (e,) = (f["geometry"]["coordinates"] for f in out)
        w_border = {tuple(p) for p in w if p[0] > 0.5}
        e_border = {tuple(p) for p in e if p[0] < 1.5}
        assert w_border == e_border and len(w_border) == border_points
    # at 1 km the zigzag goes, the square's corners and the 11 km bulge stay
    (w,), (e,) = (f["geometry"]["coordinates"] for f in make_oblasts.make_features(source, 1.0))
    assert w == [[0.0, 0.0], [1.001, 0.0], [1.001, 1.0], [0.0, 1.0], [0.0, 0.0]]
    assert e == [[1.001, 1.0], [1.001, 0.0], [2.0, 0.0], [2.1, 0.5], [2.0, 1.0], [1.001, 1.0]]
