"""Peak demand of ``ua-grid``: by class, by oblast, by substation; customers.

Method (every figure is in ``inputs/settings.csv`` with its source):

1. **Classes, nationally.** Net consumption by sector in 2020 (Ministry of
   Energy) is moved to 2022 with the published changes (industry -45 %,
   households -16 %, all consumption -31.5 %; the other sectors take the
   change that makes the total). The classes of the national ~18 GW winter
   peak take the 2022 energy shares: *critical* = communal services (water,
   sewage, heat, hospitals); *defence* = an estimated share of demand, taken
   from industry (withheld in wartime); *essential* = food industry,
   agriculture and transport; *industry* = the rest of industry;
   *households* = households plus small consumers (construction, shops,
   offices), who are rotated with them. Energy shares stand in for shares of
   the evening peak.
2. **Oblasts.** Population-driven classes follow the oblast's population in
   December 2022: the pre-war population (DOMAIN.md) times the share of its
   places (GeoNames) on government-controlled territory; Kyiv city from the
   city's own count (3.6 million). Metallurgy (55 % of 2020 industrial use)
   goes to the steel and ore centres (``inputs/metallurgy.csv``, an
   estimate), the rest of industry to oblasts by the population of their
   cities of at least ``industry_city_population``.
3. **Substations.** Each place of the oblast (GeoNames, at least 5,000
   inhabitants, government-controlled) is fed by its nearest load
   substation in the oblast; a place of at least ``split_population`` by
   every load substation of the oblast within ``city_split_km`` (a large city
   has several infeeds, so one hit darkens part of it). The oblast's
   population outside the listed places is spread evenly. Industry follows
   the cities only.
4. **Customers.** Household accounts (Ukrstat, 14.7 million) are spread over
   oblasts by pre-war population (the accounts outlive the displacement) cut
   to the controlled share, then over substations like households.
   Non-household accounts (0.42 million) are spread over the non-household
   MW of every class (the small consumers in the household class included).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from topology import Station, great_circle_km

#: Load classes: (priority number, label). Industry is class 5 (see gridmodel's
#: PRIORITY_CLASSES): the restoration priority of Dec 2022 does not list it.
CLASSES: tuple[tuple[int, str], ...] = (
    (1, "critical"),
    (2, "defence"),
    (3, "essential"),
    (4, "households"),
    (5, "industry"),
)


@dataclass(frozen=True)
class ClassShares:
    """National MW of each class at the peak, and the small consumers inside households."""

    mw: dict[str, float]
    small_consumers_mw: float
    metallurgy_mw: float


def class_shares(settings: dict[str, float]) -> ClassShares:
    """Split the national peak into classes (step 1 of the module notes)."""
    s = settings
    industry = s["sector_industry_twh"] * (1 + s["change_industry_2022"])
    food = s["sector_food_twh"] * (1 + s["change_industry_2022"])
    metallurgy = s["sector_metallurgy_twh"] * (1 + s["change_industry_2022"])
    households = s["sector_households_twh"] * (1 + s["change_households_2022"])
    others_2020 = (
        s["sector_communal_twh"]
        + s["sector_transport_twh"]
        + s["sector_agriculture_twh"]
        + s["sector_other_twh"]
    )
    total_2020 = others_2020 + s["sector_industry_twh"] + s["sector_households_twh"]
    total = total_2020 * (1 + s["change_total_2022"])
    other_factor = (total - industry - households) / others_2020
    twh = {
        "critical": s["sector_communal_twh"] * other_factor,
        "defence": s["defence_share"] * total,
        "essential": food
        + (s["sector_transport_twh"] + s["sector_agriculture_twh"]) * other_factor,
        "households": households + s["sector_other_twh"] * other_factor,
    }
    twh["industry"] = industry - food - twh["defence"]
    peak = s["peak_load_mw"]
    mw = {label: peak * value / total for label, value in twh.items()}
    return ClassShares(
        mw=mw,
        small_consumers_mw=peak * s["sector_other_twh"] * other_factor / total,
        metallurgy_mw=peak * metallurgy / total,
    )


def assign_places(
    places: pd.DataFrame,
    load_stations: dict[str, list[Station]],
    split_population: float,
    split_km: float,
) -> dict[str, float]:
    """Population (of listed places) fed by each load substation (step 3).

    ``places`` must have ``region``, ``lat``, ``lon``, ``population`` (only the
    government-controlled places of Ukraine); ``load_stations`` maps a region
    to its load substations.
    """
    fed: dict[str, float] = {s.id: 0.0 for subs in load_stations.values() for s in subs}
    for place in places.itertuples():
        subs = load_stations.get(str(place.region), [])
        if not subs:
            continue
        dist = [great_circle_km(place.lat, place.lon, s.lat, s.lon) for s in subs]
        near = [s for s, d in zip(subs, dist, strict=True) if d <= split_km]
        if place.population < split_population or not near:
            near = [subs[min(range(len(subs)), key=lambda i: (dist[i], subs[i].id))]]
        for s in near:
            fed[s.id] += float(place.population) / len(near)
    return fed


def substation_weights(
    region_population: float,
    stations: list[Station],
    fed: dict[str, float],
) -> dict[str, float]:
    """Share of the oblast's population-driven load at each of its substations."""
    listed = sum(fed[s.id] for s in stations)
    rest = max(region_population - listed, 0.0) / len(stations)
    weights = {s.id: fed[s.id] + rest for s in stations}
    total = sum(weights.values())
    return {k: v / total for k, v in weights.items()}
