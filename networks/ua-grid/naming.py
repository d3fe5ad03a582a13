"""Ids and display names of the ``ua-grid`` substations.

The GridKit extract has no station names, so names come from places
(``inputs/places.csv``: GeoNames places of Ukraine and Moldova with at least
5,000 inhabitants, CC-BY 4.0):

- a station where a plant of ``inputs/plants.csv`` connects takes the plant's
  name and id (``Burshtyn TPP``, ``BURSHTYN_TPP``);
- any other station is named after the nearest place with at least
  :data:`TOWN_POPULATION` inhabitants within :data:`TOWN_RADIUS_KM`, else after
  the nearest place of any size in the list; a station more than
  :data:`CENTRE_KM` from that place gets the compass direction from it
  (``Kyiv NE``, ``KYIV_NE``); two stations with the same name are numbered
  (``KYIV_NE_2``);
- a tee (lines meeting without a station) is ``T-junction near <place>``,
  ``TEE_<PLACE>``;
- foreign border stations take the name in ``inputs/station_overrides.csv``
  or ``<country> border <n>``.
"""

from __future__ import annotations

import math
import re
import unicodedata

import pandas as pd
from topology import COUNTRY_NAMES, Station, great_circle_km

TOWN_POPULATION = 20_000
TOWN_RADIUS_KM = 25.0
CENTRE_KM = 5.0
COMPASS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def ascii_id(text: str) -> str:
    """An upper-case ASCII identifier (``Bila Tserkva`` -> ``BILA_TSERKVA``)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    plain = re.sub(r"['`’ʼ]", "", plain)
    return re.sub(r"[^A-Za-z0-9]+", "_", plain).strip("_").upper()


def bearing(lat1: float, lon1: float, lat2: float, lon2: float) -> str:
    """Compass direction (8 points) from point 1 to point 2."""
    dx = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    dy = lat2 - lat1
    angle = math.degrees(math.atan2(dx, dy)) % 360
    return COMPASS[int((angle + 22.5) // 45) % 8]


def nearest_place(station: Station, places: pd.DataFrame) -> tuple[str, float, float, float]:
    """(name, lat, lon, distance km) of the place a station is named after."""
    country = station.country or "UA"
    pool = places[places["country"] == country]
    if pool.empty:
        pool = places
    dist = [
        great_circle_km(station.lat, station.lon, float(la), float(lo))
        for la, lo in zip(pool["lat"], pool["lon"], strict=True)
    ]
    pool = pool.assign(km=dist)
    towns = pool[(pool["population"] >= TOWN_POPULATION) & (pool["km"] <= TOWN_RADIUS_KM)]
    best = (towns if not towns.empty else pool).sort_values(["km", "name"]).iloc[0]
    return str(best["name"]), float(best["lat"]), float(best["lon"]), float(best["km"])


def name_stations(
    stations: list[Station],
    places: pd.DataFrame,
    plant_names: dict[int, tuple[str, str]],
    fixed_names: dict[int, str],
) -> None:
    """Set ``id`` and ``name`` of every station (see the module notes).

    ``plant_names`` maps a station key to (plant id, plant name);
    ``fixed_names`` a station key to a name from the overrides file.
    """
    taken: dict[str, int] = {}
    border_count: dict[str, int] = {}
    for station in sorted(stations, key=lambda s: s.key):
        if station.key in plant_names:
            base_id, name = plant_names[station.key]
        elif station.key in fixed_names:
            name = fixed_names[station.key]
            base_id = ascii_id(name)
        elif station.kind == "equivalent":
            base_id, name = station.id, station.name
        elif station.country not in ("UA", "", "MD"):
            country = COUNTRY_NAMES[station.country]
            border_count[country] = border_count.get(country, 0) + 1
            name = f"{country} border {border_count[country]}"
            base_id = ascii_id(name)
        else:
            place, lat, lon, km = nearest_place(station, places)
            place = re.sub(
                r"['`’ʼ]", "", place
            )  # the soft sign, dropped as in Ukraine's 2010 romanisation
            name = place
            if km > CENTRE_KM:
                name = f"{place} {bearing(lat, lon, station.lat, station.lon)}"
            if station.kind == "tee":
                name = f"T-junction near {name}"
                base_id = "TEE_" + ascii_id(name.removeprefix("T-junction near "))
            else:
                base_id = ascii_id(name)
        count = taken.get(base_id, 0) + 1
        taken[base_id] = count
        station.id = base_id if count == 1 else f"{base_id}_{count}"
        station.name = name if count == 1 else f"{name} {count}"
