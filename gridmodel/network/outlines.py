"""Region outlines of a bundled network (the optional ``regions.geojson``).

A bundled network folder may hold ``regions.geojson``: a GeoJSON
FeatureCollection (RFC 7946) with one feature per region, the region's name
in the property ``region`` and a ``Polygon`` or ``MultiPolygon`` geometry in
longitude/latitude degrees. The report's map draws the outlines under the
grid. A region may have an outline and no substation (an occupied oblast has
none); the map draws every outline alike, as a thin grey line.

The file is checked strictly on load; a problem is a
:class:`~gridmodel.errors.NetworkError` naming the file, the field and what
is allowed. A file over :data:`MAX_OUTLINES_BYTES` is refused before it is
parsed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gridmodel.errors import NetworkError
from gridmodel.inputs import check_nesting, read_user_bytes

OUTLINES_FILE = "regions.geojson"
#: Largest ``regions.geojson`` read (5 MB); simplify the outlines to stay below it.
MAX_OUTLINES_BYTES = 5 * 1024 * 1024
GEOMETRY_TYPES: tuple[str, ...] = ("Polygon", "MultiPolygon")
_POSITION = "[longitude, latitude] with longitude in -180..180 and latitude in -90..90"

Position = tuple[float, float]


@dataclass(frozen=True)
class Outline:
    """The outline of one region.

    Attributes
    ----------
    region
        The region's name (as in ``substations.csv``, or a region without
        substations).
    rings
        Closed rings of ``(lon, lat)`` pairs in degrees (first pair equal to
        the last): the outer rings and the holes of every polygon, in file
        order. A point lies in the region when a ray from it crosses the
        rings an odd number of times.
    """

    region: str
    rings: tuple[tuple[Position, ...], ...]


def read_outlines(path: str | Path) -> tuple[Outline, ...]:
    """Read and check a ``regions.geojson`` file.

    Parameters
    ----------
    path
        The file (a GeoJSON FeatureCollection of Polygon or MultiPolygon
        features, each with a ``region`` property).

    Returns
    -------
    tuple of Outline
        One outline per feature, in file order.

    Raises
    ------
    NetworkError
        For a file over :data:`MAX_OUTLINES_BYTES`, text that is not JSON,
        anything but a FeatureCollection, a feature without a region name or
        with a region named twice, a geometry other than Polygon or
        MultiPolygon, a ring of fewer than 4 positions or not closed, and a
        position that is not a finite longitude/latitude pair in range.
    """
    path = Path(path)
    raw = read_user_bytes(
        path,
        limit=MAX_OUTLINES_BYTES,
        what="a GeoJSON FeatureCollection (simplify the outlines)",
        error=NetworkError,
    )
    try:
        text = raw.decode("utf-8")
        check_nesting(text, file=path, what="a GeoJSON file", toml=False, error=NetworkError)
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = str(exc).splitlines()[0]
        raise NetworkError(
            f"not valid JSON ({reason})", file=path, allowed="a GeoJSON FeatureCollection"
        ) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        found = f"type {data.get('type')!r}" if isinstance(data, dict) else "not an object"
        raise NetworkError(
            f"not a GeoJSON FeatureCollection ({found})",
            file=path,
            field="type",
            allowed="FeatureCollection",
        )
    features = data.get("features")
    if not isinstance(features, list):
        raise NetworkError(
            "features is not a list", file=path, field="features", allowed="a list of features"
        )
    outlines = tuple(
        _outline(feature, f"features[{i}]", path) for i, feature in enumerate(features)
    )
    seen: set[str] = set()
    for i, outline in enumerate(outlines):
        if outline.region in seen:
            raise NetworkError(
                f"region {outline.region!r} has a second outline",
                file=path,
                field=f"features[{i}].properties.region",
                allowed="one feature per region (a MultiPolygon for a region in several parts)",
            )
        seen.add(outline.region)
    return outlines


def _outline(feature: Any, field: str, path: Path) -> Outline:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise NetworkError(
            "not a GeoJSON Feature", file=path, field=f"{field}.type", allowed="Feature"
        )
    properties = feature.get("properties")
    region = properties.get("region") if isinstance(properties, dict) else None
    if not isinstance(region, str) or not region.strip():
        raise NetworkError(
            "no region name",
            file=path,
            field=f"{field}.properties.region",
            allowed="a non-empty text",
        )
    geometry = feature.get("geometry")
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in GEOMETRY_TYPES:
        raise NetworkError(
            f"geometry type {kind!r} for region {region!r}",
            file=path,
            field=f"{field}.geometry.type",
            allowed=", ".join(GEOMETRY_TYPES),
        )
    assert isinstance(geometry, dict)
    coords = geometry.get("coordinates")
    where = f"{field}.geometry.coordinates"
    polygons = [coords] if kind == "Polygon" else coords
    if not isinstance(polygons, list) or not polygons:
        raise NetworkError(
            f"no polygons for region {region!r}",
            file=path,
            field=where,
            allowed=f"a {kind} with at least one ring",
        )
    rings: list[tuple[Position, ...]] = []
    for p, polygon in enumerate(polygons):
        if not isinstance(polygon, list) or not polygon:
            at = where if kind == "Polygon" else f"{where}[{p}]"
            raise NetworkError(
                f"a polygon of region {region!r} has no rings",
                file=path,
                field=at,
                allowed="a list of rings (the outer ring, then holes)",
            )
        for r, ring in enumerate(polygon):
            at = f"{where}[{r}]" if kind == "Polygon" else f"{where}[{p}][{r}]"
            rings.append(_ring(ring, at, path))
    return Outline(region=region.strip(), rings=tuple(rings))


def _ring(ring: Any, field: str, path: Path) -> tuple[Position, ...]:
    if not isinstance(ring, list) or len(ring) < 4:
        count = len(ring) if isinstance(ring, list) else 0
        raise NetworkError(
            f"ring of {count} positions",
            file=path,
            field=field,
            allowed="closed rings of at least 4 positions",
        )
    points = tuple(_position(position, f"{field}[{i}]", path) for i, position in enumerate(ring))
    if points[0] != points[-1]:
        raise NetworkError(
            "ring not closed (its first and last positions differ)",
            file=path,
            field=field,
            allowed="closed rings: the last position repeats the first",
        )
    return points


def _position(position: Any, field: str, path: Path) -> Position:
    if (
        not isinstance(position, list)
        or len(position) not in (2, 3)
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position)
    ):
        raise NetworkError(
            f"position {json.dumps(position)[:60]} is not a pair of numbers",
            file=path,
            field=field,
            allowed=_POSITION,
        )
    lon, lat = float(position[0]), float(position[1])
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise NetworkError(
            f"position [{lon}, {lat}] out of range", file=path, field=field, allowed=_POSITION
        )
    return (lon, lat)
