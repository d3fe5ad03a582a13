"""The metadata tables of ``ua-grid``: substations, regions, provenance."""

from __future__ import annotations

from typing import Any

import pandas as pd
from topology import SourceLine, Station


def substations_table(stations: list[Station]) -> pd.DataFrame:
    rows = [
        {
            "substation": s.id,
            "name": s.name,
            "region": s.region,
            "lat": round(s.lat, 6),
            "lon": round(s.lon, 6),
        }
        for s in sorted(stations, key=lambda s: s.id)
    ]
    return pd.DataFrame(rows)


def regions_table(parts: Any, stations: list[Station]) -> pd.DataFrame:
    rows = [{"region": str(r.region), "groups": int(r.groups)} for r in parts.oblasts.itertuples()]
    present = {r["region"] for r in rows}
    for s in sorted(stations, key=lambda s: s.id):
        if s.region not in present:
            present.add(s.region)
            rows.append({"region": s.region, "groups": 1})
    return pd.DataFrame(rows)


def provenance_table(
    parts: Any,
    bus_of: dict[tuple[str, int], int],
    source_bus: dict[int, int],
    line_rows: list[tuple[int, SourceLine]],
) -> pd.DataFrame:
    """Where every bus and line comes from, and what was left out or merged, and why."""
    rows: list[dict[str, Any]] = []
    sources: dict[int, list[int]] = {}
    for b, pp_bus in source_bus.items():
        sources.setdefault(pp_bus, []).append(b)
    for (sub, _kv), pp_bus in sorted(bus_of.items(), key=lambda x: x[1]):
        ids = sorted(sources.get(pp_bus, []))
        rows.append(
            {
                "element": "bus",
                "index": pp_bus,
                "substation": sub,
                "source": " ".join(map(str, ids)),
                "status": "model",
                "reason": "",
            }
        )
    for index, line in line_rows:
        rows.append(
            {
                "element": "line",
                "index": index,
                "substation": "",
                "source": " ".join(map(str, line.line_ids)),
                "status": "model",
                "reason": line.note,
            }
        )
    for b in sorted(parts.buses):
        bus = parts.buses[b]
        station = parts.station_of.get(b)
        if station is not None and station.key == bus.station_id:
            continue
        if station is not None:
            status, reason = "merged", f"within 1 km of {station.id}"
        elif bus.status in ("left_out", "merged"):
            status, reason = bus.status, bus.reason
        else:
            status, reason = (
                "unused",
                bus.reason
                or "no line of the model ends here: its lines are under construction or left out",
            )
        rows.append(
            {
                "element": "source_bus",
                "index": "",
                "substation": station.id if station else "",
                "source": str(b),
                "status": status,
                "reason": reason,
            }
        )
    for line_id, reason in parts.dropped:
        rows.append(
            {
                "element": "source_line",
                "index": "",
                "substation": "",
                "source": str(line_id),
                "status": "left_out",
                "reason": reason,
            }
        )
    return pd.DataFrame(rows)
