"""``strikes`` of ``summary.json``: what one sample's strikes did, wave by wave.

A wave's ``name`` in a scenario file is free text, often a reported figure
("76 missiles, 60 shot down"), while the sample's totals count every salvo
of every wave, the hits on named targets, the hits drawn at random and the
damage carried over from before the scenario. The per-wave rows here let a
reader (and the report) reconcile the two: for each wave its salvo missiles
and how many were intercepted, and how many hits came from salvos, named
targets and random picks, by element kind.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from gridmodel.scenario import Scenario
from gridmodel.strikes import Damage

#: Hit sources as the scenario fields that cause them (a hit's ``origin``).
SOURCES: tuple[str, ...] = ("salvos", "targets", "random")


def strikes_summary(scenario: Scenario, damage: Damage) -> dict[str, Any]:
    """The ``strikes`` object: totals, ``random``, ``waves``, every hit and trip.

    ``random`` is true when a wave has salvos or random picks, whose targets,
    interceptions and severities are drawn per sample: the run is then one
    draw among many (sample ``n`` of the seed).
    """
    return {
        "missiles": int(damage.missiles),
        "intercepted": int(damage.intercepted),
        "random": any(w.salvos or w.random for w in scenario.waves),
        "waves": waves_summary(scenario, damage),
        "hits": [
            {
                "wave": h.wave,
                "time_h": float(h.time_h),
                "element": str(h.element),
                "severity": round(float(h.severity), 6),
                "origin": h.origin,
            }
            for h in damage.hits
        ],
        "trips": [
            {"wave": t.wave, "time_h": float(t.time_h), "element": str(t.element)}
            for t in damage.trips
        ],
    }


def waves_summary(scenario: Scenario, damage: Damage) -> list[dict[str, Any]]:
    """One row per wave of the scenario, in file order.

    Keys: ``wave`` (index), ``name``, ``note``, ``time_h``, ``carried``, ``missiles``
    (fired in its salvos), ``intercepted``, ``hits`` (all of the wave's
    hits), ``hits_by_source`` (``salvos``, ``targets``, ``random``),
    ``hits_by_kind`` (element kind -> hits, e.g. ``{"gen": 4}``) and
    ``trips``. Salvo hits are the missiles that got through:
    ``missiles - intercepted``.
    """
    rows = []
    for i, wave in enumerate(scenario.waves):
        hits = damage.hits_in(i)
        sources = Counter(_source(h.origin) for h in hits)
        kinds = Counter(h.element.kind for h in hits)
        missiles = int(wave.missiles)
        rows.append(
            {
                "wave": i,
                "name": wave.name,
                "note": wave.note,
                "time_h": float(wave.time_h),
                "carried": bool(wave.carried),
                "missiles": missiles,
                "intercepted": missiles - sources["salvos"],
                "hits": len(hits),
                "hits_by_source": {s: sources[s] for s in SOURCES},
                "hits_by_kind": dict(sorted(kinds.items())),
                "trips": sum(1 for t in damage.trips if t.wave == i),
            }
        )
    return rows


def _source(origin: str) -> str:
    """``"salvos"`` of ``"waves[0].salvos[1]"``."""
    return origin.rsplit(".", 1)[-1].split("[", 1)[0]
