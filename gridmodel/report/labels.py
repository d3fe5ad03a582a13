"""Words of the report: when a figure holds, what a restoration time means, the strikes.

Every headline number on a page names its time ("at the strike, 07:00", "at
the 17:00 peak"); every restoration time says what it counts; the missile
totals are explained from the waves that make them up. Pure functions of
``summary.json`` data, shared by the cards, the metrics table and the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

#: What a ``restore_h`` figure counts (its key is the share of demand, in %).
RESTORE_MEANING = "hours until that share of demand is served again and stays served"
#: Element kinds in words: (one, several).
KIND_WORDS: dict[str, tuple[str, str]] = {
    "substation": ("substation", "substations"),
    "bus": ("busbar", "busbars"),
    "line": ("line", "lines"),
    "trafo": ("transformer", "transformers"),
    "gen": ("plant", "plants"),
    "sgen": ("solar or wind plant", "solar or wind plants"),
}


def clock(value: object) -> str | None:
    """``"07:00"`` of an ISO time, ``None`` if there is none."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return pd.Timestamp(value).strftime("%H:%M")
    except (ValueError, TypeError):
        return None


def strike_label(summary: Mapping[str, Any]) -> str:
    """``"at the strike, 07:00"`` (the time of ``impact``), or ``"right after the strike"``."""
    when = clock((summary.get("impact") or {}).get("time"))
    return f"at the strike, {when}" if when else "right after the strike"


def peak_label(summary: Mapping[str, Any]) -> str:
    """``"at the 17:00 peak"`` (the time of ``impact_at_peak``), or ``"at peak demand"``."""
    when = clock((summary.get("impact_at_peak") or {}).get("time"))
    return f"at the {when} peak" if when else "at peak demand"


def restore_label(share: str) -> str:
    """``restore_h[share]`` in words: ``"hours until 90 % of demand is served again and ..."``."""
    return f"hours until {share} % of demand is served again and stays served"


#: Labels of the other restoration times of ``metrics``.
NETWORK_RESTORED = "hours until the last network outage ends (no dark or network-limited load)"
SUPPLY_RESTORED = "hours until the supply shortage ends (no load shed for want of generation)"


def count(value: object) -> str:
    """A count of customers as a whole number with separators, rounded once here."""
    return f"{round(float(value)):,}"  # type: ignore[arg-type]


def plural(n: int, one: str, many: str | None = None) -> str:
    """``"1 wave"``, ``"2 waves"``."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def draw_sentence(summary: Mapping[str, Any]) -> str:
    """What a run page shows when its strikes are random: one draw among many.

    Empty when the scenario draws nothing (``strikes.random`` false) or the
    summary predates the key.
    """
    strikes = summary.get("strikes") or {}
    if not strikes.get("random"):
        return ""
    sample, seed = summary.get("sample", 0), summary.get("seed")
    seeded = f" of seed {seed}" if seed is not None else ""
    return (
        f"This page shows one draw of a random scenario: sample {sample}{seeded}. "
        "Which missiles are intercepted and where the others hit are drawn at random; "
        "other samples give other outcomes (gridmodel montecarlo and gridmodel compare "
        "show the spread)."
    )


def strikes_sentence(strikes: Mapping[str, Any]) -> str:
    """The missile and hit totals explained from the waves that make them up.

    ``"90 missiles in 1 wave (61 intercepted) and 39 hits: wave 'X': 90
    missiles fired, 61 intercepted, 29 got through, 1 named target hit, 9 hits
    drawn at random, in all 39 hits (9 on plants, 30 on substations); 4 plants
    damaged before the strike carried over ('Y')."``

    Empty without ``strikes.waves`` (older summaries).
    """
    waves = strikes.get("waves")
    if not isinstance(waves, list) or not waves:
        return ""
    fresh = [w for w in waves if not w.get("carried")]
    carried = [w for w in waves if w.get("carried")]
    fired = [w for w in fresh if int(w.get("missiles") or 0) > 0]
    missiles = sum(int(w.get("missiles") or 0) for w in fresh)
    intercepted = sum(int(w.get("intercepted") or 0) for w in fresh)
    hits = sum(int(w.get("hits") or 0) for w in waves)
    head = (
        f"{plural(missiles, 'missile')} in {plural(len(fired), 'wave')} "
        f"({intercepted:,} intercepted) and {plural(hits, 'hit')}"
        if missiles
        else plural(hits, "hit")
    )
    first = min((float(w.get("time_h") or 0.0) for w in fresh), default=0.0)
    parts = [_wave_words(w, first) for w in fresh]
    if carried:
        kinds: dict[str, int] = {}
        for w in carried:
            for kind, n in (w.get("hits_by_kind") or {}).items():
                kinds[kind] = kinds.get(kind, 0) + int(n)
        names = ", ".join(f"'{w['name']}'" for w in carried if w.get("name"))
        parts.append(
            f"{_kinds_words(kinds)} damaged before the strike carried over"
            + (f" ({names})" if names else "")
        )
    return f"{head}: {'; '.join(parts)}."


def _wave_words(wave: Mapping[str, Any], first_h: float) -> str:
    """One wave: its name, time, salvos, other hits and what they hit."""
    name = f"wave '{wave['name']}'" if wave.get("name") else f"wave {int(wave['wave']) + 1}"
    later = float(wave.get("time_h") or 0.0) - first_h
    if later > 0:
        name += f" ({later:,.0f} h after the first)"
    sources = wave.get("hits_by_source") or {}
    words = []
    missiles = int(wave.get("missiles") or 0)
    if missiles:
        got = int(sources.get("salvos", 0))
        words.append(
            f"{plural(missiles, 'missile')} fired in salvos, "
            f"{int(wave.get('intercepted') or 0):,} intercepted, {got:,} got through and hit"
        )
    targeted = int(sources.get("targets", 0))
    if targeted:
        words.append(f"{plural(targeted, 'named target')} hit")
    drawn = int(sources.get("random", 0))
    if drawn:
        words.append(f"{plural(drawn, 'hit')} drawn at random")
    hits = int(wave.get("hits") or 0)
    kinds = {k: int(n) for k, n in (wave.get("hits_by_kind") or {}).items() if n}
    if hits and kinds:
        on = ", ".join(f"{n:,} on {KIND_WORDS.get(k, (k, k))[1]}" for k, n in sorted(kinds.items()))
        if len(words) > 1:
            words.append(f"in all {plural(hits, 'hit')} ({on})")
        else:  # one source: its hits are all the wave's
            words[-1] += f" ({on})"
    trips = int(wave.get("trips") or 0)
    if trips:
        words.append(f"{plural(trips, 'element')} tripped by protection, not damaged")
    note = str(wave.get("note") or "").strip().rstrip(".")
    return f"{name}: {', '.join(words) or 'no hits'}" + (f" ({note})" if note else "")


def _kinds_words(kinds: Mapping[str, int]) -> str:
    """``"4 plants and 1 substation"``."""
    items = [
        plural(n, *KIND_WORDS.get(kind, (kind, f"{kind} elements")))
        for kind, n in sorted(kinds.items())
        if n
    ]
    if not items:
        return "nothing"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
