"""The loads of ``ua-grid``: five per load substation (see :mod:`demand`)."""

from __future__ import annotations

import math
from typing import Any

import pandapower as pp
import pandas as pd
from demand import CLASSES, assign_places, class_shares, substation_weights
from topology import Station

NUCLEAR_TYPES = ("nuclear",)


def load_stations(parts: Any, stations: list[Station]) -> dict[str, list[Station]]:
    """Load substations per oblast: Ukrainian substations in service, not tees or NPP yards."""
    nuclear = {
        parts.station_of[int(p.bus)].key
        for p in parts.plants.itertuples()
        if p.type in NUCLEAR_TYPES and not pd.isna(p.bus) and int(p.bus) in parts.station_of
    }
    out: dict[str, list[Station]] = {}
    for s in sorted(stations, key=lambda s: s.id):
        if s.kind == "substation" and s.in_service and s.key not in nuclear and min(s.buses) <= 330:
            out.setdefault(s.region, []).append(s)
    return out


def oblast_population(parts: Any) -> dict[str, float]:
    """People per oblast in December 2022 (see :mod:`demand`, step 2)."""
    places = parts.places
    out: dict[str, float] = {}
    for row in parts.oblasts.itertuples():
        mine = places[places["region"] == row.region]
        total = float(mine["population"].sum())
        held = float(mine.loc[mine["controlled"], "population"].sum())
        out[row.region] = float(row.population_m) * 1e6 * (held / total if total else 1.0)
    out["Kyiv city"] = parts.settings["kyiv_city_population_m"] * 1e6
    return out


def create_loads(
    net: Any, parts: Any, stations: list[Station], bus_of: dict[tuple[str, int], int]
) -> pd.DataFrame:
    """Create the loads; return ``loads.csv`` (load, customers, priority)."""
    s = parts.settings
    shares = class_shares(s)
    subs = load_stations(parts, stations)
    people = oblast_population(parts)
    held = parts.places[parts.places["controlled"]]
    fed = assign_places(held, subs, s["split_population"], s["city_split_km"])
    cities = held[held["population"] >= s["industry_city_population"]]
    city_fed = assign_places(cities, subs, s["split_population"], s["city_split_km"])
    metal = dict(zip(parts.metallurgy["region"], parts.metallurgy["share"], strict=True))
    city_people = {r: float(cities.loc[cities["region"] == r, "population"].sum()) for r in subs}
    total_people = sum(people[r] for r in subs)
    total_city = sum(city_people.values())
    tan_phi = math.tan(math.acos(s["power_factor"]))
    prewar = s["prewar_population_m"] * 1e6
    nonres_mw = s["peak_load_mw"] - shares.mw["households"] + shares.small_consumers_mw
    accounts_per_mw = s["nonhousehold_accounts"] / nonres_mw
    pinned = dict(zip(parts.demand["region"], parts.demand["peak_mw"], strict=True))
    region_mw = {
        r: _class_mw(r, shares, people, total_people, metal, city_people, total_city) for r in subs
    }
    free = sum(sum(v.values()) for r, v in region_mw.items() if r not in pinned)
    scale_free = (s["peak_load_mw"] - sum(pinned.values())) / free
    for r, mw in region_mw.items():
        scale = float(pinned[r]) / sum(mw.values()) if r in pinned else scale_free
        region_mw[r] = {k: v * scale for k, v in mw.items()}
    rows = []
    oblasts = parts.oblasts.set_index("region")
    for region in [r for r in oblasts.index if r in subs]:
        region_row = oblasts.loc[region]
        held_share = people[region] / (float(region_row["population_m"]) * 1e6)
        if region == "Kyiv city":
            held_share = 1.0
        households_accounts = (
            s["household_accounts"] * float(region_row["population_m"]) * 1e6 * held_share / prewar
        )
        weights = substation_weights(people[region], subs[region], fed)
        city_weights = (
            substation_weights(0.0, subs[region], city_fed) if city_people[region] > 0 else weights
        )
        mw = region_mw[region]
        small = mw["households"] * shares.small_consumers_mw / shares.mw["households"]
        for station in subs[region]:
            bus = bus_of[(station.id, _load_kv(station))]
            for priority, label in CLASSES:
                weight = city_weights[station.id] if label == "industry" else weights[station.id]
                p_mw = round(mw[label] * weight, 3)
                if label == "households":
                    customers = households_accounts * weight + small * weight * accounts_per_mw
                else:
                    customers = p_mw * accounts_per_mw
                index = pp.create_load(
                    net,
                    bus=bus,
                    p_mw=p_mw,
                    q_mvar=round(p_mw * tan_phi, 3),
                    name=f"{station.id} {label}",
                )
                rows.append(
                    {"load": int(index), "customers": round(customers), "priority": priority}
                )
    return pd.DataFrame(rows, columns=["load", "customers", "priority"])


def _class_mw(
    region: str,
    shares: Any,
    people: dict[str, float],
    total_people: float,
    metal: dict[str, float],
    city_people: dict[str, float],
    total_city: float,
) -> dict[str, float]:
    """MW per class in an oblast before the oblast totals are matched (step 2)."""
    mw = {
        label: shares.mw[label] * people[region] / total_people
        for label in ("critical", "defence", "essential", "households")
    }
    other_industry = shares.mw["industry"] - shares.metallurgy_mw
    mw["industry"] = shares.metallurgy_mw * float(metal.get(region, 0.0)) + (
        other_industry * city_people[region] / total_city
    )
    return mw


def _load_kv(station: Station) -> int:
    """The bus a substation's load hangs on: its lowest level of 220 kV or more, else its lowest."""
    levels = sorted(station.buses)
    return next((kv for kv in levels if kv >= 220), levels[0])
