"""What a sudden loss of generation does to frequency: a static rule.

Not a dynamic simulation: at each strike wave the grid just before it and
just after it are evaluated at the hour's demand, and every energised island
after it is checked with documented thresholds (``[generation]``,
:mod:`gridmodel.restoration.generation_options`):

1. The island's load ``D`` (what was served before, on loads still connected)
   is met at once only by what its units gave before, ``G``, plus the
   frequency containment reserve ``R`` (``reserve_share`` of ``D``, at most the
   units' headroom) plus, if the island holds ties (external grids), their
   import before and their room up to their limit. The shortfall is
   ``deficit = D - G - R - ties``.
2. No shortfall: nothing happens; operators redispatch within the hour.
3. A shortfall where there are ties: the ties trip (the system separates, as
   the Ukraine-Moldova system did on 23 Nov 2022) and come back after
   ``tie_reconnect_h``; their import is lost too.
4. Under-frequency relays shed load in steps of ``ufls_share / ufls_steps``
   of ``D`` from ``ufls_first_hz`` down, as many steps as cover the
   shortfall, taken pro rata from non-critical load; operators reconnect it
   after ``ufls_h`` as far as generation allows.
5. A shortfall larger than every step together blacks out the island: all
   its units trip. Black-start units start after their ``start_h``, ties
   come back after ``tie_reconnect_h``; the island is energised by the first
   of them, and every other unit starts ``start_h`` after that (nuclear units
   then ramp over ``ramp_h``). An island without either stays dark until a
   crew repair reconnects it.

Units tripped by a wave's ``trips`` follow the same clock: a unit that needs
the grid starts once its island is energised (at once if it never lost it).

For a later wave, the grid before it is estimated without the crews' plan:
a task counts as finished by the wave if its duration since its release has
passed, a plan-independent estimate (crews may be slower).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gridmodel.engine.figures import CRITICAL
from gridmodel.engine.outcome import Outcome
from gridmodel.restoration.condition import Clock
from gridmodel.restoration.evaluations import EvaluationCache
from gridmodel.restoration.generation_options import GenerationOptions
from gridmodel.restoration.units import Outage, Units
from gridmodel.strikes.damage import Damage

UNIT_KINDS = ("gen", "sgen", "ext_grid")
#: MW below which a shortfall is balance noise.
TOL_MW = 1e-6


@dataclass(frozen=True)
class FrequencyEvent:
    """What the rule found for one island after one wave.

    ``deficit_mw`` is the shortfall after the ties tripped (if they did);
    ``stages`` the UFLS steps that acted (``ufls_steps + 1``: a blackout);
    ``lowest_hz`` the last step's frequency (``nan`` if none acted).
    """

    wave: int
    time_h: float
    load_mw: float
    deficit_mw: float
    separated: bool
    stages: int
    shed_mw: float
    blackout: bool
    energised_h: float
    lowest_hz: float


@dataclass(frozen=True)
class FrequencyResult:
    """Units' outages, UFLS periods and events of a sample's waves."""

    units: Units
    ufls: tuple[tuple[float, float, tuple[tuple[int, float], ...]], ...]
    events: tuple[FrequencyEvent, ...]


def apply_frequency(
    evaluations: EvaluationCache,
    clock: Clock,
    damage: Damage,
    options: GenerationOptions,
    carried: frozenset[int] = frozenset(),
) -> FrequencyResult:
    """Run the rule on every wave of ``damage`` in time order, but those
    ``carried`` over from before the scenario (see the module notes)."""
    units = evaluations.units
    assert units is not None
    waves: dict[int, float] = {}
    for h in damage.hits:
        waves.setdefault(h.wave, float(h.time_h))
    for t in damage.trips:
        waves.setdefault(t.wave, float(t.time_h))
    ufls: list[tuple[float, float, tuple[tuple[int, float], ...]]] = []
    events: list[FrequencyEvent] = []
    for wave, t0 in sorted(waves.items(), key=lambda w: (w[1], w[0])):
        if wave in carried:
            continue
        trips = _unit_trips(units, damage, wave, t0)
        clock.units = units
        done = frozenset(t.id for t in clock.tasks if t.release_h + t.duration_h <= t0)
        before = clock.at(t0 - 1e-6, done - _of_wave(clock, wave))
        clock.units = units.with_outages(tuple(o for o, _ in trips))
        after = clock.at(t0, done - _of_wave(clock, wave))
        hour = min(math.floor(t0), evaluations.demand.hours - 1)
        level = int(evaluations.demand.level_of_hour[hour])
        demand = evaluations.level_demand(level)
        pre = evaluations.outcome(before, level, demand)
        post = evaluations.outcome(after, level, demand)
        on = evaluations.state(after, level).unit & post.bus_energized[units.compiled.unit_bus]
        outages, shed, found = _islands(
            evaluations, units, options, (pre, post, on), wave, t0, trips
        )
        units = units.with_outages(outages, _lifted(units, options, outages))
        events += found
        if shed:
            ufls.append((t0, t0 + options.ufls_h, tuple(sorted(shed.items()))))
    clock.units = units
    clock.ufls = tuple(ufls)
    return FrequencyResult(units, tuple(ufls), tuple(events))


def _of_wave(clock: Clock, wave: int) -> frozenset[int]:
    return frozenset(t.id for t in clock.tasks if t.wave >= wave)


def _unit_trips(
    units: Units, damage: Damage, wave: int, t0: float
) -> list[tuple[Outage, float | None]]:
    """Outages of the units the wave's ``trips`` disconnect (to be re-timed)."""
    positions = units.compiled.positions
    found: dict[int, float | None] = {}
    for t in damage.trips:
        if t.wave == wave and t.element.kind in UNIT_KINDS:
            u = positions[t.element.kind].get(int(t.element.id))
            if u is not None:
                found[u] = float(t.resync_h)
    return [(units.restart(u, t0, t0, "trip", t0 + (r or 0.0)), r) for u, r in found.items()]


def _islands(
    evaluations: EvaluationCache,
    units: Units,
    options: GenerationOptions,
    outcomes: tuple[Outcome, Outcome, np.ndarray],
    wave: int,
    t0: float,
    trips: list[tuple[Outage, float | None]],
) -> tuple[tuple[Outage, ...], dict[int, float], list[FrequencyEvent]]:
    """Apply the rule to every energised island after the wave.

    ``outcomes``: the grid before and after the wave, and the units in
    service on an energised bus after it.
    """
    compiled = evaluations.compiled
    pre, post, on = outcomes
    island_of_unit = np.where(on, post.bus_island[compiled.unit_bus], -1)
    lit = ~np.asarray(post.load_dark, dtype=bool)
    island_of_load = np.where(lit, post.bus_island[compiled.load_bus], -1)
    rated, is_tie = units.rated_mw, units.types == "tie"
    outages: list[Outage] = []
    shed: dict[int, float] = {}
    events: list[FrequencyEvent] = []
    energised_at: dict[int, float] = {}
    for isl in np.unique(island_of_load[island_of_load >= 0]):
        loads = np.flatnonzero(island_of_load == isl)
        members = np.flatnonzero(island_of_unit == isl)
        own, ties = members[~is_tie[members]], members[is_tie[members]]
        load = float(pre.load_served_mw[loads].sum())
        gen = float(pre.unit_p_mw[own].sum())
        head = float(np.maximum(rated[own] - pre.unit_p_mw[own], 0.0).sum())
        reserve = min(options.reserve_share * load, head)
        tie_now = float(pre.unit_p_mw[ties].sum())
        tie_room = float(np.maximum(rated[ties] - pre.unit_p_mw[ties], 0.0).sum())
        if load - gen - reserve - tie_now - tie_room <= TOL_MW * max(load, 1.0):
            continue
        deficit = load - gen - reserve
        back = t0 + options.tie_reconnect_h
        outages += [Outage(int(u), t0, back, back, "separation") for u in ties]
        step = options.ufls_share / options.ufls_steps * load
        stages = math.ceil(deficit / step - 1e-12) if step > 0 else options.ufls_steps + 1
        blackout = stages > options.ufls_steps
        if blackout:
            energised = _blackout(units, options, own, back if len(ties) else math.inf, t0)
            outages += energised[1]
            energised_at[int(isl)] = energised[0]
            cut = 0.0
        else:
            cut = _ufls(compiled.load_priority, pre.load_demand_mw, loads, stages * step, shed)
        hz = options.stage_hz()[min(stages, options.ufls_steps) - 1]
        events.append(
            FrequencyEvent(
                wave, t0, load, deficit, len(ties) > 0, stages, cut, blackout,
                energised_at.get(int(isl), t0), hz,
            )
        )  # fmt: skip
    for outage, resync in trips:
        u = outage.unit
        bus = compiled.unit_bus[u]
        isl = int(post.bus_island[bus]) if post.bus_energized[bus] else -1
        may = energised_at.get(isl, t0)
        outages.append(units.restart(u, t0, may, "trip", t0 + (resync or 0.0)))
    return tuple(outages), shed, events


def _blackout(
    units: Units, options: GenerationOptions, members: np.ndarray, tie_back_h: float, t0: float
) -> tuple[float, list[Outage]]:
    """Outages of an island's units in a blackout and the time it is energised again."""
    black = {u for u in members.tolist() if str(units.types[u]) in options.black_start}
    starts = [t0 + options.start_of(str(units.types[u])) for u in black]
    energised = min([tie_back_h, *starts])
    outages = [units.restart(u, t0, t0, "blackout") for u in sorted(black)]
    outages += [
        units.restart(u, t0, energised, "blackout") for u in members.tolist() if u not in black
    ]
    return energised, outages


def _ufls(
    priority: np.ndarray, demand: np.ndarray, loads: np.ndarray, cut_mw: float,
    shed: dict[int, float],
) -> float:  # fmt: skip
    """Shed ``cut_mw`` pro rata from the non-critical ``loads`` (shares into ``shed``)."""
    pool = loads[(priority[loads] != CRITICAL) & (demand[loads] > 0)]
    total = float(demand[pool].sum())
    if total <= 0:
        return 0.0
    share = min(cut_mw / total, 1.0)
    for load in pool.tolist():
        shed[load] = max(shed.get(load, 0.0), share)
    return share * total


def _lifted(
    units: Units, options: GenerationOptions, outages: tuple[Outage, ...]
) -> tuple[tuple[int, float, float], ...]:
    """Energy-limited black-start units of a blackout, free of their daily limit
    until the other units the blackout tripped are back at full output (a day
    when none comes back)."""
    out: list[tuple[int, float, float]] = []
    blackout = [o for o in outages if o.cause == "blackout"]
    for o in blackout:
        if options.energy_of(str(units.types[o.unit])) is None:
            continue
        others = [
            b.full_h
            for b in blackout
            if b.down_h == o.down_h and options.energy_of(str(units.types[b.unit])) is None
        ]
        finite = [t for t in others if math.isfinite(t)]
        out.append((o.unit, o.down_h, max(finite) if finite else o.down_h + 24.0))
    return tuple(out)
