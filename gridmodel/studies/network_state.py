"""The grid state the report's network map draws, as plain JSON.

``network_state.json`` in a run folder holds, per substation, its place,
region and state (``struck``, ``dark`` or ``energised``) with the load it lost,
and per branch its end substations, flow, loading and state (``in_service``,
``out``, ``struck`` or ``tripped``). The report reads only this file (and
``summary.json``), so it never needs the network or the engine again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

#: File name of the map state in a run folder.
NETWORK_STATE_FILE = "network_state.json"

#: Substation states, darkest first.
SUBSTATION_STATES: tuple[str, ...] = ("struck", "dark", "energised")
#: Branch states.
BRANCH_STATES: tuple[str, ...] = ("in_service", "out", "struck", "tripped")


def network_state(result: Any) -> dict[str, Any]:
    """The map state of a :class:`gridmodel.studies.run.RunResult` (first wave).

    Returns
    -------
    dict
        ``{"network", "substations": [...], "branches": [...]}``. A substation
        is *struck* when a hit names it or one of its buses, *dark* when none
        of its buses is energised, else *energised*. MW rounded to 1e-3 MW.
    """
    compiled = result.compiled
    outcome = result.outcome
    grid = result.grid
    bus_sub = grid.bus_substation
    pos_sub = [str(bus_sub.get(pp[0], "")) if pp else "" for pp in compiled.bus_pp]

    struck_subs: set[str] = set()
    struck_branches: set[tuple[str, int]] = set()
    first = min((h.wave for h in result.damage.hits), default=None)
    for hit in result.damage.hits:
        if hit.wave != first:
            continue
        element = hit.element
        if element.kind == "substation":
            struck_subs.add(str(element.id))
        elif element.kind == "bus" and int(element.id) in bus_sub.index:
            struck_subs.add(str(bus_sub[int(element.id)]))
        elif element.kind in ("line", "trafo"):
            struck_branches.add((element.kind, int(element.id)))

    energised: dict[str, bool] = {}
    for pos, sub in enumerate(pos_sub):
        energised[sub] = energised.get(sub, False) or bool(outcome.bus_energized[pos])

    load_sub = [pos_sub[int(b)] for b in compiled.load_bus]
    demand = np.asarray(outcome.load_demand_mw, dtype=float)
    unserved = demand - np.asarray(outcome.load_served_mw, dtype=float)
    from gridmodel.engine.figures import customers_off

    off = customers_off(compiled, outcome)
    per_sub: dict[str, list[float]] = {}
    for sub, d, u, c in zip(load_sub, demand, unserved, off, strict=True):
        acc = per_sub.setdefault(sub, [0.0, 0.0, 0.0])
        acc[0] += float(d)
        acc[1] += float(u)
        acc[2] += float(c)

    substations = []
    for sub_id, row in grid.substations.iterrows():
        sid = str(sub_id)
        if sid in struck_subs:
            state = "struck"
        elif not energised.get(sid, False):
            state = "dark"
        else:
            state = "energised"
        load, lost, customers = per_sub.get(sid, [0.0, 0.0, 0.0])
        substations.append(
            {
                "substation": sid,
                "name": str(row["name"]),
                "region": str(row["region"]),
                "lat": _num(row["lat"], 6),
                "lon": _num(row["lon"], 6),
                "vn_kv": _num(row["vn_kv"], 3),
                "state": state,
                "load_mw": _num(load, 3),
                "unserved_mw": _num(lost, 3),
                "customers_off": round(customers),
            }
        )

    trips = {(t.element.kind, int(t.element.id)): t for t in outcome.tripped}
    branches = []
    for k in range(compiled.n_branch):
        key = (str(compiled.branch_kind[k]), int(compiled.branch_index[k]))
        trip = trips.get(key)
        if key in struck_branches:
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
                "flow_mw": _num(outcome.branch_flow_mw[k], 3),
                "rating_mw": _num(compiled.branch_rating_mw[k], 3),
                "loading_percent": _num(loading, 3),
                "state": state,
                "trip_step": None if trip is None else int(trip.step),
            }
        )
    return {"network": grid.name, "substations": substations, "branches": branches}


def write_network_state(result: Any, folder: Path) -> Path:
    """Write :func:`network_state` of ``result`` to ``folder/network_state.json``."""
    path = Path(folder) / NETWORK_STATE_FILE
    text = json.dumps(network_state(result), indent=1, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def _num(value: Any, digits: int) -> float | None:
    """A finite float rounded to ``digits`` (``None`` for NaN or infinity)."""
    number = float(value)
    if not np.isfinite(number):
        return None
    rounded = round(number, digits)
    return 0.0 if rounded == 0 else rounded
