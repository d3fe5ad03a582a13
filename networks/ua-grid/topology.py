"""The transmission topology of ``ua-grid`` from the GridKit extract of the ENTSO-E map.

Reads ``inputs/buses.csv``, ``lines.csv`` and ``transformers.csv`` (GridKit's
columns; strings quoted with ``'``) and decides, for every source bus and
line, whether it is in the model and why not:

- **voltage**: GridKit reports the lower bound of a voltage range; the
  Ukrainian levels are 750, 500, 400 (GridKit 380), 330 (300), 220 and 110 kV
  (132: the 110-150 kV range);
- **under construction** (``under_construction``): left out, not built in 2022;
- **occupied**: a station inside the front line of December 2022
  (``inputs/front_2022-12.csv``) is left out, except where
  ``inputs/station_overrides.csv`` says otherwise (the Zaporizhzhia nuclear
  plant's switchyard stayed connected to Ukraine's grid for its own needs);
- **Russia and Belarus**: their border stations are kept as out-of-service
  buses, and the ties to them are out of service (disconnected on
  24 February 2022);
- **joints**: GridKit's synthetic ``joint`` buses where lines meet without a
  station. A joint between exactly two lines of the same voltage is merged
  away (the two become one line, lengths added); a joint of three or more
  lines is kept as a tee (a bus of its own, in a substation marked as such).

Stations become substations; buses of one station at different voltages are
joined by transformers (:func:`transformer_pairs`). Stations closer than
:data:`MERGE_KM` to each other are merged into one substation.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

#: GridKit voltage (lower bound of the map's range) -> nominal kV in Ukraine.
NOMINAL_KV: dict[float, int] = {
    750.0: 750,
    500.0: 500,
    380.0: 400,
    300.0: 330,
    220.0: 220,
    132.0: 110,
}
#: Stations closer than this are one substation (km).
MERGE_KM = 1.0
#: Countries whose border stations are in the model, and how.
EU_COUNTRIES = ("PL", "SK", "HU", "RO")
DISCONNECTED_COUNTRIES = ("RU", "BY")
EARTH_RADIUS_KM = 6371.0
#: Region of a foreign station: its country.
COUNTRY_NAMES = {
    "PL": "Poland",
    "SK": "Slovakia",
    "HU": "Hungary",
    "RO": "Romania",
    "MD": "Moldova",
    "RU": "Russia",
    "BY": "Belarus",
}


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in km on a sphere of radius 6,371 km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def read_gridkit(path: Path) -> pd.DataFrame:
    """A GridKit CSV file (single quotes around strings)."""
    return pd.read_csv(path, quotechar="'")


@dataclass
class SourceBus:
    """One bus of the extract and what the model does with it."""

    bus_id: int
    station_id: int
    kv: int
    country: str  # "UA", a foreign ISO code, or "" for a GridKit joint
    lon: float
    lat: float
    region: str
    status: str  # "kept", "out_of_service", "left_out" or "merged" (a joint merged away)
    reason: str = ""
    symbol: str = "Substation"  # the map's station type: "Substation" or a plant type


@dataclass
class Station:
    """A substation of the model: one or more source stations at one place."""

    key: int  # the first source station id
    kind: str  # "substation", "tee", "border", "equivalent"
    country: str
    region: str
    lon: float
    lat: float
    buses: dict[int, list[int]] = field(default_factory=dict)  # kV -> source bus ids
    in_service: bool = True
    id: str = ""
    name: str = ""


@dataclass(frozen=True)
class SourceLine:
    """A line of the model: one source line, or two joined at a joint."""

    line_ids: tuple[int, ...]
    bus0: int
    bus1: int
    kv: int
    circuits: int
    length_km: float
    in_service: bool
    note: str = ""


@dataclass
class Topology:
    """Everything :func:`topology` decides."""

    buses: dict[int, SourceBus]
    stations: list[Station]
    station_of_bus: dict[int, Station]
    lines: list[SourceLine]
    dropped_lines: list[tuple[int, str]]  # source line id, reason


def classify_buses(
    buses: pd.DataFrame,
    overrides: pd.DataFrame,
    region_of: Callable[[float, float], str | None],
    occupied: Callable[[float, float], bool],
) -> dict[int, SourceBus]:
    """Decide the status of every source bus (see the module notes).

    ``region_of(lon, lat)`` names the oblast holding a point (``None``: outside
    Ukraine); ``occupied(lon, lat)`` says whether it lay behind the front line
    in December 2022.
    """
    override = {int(r.station_id): r for r in overrides.itertuples()}
    out: dict[int, SourceBus] = {}
    for row in buses.itertuples():
        country = "" if pd.isna(row.country) else str(row.country)
        lon, lat = float(row.x), float(row.y)
        region = (region_of(lon, lat) or "") if country in ("UA", "") else COUNTRY_NAMES[country]
        bus = SourceBus(
            int(row.bus_id),
            int(row.station_id),
            NOMINAL_KV[float(row.voltage)],
            country,
            lon,
            lat,
            region,
            "kept",
            symbol=str(row.symbol),
        )
        fixed = override.get(bus.station_id)
        if fixed is not None and isinstance(fixed.region, str) and fixed.region:
            bus.region = fixed.region
        if fixed is not None and isinstance(fixed.status, str) and fixed.status:
            bus.status, bus.reason = fixed.status, str(fixed.reason)
        elif country in DISCONNECTED_COUNTRIES:
            bus.status = "out_of_service"
            bus.reason = "Russia and Belarus: disconnected from Ukraine's grid on 24 Feb 2022"
        elif country in ("UA", "") and occupied(lon, lat):
            bus.status = "left_out"
            bus.reason = f"occupied in December 2022 ({region or 'Sea of Azov coast'})"
        elif row.under_construction == "t":
            bus.status, bus.reason = "left_out", "under construction in the March 2022 map"
        elif country == "" and not region:
            bus.status, bus.reason = "left_out", "joint outside Ukraine"
        out[bus.bus_id] = bus
    return out


def join_lines(
    lines: pd.DataFrame, buses: dict[int, SourceBus]
) -> tuple[list[SourceLine], list[tuple[int, str]]]:
    """Lines of the model: drop what cannot be built, merge lines through two-line joints."""
    kept: list[SourceLine] = []
    dropped: list[tuple[int, str]] = []
    for row in lines.sort_values("line_id").itertuples():
        a, b = buses.get(int(row.bus0)), buses.get(int(row.bus1))
        line_id = int(row.line_id)
        if a is None or b is None:
            dropped.append((line_id, "an end is not in the extract"))
            continue
        if bool(row.under_construction):
            dropped.append((line_id, "under construction in the March 2022 map"))
            continue
        left = [x for x in (a, b) if x.status == "left_out"]
        if left:
            dropped.append((line_id, f"ends at a bus left out: {left[0].reason}"))
            continue
        in_service = a.status == "kept" and b.status == "kept"
        note = "" if in_service else "tie to Russia or Belarus, disconnected on 24 Feb 2022"
        kept.append(
            SourceLine(
                (line_id,),
                a.bus_id,
                b.bus_id,
                NOMINAL_KV[float(row.voltage)],
                int(row.circuits),
                float(row.length) / 1000.0,
                in_service,
                note,
            )
        )
    return _merge_joints(kept, buses), dropped


def _merge_joints(lines: list[SourceLine], buses: dict[int, SourceBus]) -> list[SourceLine]:
    """Replace each pair of lines meeting at a two-line joint by one line."""
    while True:
        at: dict[int, list[int]] = {}
        for k, line in enumerate(lines):
            for end in (line.bus0, line.bus1):
                at.setdefault(end, []).append(k)
        joint = next(
            (
                j
                for j, ks in sorted(at.items())
                if buses[j].country == ""
                and len(ks) == 2
                and lines[ks[0]].kv == lines[ks[1]].kv
                and lines[ks[0]].in_service == lines[ks[1]].in_service
            ),
            None,
        )
        if joint is None:
            return lines
        buses[joint].status = "merged"
        buses[joint].reason = "joint between two lines: they are one line of the model"
        first, second = (lines[k] for k in at[joint])
        far0 = first.bus1 if first.bus0 == joint else first.bus0
        far1 = second.bus1 if second.bus0 == joint else second.bus0
        merged = SourceLine(
            first.line_ids + second.line_ids,
            far0,
            far1,
            first.kv,
            min(first.circuits, second.circuits),
            first.length_km + second.length_km,
            first.in_service,
            first.note,
        )
        lines = [x for k, x in enumerate(lines) if k not in at[joint]] + [merged]


def group_stations(
    buses: dict[int, SourceBus], lines: list[SourceLine], plant_buses: set[int]
) -> dict[int, Station]:
    """Source stations of the used buses, merged when closer than :data:`MERGE_KM`.

    A bus is used when a line of the model ends there or a plant connects to it.
    """
    used = {end for line in lines for end in (line.bus0, line.bus1)} | plant_buses
    stations: dict[int, Station] = {}
    station_of: dict[int, Station] = {}
    for bus in sorted(buses.values(), key=lambda b: (b.station_id, b.bus_id)):
        if bus.bus_id not in used or bus.status == "left_out":
            continue
        station = _near(stations.values(), bus) or stations.setdefault(
            bus.station_id,
            Station(
                bus.station_id,
                _kind(bus),
                bus.country,
                bus.region,
                bus.lon,
                bus.lat,
                in_service=bus.status == "kept",
            ),
        )
        station.buses.setdefault(bus.kv, []).append(bus.bus_id)
        station_of[bus.bus_id] = station
    return station_of


def _kind(bus: SourceBus) -> str:
    if bus.country == "":
        return "tee"
    return "substation" if bus.country == "UA" else "border"


def _near(stations: Iterable[Station], bus: SourceBus) -> Station | None:
    for station in stations:
        if station.key == bus.station_id:
            return station
        same_side = station.country == bus.country and station.in_service == (bus.status == "kept")
        if same_side and great_circle_km(station.lat, station.lon, bus.lat, bus.lon) < MERGE_KM:
            return station
    return None


def transformer_pairs(station: Station) -> list[tuple[int, int]]:
    """(hv, lv) kV pairs joined by transformers: each level to the next one up."""
    levels = sorted(station.buses, reverse=True)
    return list(itertools.pairwise(levels))


def prune_islands(
    buses: dict[int, SourceBus], lines: list[SourceLine]
) -> tuple[list[SourceLine], list[tuple[int, str]]]:
    """Leave out kept buses that no in-service line joins to the main grid.

    Such buses (a border station reached only over a tie to Russia or
    Belarus, a station whose other lines are left out) would be dark in the
    intact grid. Returns the remaining lines and the source ids of the
    lines dropped with them.
    """
    parent: dict[int, int] = {}

    def root(b: int) -> int:
        while parent.setdefault(b, b) != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        return b

    ends: dict[int, int] = {}
    for line in lines:
        for end in (line.bus0, line.bus1):
            ends[end] = ends.get(end, 0) + 1
    used = [b for b in buses.values() if b.status == "kept" and b.bus_id in ends]
    group: dict[int | str, int] = {}
    for bus in used:
        # one station; the Moldovan (and the EU) border stations are joined by their equivalent
        key: int | str = bus.country if bus.country in ("MD", *EU_COUNTRIES) else bus.station_id
        key = "EU" if key in EU_COUNTRIES else key
        parent[root(bus.bus_id)] = root(group.setdefault(key, bus.bus_id))
    for line in lines:
        if line.in_service:
            parent[root(line.bus0)] = root(line.bus1)
    size: dict[int, int] = {}
    for bus in used:
        size[root(bus.bus_id)] = size.get(root(bus.bus_id), 0) + 1
    main = max(size, key=lambda r: (size[r], -r))
    for bus in used:
        if bus.country == "" and ends[bus.bus_id] == 1:
            bus.status = "left_out"
            bus.reason = "joint at the end of a single line: its other lines are left out"
    for bus in used:
        if bus.status == "kept" and root(bus.bus_id) != main:
            bus.status = "left_out"
            bus.reason = "no line in service joins it to the grid (its other lines are left out)"
    gone = [
        x for x in lines if buses[x.bus0].status == "left_out" or buses[x.bus1].status == "left_out"
    ]
    dropped = [
        (i, "ends at a bus left out: not joined to the grid") for x in gone for i in x.line_ids
    ]
    return [x for x in lines if x not in gone], dropped
