"""The grid state the report's network map draws (``network_state.json``).

Per substation its place, region and state (``struck``, ``dark`` or
``energised``) with the load it lost; per branch its end substations, flow,
loading and state (``in_service``, ``out``, ``struck`` or ``tripped``); per
region outline of the network (if it has any) its rings of ``[lon, lat]``. The
state of the grid right after the first wave is decided here, where the
damage and the engine's outcome are known; the report only draws it.
"""

from __future__ import annotations

import numpy as np

from gridmodel.contract import (
    BranchState,
    NetworkStateJson,
    RegionOutline,
    SubstationState,
    finite_or_none,
)
from gridmodel.engine import CompiledGrid, Outcome, figures
from gridmodel.strikes import Damage


def network_state(compiled: CompiledGrid, outcome: Outcome, damage: Damage) -> NetworkStateJson:
    """The map state of the grid right after the first wave of ``damage``.

    A substation is *struck* when a hit of the first wave names it or one of
    its buses, *dark* when none of its buses is energised, else *energised*.
    MW rounded to 1e-3 MW.
    """
    grid = compiled.grid
    bus_sub = grid.bus_substation
    pos_sub = [str(bus_sub.get(pp[0], "")) if pp else "" for pp in compiled.bus_pp]
    struck_subs, struck_branches = _struck(compiled, damage)
    energised: dict[str, bool] = {}
    for pos, sub in enumerate(pos_sub):
        energised[sub] = energised.get(sub, False) or bool(outcome.bus_energized[pos])
    names = tuple(str(s) for s in grid.substations.index)
    code = {s: i for i, s in enumerate(names)}  # every bus is in one substation (metadata)
    load_sub = np.array([code[pos_sub[int(b)]] for b in compiled.load_bus], dtype=np.int64)
    per_sub = figures(compiled, outcome, group_of_load=load_sub, groups=names)
    substations: list[SubstationState] = []
    for i, (sub_id, row) in enumerate(grid.substations.iterrows()):
        sid = str(sub_id)
        state = "struck" if sid in struck_subs else "energised" if energised.get(sid) else "dark"
        substations.append(
            {
                "substation": sid,
                "name": str(row["name"]),
                "region": str(row["region"]),
                "lat": finite_or_none(row["lat"], 6),
                "lon": finite_or_none(row["lon"], 6),
                "vn_kv": finite_or_none(row["vn_kv"], 3),
                "state": state,
                "load_mw": finite_or_none(per_sub.load_mw[i], 3),
                "unserved_mw": finite_or_none(per_sub.unserved_mw[i], 3),
                "customers_off": round(float(per_sub.customers_off[i])),
            }
        )
    branches = _branches(compiled, outcome, pos_sub, struck_branches)
    outlines: list[RegionOutline] = [
        {"region": o.region, "rings": [[[lon, lat] for lon, lat in ring] for ring in o.rings]}
        for o in grid.outlines
    ]
    return {
        "network": grid.name,
        "substations": substations,
        "branches": branches,
        "outlines": outlines,
    }


def _struck(compiled: CompiledGrid, damage: Damage) -> tuple[set[str], set[tuple[str, int]]]:
    """Substations and branches hit by the first wave."""
    bus_sub = compiled.grid.bus_substation
    subs: set[str] = set()
    branches: set[tuple[str, int]] = set()
    first = min((h.wave for h in damage.hits), default=None)
    for hit in damage.hits:
        element = hit.element
        if hit.wave != first:
            continue
        if element.kind == "substation":
            subs.add(str(element.id))
        elif element.kind == "bus" and int(element.id) in bus_sub.index:
            subs.add(str(bus_sub[int(element.id)]))
        elif element.kind in ("line", "trafo"):
            branches.add((element.kind, int(element.id)))
    return subs, branches


def _branches(
    compiled: CompiledGrid,
    outcome: Outcome,
    pos_sub: list[str],
    struck: set[tuple[str, int]],
) -> list[BranchState]:
    trips = {(t.element.kind, int(t.element.id)): t for t in outcome.tripped}
    branches: list[BranchState] = []
    for k in range(compiled.n_branch):
        key = (str(compiled.branch_kind[k]), int(compiled.branch_index[k]))
        trip = trips.get(key)
        if key in struck:
            state = "struck"
        elif trip is not None:
            state = "tripped"
        elif bool(outcome.branch_in_service[k]):
            state = "in_service"
        else:
            state = "out"
        loading = trip.loading_percent if trip else float(outcome.branch_loading_percent[k])
        branches.append(
            {
                "element": key[0],
                "index": key[1],
                "from": pos_sub[int(compiled.branch_from[k])],
                "to": pos_sub[int(compiled.branch_to[k])],
                "flow_mw": finite_or_none(outcome.branch_flow_mw[k], 3),
                "rating_mw": finite_or_none(compiled.branch_rating_mw[k], 3),
                "loading_percent": finite_or_none(loading, 3),
                "state": state,
                "trip_step": None if trip is None else int(trip.step),
            }
        )
    return branches
