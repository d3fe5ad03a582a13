"""Unit states over a restoration: tripped, starting, ramping, energy-limited.

A unit is *available* at its rated output times the ``availability`` of its
type (``[generation]``, :mod:`gridmodel.restoration.generation_options`);
*damaged* while a repair task holds it or its substation (the crews' clock,
:mod:`gridmodel.restoration.condition`); and, after a protection trip, a
separation or a blackout (:mod:`gridmodel.restoration.frequency`), *tripped*
until it may start, *starting* for its type's ``start_h``, then *ramping*
linearly to full output over ``ramp_h``. An :class:`Outage` holds those
times for one unit; :class:`Units` answers what every unit can give at a
moment. A unit that may start only on an energised grid (all but the
black-start types) waits for its island to be energised first.

Ramps are evaluated in one-hour steps, each at the ramp's value in the middle
of the step, so the energy of a linear ramp is exact.

Energy-limited types (hydro, pumped storage) spend a day's energy,
``energy_h`` hours at full output, on the day's highest-demand hours (peak
shaving): :func:`energy_factors` gives each hour's share of their output.
After a blackout they carry the restoration free of that limit until the
island's other units are back (their reservoirs hold more than a day's
allowance). A unit repaired by a crew is counted back at once (its start-up is small
beside weeks of repair).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridmodel.engine import CompiledGrid
from gridmodel.network.grid import Element
from gridmodel.restoration.demand import DemandCurve
from gridmodel.restoration.generation_options import GenerationOptions

#: Length of a ramp's step (hours).
RAMP_STEP_H = 1.0


@dataclass(frozen=True)
class Outage:
    """Unit ``unit`` (compiled position) out from ``down_h``, synchronised at
    ``up_h``, at full output from ``full_h`` (``inf``: not within any horizon)."""

    unit: int
    down_h: float
    up_h: float
    full_h: float
    cause: str

    def fraction(self, time_h: float) -> float | None:
        """Share of rated output at ``time_h`` (0: out; ``None``: not affected)."""
        if time_h < self.down_h or time_h >= self.full_h:
            return None
        if time_h < self.up_h:
            return 0.0
        step = math.floor((time_h - self.up_h) / RAMP_STEP_H)
        middle = self.up_h + (step + 0.5) * RAMP_STEP_H
        return min((middle - self.up_h) / (self.full_h - self.up_h), 1.0)

    def events(self) -> list[float]:
        """Times at which this outage changes what the unit gives."""
        points = [self.down_h]
        if math.isfinite(self.up_h):
            points.append(self.up_h)
            if math.isfinite(self.full_h):
                steps = math.ceil((self.full_h - self.up_h) / RAMP_STEP_H - 1e-9)
                points += [self.up_h + k * RAMP_STEP_H for k in range(1, steps)]
                points.append(self.full_h)
        return points


def unit_types(compiled: CompiledGrid) -> np.ndarray:
    """Type of every unit (compiled order): the generator's ``type``, ``tie`` for
    an external grid, ``other`` when none is given."""
    net = compiled.grid.net
    out = np.full(len(compiled.unit_kind), "other", dtype=object)
    for pos, (kind, index) in enumerate(zip(compiled.unit_kind, compiled.unit_index, strict=True)):
        if kind == "ext_grid":
            out[pos] = "tie"
            continue
        table = net[str(kind)]
        if "type" in table.columns:
            value = table.at[int(index), "type"]
            if isinstance(value, str) and value.strip():
                out[pos] = value.strip()
    return out


class Units:
    """What every unit can give over a restoration.

    Parameters
    ----------
    compiled
        The compiled grid.
    options
        The ``[generation]`` options.
    outages
        Trips, separations and blackouts (:mod:`gridmodel.restoration.frequency`).
    """

    def __init__(
        self,
        compiled: CompiledGrid,
        options: GenerationOptions,
        outages: tuple[Outage, ...] = (),
        lifted: tuple[tuple[int, float, float], ...] = (),
    ) -> None:
        self.compiled = compiled
        self.options = options
        self.types = unit_types(compiled)
        share = np.array([options.available(t) for t in self.types])
        #: Rated output times availability (MW).
        self.rated_mw = np.where(share < 1.0, compiled.unit_pmax_mw * share, compiled.unit_pmax_mw)
        self.outages = outages
        #: ``(unit, from_h, to_h)``: an energy-limited unit free of its daily
        #: limit while it carries a blackout's restoration.
        self.lifted = lifted

    def with_outages(
        self, more: tuple[Outage, ...], lifted: tuple[tuple[int, float, float], ...] = ()
    ) -> Units:
        return Units(self.compiled, self.options, self.outages + more, self.lifted + lifted)

    def element(self, unit: int) -> Element:
        return Element(str(self.compiled.unit_kind[unit]), int(self.compiled.unit_index[unit]))

    def free_at(self, time_h: float) -> tuple[int, ...]:
        """Energy-limited units free of their daily limit at ``time_h``."""
        return tuple(sorted({u for u, a, b in self.lifted if a <= time_h < b}))

    def at(self, time_h: float) -> tuple[set[Element], tuple[tuple[int, float], ...]]:
        """Units out at ``time_h`` and the share of rated output of those ramping."""
        share: dict[int, float] = {}
        for o in self.outages:
            f = o.fraction(time_h)
            if f is not None:
                share[o.unit] = min(share.get(o.unit, 1.0), f)
        out = {self.element(u) for u, f in share.items() if f <= 0.0}
        return out, tuple(sorted((u, f) for u, f in share.items() if 0.0 < f < 1.0))

    def events(self) -> list[float]:
        points = {p for o in self.outages for p in o.events()}
        points |= {p for _, a, b in self.lifted for p in (a, b)}
        return sorted(points)

    def limits(
        self,
        ramping: tuple[tuple[int, float], ...],
        factor: np.ndarray,
        free: tuple[int, ...] = (),
    ) -> np.ndarray:
        """Every unit's limit (MW): rated, times the hour's energy factor (but
        for the ``free`` units), times ramps."""
        if free:
            factor = factor.copy()
            factor[list(free)] = 1.0
        pmax = self.rated_mw * factor
        for u, f in ramping:
            pmax[u] *= f
        return pmax

    def restart(
        self, unit: int, down_h: float, may_start_h: float, cause: str, earliest_h: float = 0.0
    ) -> Outage:
        """The outage of ``unit`` from ``down_h`` if it may start at ``may_start_h``."""
        kind = str(self.types[unit])
        up = max(may_start_h + self.options.start_of(kind), earliest_h)
        return Outage(unit, down_h, up, up + self.options.ramp_of(kind), cause)

    def frame(self) -> pd.DataFrame:
        """One row per outage: ``unit``, ``type``, ``cause``, ``down_h``, ``up_h``, ``full_h``."""
        return pd.DataFrame(
            {
                "unit": [str(self.element(o.unit)) for o in self.outages],
                "type": [str(self.types[o.unit]) for o in self.outages],
                "cause": [o.cause for o in self.outages],
                "down_h": [o.down_h for o in self.outages],
                "up_h": [o.up_h for o in self.outages],
                "full_h": [o.full_h for o in self.outages],
            },
            columns=["unit", "type", "cause", "down_h", "up_h", "full_h"],
        )


def energy_factors(
    types: np.ndarray, options: GenerationOptions, times: pd.DatetimeIndex, hourly_mw: np.ndarray
) -> np.ndarray:
    """``(hours, units)``: each hour's share of rated output of energy-limited units.

    Per local calendar day, a type with ``energy_h = E`` runs at full output in
    the day's ``floor(E)`` highest-demand hours (earlier hour first on a tie),
    at ``E - floor(E)`` in the next, and not at all in the others; other types
    get 1.
    """
    hours = len(times)
    factor = np.ones((hours, len(types)))
    limited = {
        t: e for t in sorted(set(types.tolist())) if (e := options.energy_of(str(t))) is not None
    }
    if not limited or hours == 0:
        return factor
    day = np.asarray(times.date)
    for d in pd.unique(day):
        idx = np.flatnonzero(day == d)
        order = idx[np.argsort(-hourly_mw[idx], kind="stable")]
        for kind, energy in limited.items():
            share = np.zeros(len(order))
            full = min(math.floor(energy), len(order))
            share[:full] = 1.0
            if full < len(order):
                share[full] = energy - full
            factor[np.ix_(order, types == kind)] = share[:, None]
    return factor


def relevel(curve: DemandCurve, factor: np.ndarray) -> tuple[DemandCurve, np.ndarray]:
    """``curve`` with a level per distinct (demand level, energy factors) pair,
    and each new level's factors (``(levels, units)``)."""
    keys: dict[tuple[int, bytes], int] = {}
    level_of_hour = np.empty(curve.hours, dtype=np.int64)
    old: list[int] = []
    rows: list[np.ndarray] = []
    for h in range(curve.hours):
        lv = int(curve.level_of_hour[h])
        key = (lv, factor[h].tobytes())
        if key not in keys:
            keys[key] = len(old)
            old.append(lv)
            rows.append(factor[h])
        level_of_hour[h] = keys[key]
    levels = curve.levels_mw[np.asarray(old, dtype=np.int64)] if old else curve.levels_mw[:0]
    shape = (0, factor.shape[1])
    return (
        dataclasses.replace(curve, levels_mw=levels, level_of_hour=level_of_hour),
        np.vstack(rows) if rows else np.zeros(shape),
    )
