"""Served load of partly repaired grid states, evaluated once and cached.

During a restoration the grid passes through a few dozen distinct states
(which elements are still out) and a few dozen distinct demand levels (the
hours of the daily profile). :class:`Valuer` evaluates each (state, level)
pair with the engine once and keeps per-region totals, so a 14-day timeline,
a greedy strategy's look-ahead and the exact search all share the work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmodel.engine.compiled import CompiledGrid
from gridmodel.restoration.demand import DemandCurve
from gridmodel.engine.dc import evaluate
from gridmodel.network.grid import Element

#: Demand level index meaning "the evening peak" (profile factor 1 on every load).
PEAK = -1

#: Priority classes (1 critical ... 4 households).
CLASSES = (1, 2, 3, 4)

Outset = frozenset[Element]


@dataclass(frozen=True, eq=False)
class Snapshot:
    """Per-region totals of one evaluated (state, demand level).

    Arrays over regions are in ``compiled.region_names`` order; ``load_off``
    is per load (compiled load order): the share of its demand not served.
    """

    demand_mw: np.ndarray
    served_mw: np.ndarray
    dark_mw: np.ndarray
    critical_unserved_mw: np.ndarray
    customers_off: np.ndarray
    load_off: np.ndarray
    class_served_mw: np.ndarray
    warnings: tuple[str, ...]

    @property
    def served_total_mw(self) -> float:
        return float(self.served_mw.sum())

    @property
    def unserved_total_mw(self) -> float:
        return float(self.demand_mw.sum() - self.served_mw.sum())


class Valuer:
    """Evaluate (out-set, demand level) pairs with the engine, cached.

    Parameters
    ----------
    compiled
        The compiled grid; its options decide DC/AC and trip/shed.
    demand
        The hourly demand curve (levels per hour).
    """

    def __init__(self, compiled: CompiledGrid, demand: DemandCurve) -> None:
        self.compiled = compiled
        self.demand = demand
        self.n_regions = len(compiled.region_names)
        self._cache: dict[tuple[Outset, int], Snapshot] = {}
        self._hourly: dict[Outset, np.ndarray] = {}
        self.evaluations = 0

    def level_demand(self, level: int) -> np.ndarray:
        """Demand per load of a level (:data:`PEAK` for the evening peak)."""
        return self.demand.peak_mw if level == PEAK else self.demand.levels_mw[level]

    def value(self, out: Outset, level: int) -> Snapshot:
        """Totals of the grid with ``out`` out of service at demand ``level``."""
        key = (out, level)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._evaluate(out, level)
            self._cache[key] = hit
        return hit

    def _evaluate(self, out: Outset, level: int) -> Snapshot:
        compiled = self.compiled
        demand = self.level_demand(level)
        outcome = evaluate(compiled, compiled.state(out), demand_mw=demand)
        self.evaluations += 1
        served = np.minimum(np.asarray(outcome.load_served_mw, dtype=float), demand)
        served = np.maximum(served, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            off = np.where(demand > 0, 1.0 - served / demand, outcome.load_dark.astype(float))
        off = np.clip(off, 0.0, 1.0)
        region = compiled.load_region
        n = self.n_regions

        def per_region(values: np.ndarray) -> np.ndarray:
            return np.bincount(region, weights=values, minlength=n)[:n]

        dark = np.where(outcome.load_dark, demand, 0.0)
        critical = compiled.load_priority == 1
        class_served = np.array(
            [served[compiled.load_priority == c].sum() for c in CLASSES], dtype=float
        )
        return Snapshot(
            demand_mw=per_region(demand),
            served_mw=per_region(served),
            dark_mw=per_region(dark),
            critical_unserved_mw=per_region(np.where(critical, demand - served, 0.0)),
            customers_off=per_region(compiled.load_customers * off),
            load_off=off,
            class_served_mw=class_served,
            warnings=tuple(outcome.warnings),
        )

    def hourly_unserved(self, out: Outset) -> np.ndarray:
        """Total unserved MW of ``out`` in every hour of the horizon (cached)."""
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
        for snap in self._cache.values():
            for w in snap.warnings:
                seen.setdefault(w, None)
        return tuple(seen)


def _at(cum: np.ndarray, t: float) -> float:
    """Integral of the hourly step function with cumulative sums ``cum`` up to ``t``."""
    h = int(np.floor(t))
    if h >= len(cum) - 1:
        return float(cum[-1])
    return float(cum[h] + (t - h) * (cum[h + 1] - cum[h]))
