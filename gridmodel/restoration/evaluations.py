"""Figures of partly repaired grid states, evaluated once and kept.

During a restoration the grid passes through a few dozen distinct states
(which elements are still out) and a few dozen distinct demand levels (the
hours of the daily profile). :class:`EvaluationCache` evaluates each (state,
level) pair with the engine once and keeps its figures per region
(:func:`gridmodel.engine.figures`), so a 14-day timeline, a greedy
strategy's look-ahead and the exact search all share the work.

Not thread-safe: one per sample (strategies compared on one sample share it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmodel.engine import CompiledGrid, EngineCache, Figures, evaluate, figures
from gridmodel.network.grid import Element
from gridmodel.restoration.demand import DemandCurve

#: Demand level index meaning "the evening peak" (profile factor 1 on every load).
PEAK = -1

#: Elements out of service in a state.
Outset = frozenset[Element]


@dataclass(frozen=True, eq=False)
class Evaluation:
    """The figures of one evaluated (state, demand level) and the engine's warnings."""

    figures: Figures
    warnings: tuple[str, ...]

    @property
    def served_total_mw(self) -> float:
        return self.figures.total("served_mw")

    @property
    def unserved_total_mw(self) -> float:
        return self.figures.total("unserved_mw")


class EvaluationCache:
    """Evaluate (out-set, demand level) pairs with the engine, each once.

    Parameters
    ----------
    compiled
        The compiled grid; its options decide DC/AC and trip/shed.
    demand
        The hourly demand curve (levels per hour).
    engine
        The engine's cache (default a new one).
    """

    def __init__(
        self, compiled: CompiledGrid, demand: DemandCurve, *, engine: EngineCache | None = None
    ) -> None:
        self.compiled = compiled
        self.demand = demand
        self.engine = engine if engine is not None else EngineCache()
        self.n_regions = len(compiled.region_names)
        self._kept: dict[tuple[Outset, int], Evaluation] = {}
        self._hourly: dict[Outset, np.ndarray] = {}
        self.evaluations = 0

    def level_demand(self, level: int) -> np.ndarray:
        """Demand per load of a level (:data:`PEAK` for the evening peak)."""
        return self.demand.peak_mw if level == PEAK else self.demand.levels_mw[level]

    def value(self, out: Outset, level: int) -> Evaluation:
        """Figures of the grid with ``out`` out of service at demand ``level``."""
        key = (out, level)
        hit = self._kept.get(key)
        if hit is None:
            compiled = self.compiled
            [outcome] = evaluate(
                compiled,
                [compiled.state(out)],
                cache=self.engine,
                demand_mw=self.level_demand(level),
            )
            self.evaluations += 1
            hit = Evaluation(figures(compiled, outcome), tuple(outcome.warnings))
            self._kept[key] = hit
        return hit

    def hourly_unserved(self, out: Outset) -> np.ndarray:
        """Cumulative unserved MWh of ``out`` at the start of every hour of the horizon."""
        hit = self._hourly.get(out)
        if hit is None:
            levels = self.demand.level_of_hour
            per_level = np.zeros(len(self.demand.levels_mw))
            for lv in np.unique(levels):
                per_level[lv] = self.value(out, int(lv)).unserved_total_mw
            hit = np.concatenate([[0.0], np.cumsum(per_level[levels])])
            self._hourly[out] = hit
        return hit

    def unserved_mwh(self, out: Outset, start_h: float, end_h: float) -> float:
        """Energy not served (MWh) with ``out`` out of service from ``start_h`` to ``end_h``."""
        hours = self.demand.hours
        a = min(max(start_h, 0.0), float(hours))
        b = min(max(end_h, 0.0), float(hours))
        if b <= a:
            return 0.0
        cum = self.hourly_unserved(out)
        return _at(cum, b) - _at(cum, a)

    @property
    def warnings(self) -> tuple[str, ...]:
        """Distinct engine warnings of every evaluation so far."""
        seen: dict[str, None] = {}
        for kept in self._kept.values():
            for w in kept.warnings:
                seen.setdefault(w, None)
        return tuple(seen)


def _at(cum: np.ndarray, t: float) -> float:
    """Integral of the hourly step function with cumulative sums ``cum`` up to ``t``."""
    h = int(np.floor(t))
    if h >= len(cum) - 1:
        return float(cum[-1])
    return float(cum[h] + (t - h) * (cum[h + 1] - cum[h]))
