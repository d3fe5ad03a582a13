"""What one sample of a scenario's strikes did: hits, protection trips, missiles.

The :class:`Damage` of a sample is what the later stages read: the engine
takes the damaged and tripped elements out, the restoration turns each hit
into a repair task and each protection trip into a return without a crew.

Severity of repeated hits
-------------------------
Several hits on the same element in the same wave add up, capped at 1: two
hits of severity 0.4 make 0.8, three make 1.0 (:func:`combine_severity`).
Hits in different waves are not combined here: each wave's damage arrives at
its own time, and the restoration timeline decides what a new hit on an
element under repair means.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridmodel.network.grid import Element


@dataclass(frozen=True)
class Hit:
    """One hit on one element.

    ``origin`` is the scenario field that caused it (``waves[0].targets[2]``,
    ``waves[0].salvos[1]``, ``waves[1].random[0]``).
    """

    wave: int
    time_h: float
    element: Element
    severity: float
    origin: str


@dataclass(frozen=True)
class ProtectionTrip:
    """An element disconnected by protection, back after ``resync_h`` without a crew."""

    wave: int
    time_h: float
    element: Element
    resync_h: float


def combine_severity(severities: list[float] | tuple[float, ...]) -> float:
    """Severity of several hits on one element: their sum, capped at 1."""
    return float(min(1.0, sum(severities)))


@dataclass(frozen=True)
class Damage:
    """What one sample of a scenario's strikes did.

    ``hits`` in draw order (wave, then targets, salvos, random picks);
    ``missiles`` fired in all salvos and how many were ``intercepted``.
    """

    hits: tuple[Hit, ...]
    trips: tuple[ProtectionTrip, ...]
    missiles: int
    intercepted: int

    @property
    def impacts(self) -> int:
        """Salvo missiles that got through."""
        return self.missiles - self.intercepted

    def waves(self) -> tuple[int, ...]:
        """Indices of the waves that hit or tripped something, in order."""
        return tuple(sorted({h.wave for h in self.hits} | {t.wave for t in self.trips}))

    def hits_in(self, wave: int | None = None) -> tuple[Hit, ...]:
        """Hits of one wave (``None``: all)."""
        return tuple(h for h in self.hits if wave is None or h.wave == wave)

    def damaged(self, wave: int | None = None) -> tuple[Element, ...]:
        """Unique damaged elements of one wave (``None``: all waves), in element order."""
        return tuple(sorted({h.element for h in self.hits_in(wave)}, key=lambda e: e.sort_key))

    def severity(self, wave: int) -> dict[Element, float]:
        """Combined severity per element damaged in ``wave`` (see :func:`combine_severity`)."""
        per: dict[Element, list[float]] = {}
        for hit in self.hits_in(wave):
            per.setdefault(hit.element, []).append(hit.severity)
        return {e: combine_severity(per[e]) for e in sorted(per, key=lambda e: e.sort_key)}

    def tripped(self, wave: int | None = None) -> tuple[Element, ...]:
        """Unique tripped elements of one wave (``None``: all waves), in element order."""
        found = {t.element for t in self.trips if wave is None or t.wave == wave}
        return tuple(sorted(found, key=lambda e: e.sort_key))

    def to_frame(self) -> pd.DataFrame:
        """One row per hit and trip: ``wave``, ``time_h``, ``element``, ``kind``,
        ``event`` (``hit`` or ``trip``), ``severity``, ``resync_h``, ``origin``."""
        rows = [
            (h.wave, h.time_h, str(h.element), h.element.kind, "hit", h.severity, np.nan, h.origin)
            for h in self.hits
        ] + [
            (t.wave, t.time_h, str(t.element), t.element.kind, "trip", np.nan, t.resync_h, "trip")
            for t in self.trips
        ]
        columns = ["wave", "time_h", "element", "kind", "event", "severity", "resync_h", "origin"]
        return pd.DataFrame(rows, columns=columns)

    def first_wave_out(self, carried: frozenset[int] = frozenset()) -> list[Element]:
        """Elements out right after the first wave: its hits and protection trips,
        and the damage of the ``carried`` waves (carried over from before it)."""
        waves = self.waves()
        fresh = [w for w in waves if w not in carried]
        shown = [w for w in waves if w in carried] + fresh[:1]
        out: list[Element] = []
        for w in shown:
            out += [*self.damaged(w), *self.tripped(w)]
        return list(dict.fromkeys(out))
