"""Figures of partly repaired grid states, evaluated once and kept.

During a restoration the grid passes through a few dozen distinct
conditions (:class:`~gridmodel.restoration.condition.Condition`: which
elements are out, what supply capacity is lost, what is switched) and a few
dozen distinct demand levels (the hours of the daily profile).
:class:`EvaluationCache` evaluates each (condition, level) pair with the
engine once, re-feeding lost load through neighbours
(:mod:`gridmodel.restoration.refeed`), and keeps its figures per region
(:func:`gridmodel.engine.figures`), so a 14-day timeline, a greedy
strategy's look-ahead and the exact search all share the work.

Not thread-safe: one per sample (strategies compared on one sample share it).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from gridmodel.engine import CompiledGrid, EngineCache, Figures, evaluate, figures
from gridmodel.engine.compiled import State
from gridmodel.engine.figures import load_shares, with_ufls
from gridmodel.engine.outcome import Outcome
from gridmodel.restoration.condition import Condition
from gridmodel.restoration.demand import DemandCurve
from gridmodel.restoration.options import SwitchingOptions
from gridmodel.restoration.refeed import Feeding, attribute, feeding, refeed
from gridmodel.restoration.units import Units

#: Demand level index meaning "the evening peak" (profile factor 1 on every load).
PEAK = -1


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
    switching
        How lost load is re-fed (default :class:`SwitchingOptions`).
    units
        What units can give (``None``: their compiled ratings).
    unit_factor
        ``(levels, units)``: each level's share of rated output of
        energy-limited units (:func:`gridmodel.restoration.units.energy_factors`);
        default 1.
    """

    def __init__(
        self,
        compiled: CompiledGrid,
        demand: DemandCurve,
        *,
        engine: EngineCache | None = None,
        switching: SwitchingOptions | None = None,
        units: Units | None = None,
        unit_factor: np.ndarray | None = None,
    ) -> None:
        self.units = units
        self.unit_factor = unit_factor
        self.compiled = compiled
        self.demand = demand
        self.engine = engine if engine is not None else EngineCache()
        self.switching = switching if switching is not None else SwitchingOptions()
        self.n_regions = len(compiled.region_names)
        self._kept: dict[tuple[Condition, int], Evaluation] = {}
        self._hourly: dict[Condition, np.ndarray] = {}
        self._feeding: Feeding | None = None
        self.evaluations = 0

    def level_demand(self, level: int) -> np.ndarray:
        """Demand per load of a level (:data:`PEAK` for the evening peak)."""
        return self.demand.peak_mw if level == PEAK else self.demand.levels_mw[level]

    @property
    def feeding(self) -> Feeding:
        """Loads per substation and their neighbours (built on first use)."""
        if self._feeding is None:
            self._feeding = feeding(self.compiled, self.demand.peak_mw)
        return self._feeding

    def value(self, condition: Condition, level: int) -> Evaluation:
        """Figures of the grid in ``condition`` at demand ``level``."""
        key = (condition, level)
        hit = self._kept.get(key)
        if hit is None:
            compiled = self.compiled
            full = self.level_demand(level)
            ufls = np.zeros(len(full))
            for load, share in condition.ufls:
                ufls[load] = share * full[load]
            demand = full - ufls if condition.ufls else full
            plan = None
            if condition.lost:
                plan = refeed(self.feeding, condition, demand, self.switching)
                demand = plan.engine_demand
            outcome = self.outcome(condition, level, demand)
            shares = load_shares(outcome)
            if plan is not None:
                shares = attribute(self.feeding, plan, shares)
            if condition.ufls:
                shares = with_ufls(shares, full, ufls)
            hit = Evaluation(figures(compiled, shares), tuple(outcome.warnings))
            self._kept[key] = hit
        return hit

    def state(self, condition: Condition, level: int) -> State:
        """The engine state of ``condition`` at ``level``: elements out, unit limits."""
        state = self.compiled.state(condition.out)
        if self.units is None:
            return state
        factor = (
            self.unit_factor[level]
            if self.unit_factor is not None and level != PEAK
            else np.ones(len(self.units.rated_mw))
        )
        pmax = self.units.limits(condition.units, factor, condition.free)
        if np.array_equal(pmax, self.compiled.unit_pmax_mw):
            return state
        return dataclasses.replace(state, pmax=pmax)

    def outcome(self, condition: Condition, level: int, demand: np.ndarray) -> Outcome:
        """The engine's outcome of ``condition`` at ``level`` with ``demand`` per load."""
        [outcome] = evaluate(
            self.compiled, [self.state(condition, level)], cache=self.engine, demand_mw=demand
        )
        self.evaluations += 1
        return outcome

    def hourly_unserved(self, condition: Condition) -> np.ndarray:
        """Cumulative unserved MWh of ``out`` at the start of every hour of the horizon."""
        hit = self._hourly.get(condition)
        if hit is None:
            levels = self.demand.level_of_hour
            per_level = np.zeros(len(self.demand.levels_mw))
            for lv in np.unique(levels):
                per_level[lv] = self.value(condition, int(lv)).unserved_total_mw
            hit = np.concatenate([[0.0], np.cumsum(per_level[levels])])
            self._hourly[condition] = hit
        return hit

    def unserved_mwh(self, condition: Condition, start_h: float, end_h: float) -> float:
        """Energy not served (MWh) in ``condition`` from ``start_h`` to ``end_h``."""
        hours = self.demand.hours
        a = min(max(start_h, 0.0), float(hours))
        b = min(max(end_h, 0.0), float(hours))
        if b <= a:
            return 0.0
        cum = self.hourly_unserved(condition)
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
