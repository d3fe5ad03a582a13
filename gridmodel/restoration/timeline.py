"""The restoration timeline: hour by hour from the first strike over the horizon.

:func:`simulate` plays the crews out with a repair strategy
(:mod:`gridmodel.restoration.crews`), then evaluates the grid with the engine in every
hour: the state (elements still out: unfinished released tasks, protection
trips not yet resynchronised) at the hour's demand (:mod:`gridmodel.restoration.demand`).
When the state changes inside an hour, each part of the hour is evaluated and
the row holds the time-weighted mean, so the energy not served is exactly
``sum(unserved_mw) * 1 h``.

Later strike waves are part of the damage: their tasks are released at the
wave's time and take their elements out again (also elements repaired
before, as a new task). Each hour is evaluated from the damage state alone:
branches tripped by an overload cascade are re-closed at the next
evaluation (operators reconnect them), they are not extra repair tasks.

Closing loops
-------------
Repairing an element never lowers served load when it reconnects a dark area
through that single element, in ``overload = "shed"`` mode: the previous
dispatch stays feasible with the new area shed, so the shedding program can
only do better. A repaired line that closes a *loop* changes how flows split
(DC power-flow distribution factors): a weak line can then limit the transfer
across the loop, so in ``shed`` mode the served load may drop a little, and in
``trip`` mode a cascade may follow. The timeline reports what the engine
finds; it does not keep a repaired line open to avoid this.

Columns
-------
One row per hour and region: ``hour`` (int), ``time`` (local start of the
hour, tz-aware), ``region``, ``demand_mw``, ``deliverable_mw`` (what the
hour's damaged grid can deliver to the region: the larger of what it serves
now and what it would serve at the evening-peak demand, i.e. its capacity; at
night it exceeds the demand), ``served_mw``, ``unserved_mw``, ``dark_mw`` (demand on
de-energised buses), ``shed_mw`` (unserved in energised areas), ``critical_mw``
(demand of priority-1 loads), ``critical_unserved_mw``, ``customers``,
``customers_off`` (customers times the unserved share of their load, time
mean), ``customers_interrupted`` (customers newly without supply during the
hour), ``intact_served_mw`` (what the undamaged grid serves at the hour's
demand), ``wave_h`` (hours since the latest wave, NaN before the first) and
``tasks_in_progress`` (element names of the region's tasks worked on during
the hour).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from gridmodel.engine.compiled import CompiledGrid
from gridmodel.restoration.demand import DEFAULT_PROFILE, Profile, demand_curve, hour_times
from gridmodel.restoration.crews import RepairProblem, Schedule, crews_for, dispatch
from gridmodel.errors import OptionError
from gridmodel.restoration.tasks import Task, tasks_frame, trip_returns
from gridmodel.restoration.evaluations import PEAK, Valuer

#: Columns of the timeline frame, in order.
COLUMNS: tuple[str, ...] = (
    "hour",
    "time",
    "region",
    "demand_mw",
    "deliverable_mw",
    "served_mw",
    "unserved_mw",
    "dark_mw",
    "shed_mw",
    "critical_mw",
    "critical_unserved_mw",
    "customers",
    "customers_off",
    "customers_interrupted",
    "intact_served_mw",
    "wave_h",
    "tasks_in_progress",
)


@dataclass(frozen=True)
class TimelineOptions:
    """How the restoration is played out (see :func:`options_from_scenario`)."""

    strategy: str = "critical_first"
    crews: int = 10
    crews_per_region: Mapping[str, int] | None = None
    horizon_h: float = 336.0
    around_the_clock: bool = True
    shift_hours: tuple[int, int] = (8, 20)
    start: datetime = datetime(2022, 12, 16)
    timezone: str = "Europe/Kyiv"
    profile: Profile = DEFAULT_PROFILE
    regional_profiles: Mapping[str, Profile] | None = None
    demand_scale: float = 1.0
    wave_times_h: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.horizon_h) and self.horizon_h > 0):
            raise OptionError(f"horizon must be > 0 h, got {self.horizon_h!r}", field="horizon_h")
        if self.crews < 1:
            raise OptionError(f"need at least one crew, got {self.crews}", field="crews")

    @property
    def hours(self) -> int:
        """Whole hours simulated (a fractional horizon is rounded up)."""
        return math.ceil(self.horizon_h - 1e-9)


def options_from_scenario(scenario: Any, *, strategy: str | None = None) -> TimelineOptions:
    """Timeline options from a scenario's ``[repair]`` and ``[demand]`` sections."""
    repair = scenario.repair
    profile = scenario.demand.profile
    return TimelineOptions(
        strategy=strategy or repair.strategy,
        crews=int(repair.crews),
        crews_per_region=dict(repair.crews_per_region) if repair.crews_per_region else None,
        horizon_h=float(repair.horizon_h),
        around_the_clock=bool(repair.around_the_clock),
        shift_hours=(int(repair.shift_hours[0]), int(repair.shift_hours[1])),
        start=scenario.start_time,
        timezone=scenario.timezone,
        profile=profile if isinstance(profile, str) else tuple(profile),
        demand_scale=float(scenario.demand.scale),
        wave_times_h=tuple(float(w.time_h) for w in scenario.waves),
    )


@dataclass(frozen=True, eq=False)
class Timeline:
    """An hourly restoration timeline.

    Attributes
    ----------
    frame
        One row per hour and region (:data:`COLUMNS`).
    tasks
        One row per task: the task table plus ``pool``, ``start_h``, ``end_h``
        (NaN if not started within the horizon) and ``done`` (finished
        within the horizon).
    strategy
        The strategy's name.
    horizon_h
        Hours simulated.
    warnings
        Distinct engine warnings met on the way.
    """

    frame: pd.DataFrame
    tasks: pd.DataFrame
    strategy: str
    horizon_h: float
    warnings: tuple[str, ...] = field(default=())


def prepare(
    compiled: CompiledGrid,
    damage: Any,
    tasks: tuple[Task, ...],
    *,
    options: TimelineOptions,
    valuer: Valuer | None = None,
) -> RepairProblem:
    """The repair problem of one sample (share it between strategies of one sample)."""
    hours = options.hours
    times = hour_times(options.start, hours, timezone=options.timezone)
    if valuer is None:
        curve = demand_curve(
            compiled.load_p_mw,
            [compiled.region_names[r] for r in compiled.load_region],
            times,
            profile=options.profile,
            regional=options.regional_profiles,
            scale=options.demand_scale,
        )
        valuer = Valuer(compiled, curve)
    working = None
    if not options.around_the_clock:
        first, last = options.shift_hours
        local = np.asarray(valuer.demand.times.hour)
        working = (local >= first) & (local < last)
    crews = crews_for(
        tasks, crews=options.crews, crews_per_region=options.crews_per_region, working=working
    )
    return RepairProblem(
        tasks=tuple(tasks),
        returns=trip_returns(damage),
        crews=crews,
        valuer=valuer,
        horizon_h=float(hours),
    )


def simulate(
    compiled: CompiledGrid,
    damage: Any,
    tasks: tuple[Task, ...],
    *,
    options: TimelineOptions | None = None,
) -> Timeline:
    """Play out the restoration of ``damage`` with ``tasks`` and return the timeline.

    Parameters
    ----------
    compiled
        The compiled grid (its options: DC/AC, trip/shed).
    damage
        The sample's :class:`~gridmodel.strikes.realise.Damage` (for trips and wave times).
    tasks
        Repair tasks from :func:`gridmodel.restoration.tasks.repair_tasks`.
    options
        Strategy, crews, horizon, start time and demand profile.

    Returns
    -------
    Timeline
    """
    options = options or TimelineOptions()
    problem = prepare(compiled, damage, tasks, options=options)
    return run_strategy(problem, options.strategy, wave_times_h=_wave_times(damage, options))


def _wave_times(damage: Any, options: TimelineOptions) -> tuple[float, ...]:
    if options.wave_times_h is not None:
        return tuple(options.wave_times_h)
    times = {float(h.time_h) for h in damage.hits} | {float(t.time_h) for t in damage.trips}
    return tuple(sorted(times))


def run_strategy(
    problem: RepairProblem, strategy: str, *, wave_times_h: tuple[float, ...] = ()
) -> Timeline:
    """Dispatch the crews of ``problem`` with ``strategy`` and build the timeline."""
    from gridmodel.restoration.strategies import get

    schedule = dispatch(problem, get(strategy))
    frame = timeline_frame(problem, schedule, wave_times_h=wave_times_h)
    table = tasks_frame(problem.tasks)
    table["pool"] = list(problem.crews.task_pool)
    table["start_h"] = schedule.start_h
    table["end_h"] = schedule.end_h
    table["done"] = np.nan_to_num(schedule.end_h, nan=np.inf) <= problem.horizon_h
    return Timeline(frame, table, strategy, problem.horizon_h, problem.valuer.warnings)


def _segments(
    problem: RepairProblem, schedule: Schedule
) -> list[tuple[float, float, frozenset[int]]]:
    """Stretches ``[a, b)`` of constant state: (a, b, finished task ids)."""
    horizon = problem.horizon_h
    points = {0.0, horizon}
    points |= {t.release_h for t in problem.tasks if t.release_h < horizon}
    points |= {float(e) for e in schedule.end_h if np.isfinite(e) and e < horizon}
    for r in problem.returns:
        points |= {p for p in (r.start_h, r.end_h) if 0 < p < horizon}
    cuts = sorted(points)
    end = np.nan_to_num(schedule.end_h, nan=np.inf)
    segments = []
    for a, b in itertools.pairwise(cuts):
        done = frozenset(int(i) for i in np.flatnonzero(end <= a))
        segments.append((a, b, done))
    return segments


def timeline_frame(
    problem: RepairProblem, schedule: Schedule, *, wave_times_h: tuple[float, ...] = ()
) -> pd.DataFrame:
    """The hourly frame of a dispatched schedule (see the module notes)."""
    valuer = problem.valuer
    compiled = valuer.compiled
    demand = valuer.demand
    hours, n_reg = demand.hours, valuer.n_regions
    acc = {
        k: np.zeros((hours, n_reg))
        for k in ("served", "dark", "crit", "off", "deliver", "interrupted")
    }
    customers = np.bincount(compiled.load_region, weights=compiled.load_customers, minlength=n_reg)[
        :n_reg
    ]
    region_of_load = compiled.load_region
    prev_off = valuer.value(frozenset(), int(demand.level_of_hour[0])).load_off
    segments = _segments(problem, schedule)
    k = 0
    for h in range(hours):
        level = int(demand.level_of_hour[h])
        t = float(h)
        while t < h + 1 - 1e-12 and k < len(segments):
            a, b, done = segments[k]
            stop = min(b, h + 1.0)
            weight = stop - t
            out = problem.out_at(a, done)
            snap = valuer.value(out, level)
            acc["served"][h] += weight * snap.served_mw
            acc["dark"][h] += weight * snap.dark_mw
            acc["crit"][h] += weight * snap.critical_unserved_mw
            acc["off"][h] += weight * snap.customers_off
            acc["deliver"][h] += weight * valuer.value(out, PEAK).served_mw
            rise = np.maximum(snap.load_off - prev_off, 0.0) * compiled.load_customers
            acc["interrupted"][h] += np.bincount(region_of_load, weights=rise, minlength=n_reg)[
                :n_reg
            ]
            prev_off = snap.load_off
            t = stop
            if b <= h + 1.0 + 1e-12:
                k += 1
    intact_levels = [valuer.value(frozenset(), lv) for lv in range(len(demand.levels_mw))]
    region_demand = np.stack([s.demand_mw for s in intact_levels])[demand.level_of_hour]
    intact = np.stack([s.served_mw for s in intact_levels])[demand.level_of_hour]
    critical_load = np.where(compiled.load_priority == 1, 1.0, 0.0)
    crit_reg = np.stack(
        [
            np.bincount(region_of_load, weights=lv * critical_load, minlength=n_reg)[:n_reg]
            for lv in demand.levels_mw
        ]
    )[demand.level_of_hour]
    served = np.minimum(acc["served"], region_demand)
    unserved = np.maximum(region_demand - served, 0.0)
    dark = np.minimum(acc["dark"], unserved)
    frame = pd.DataFrame(
        {
            "hour": np.repeat(np.arange(hours, dtype=np.int64), n_reg),
            "time": np.repeat(demand.times, n_reg),
            "region": np.tile(np.asarray(compiled.region_names, dtype=object), hours),
            "demand_mw": region_demand.ravel(),
            "deliverable_mw": np.maximum(acc["deliver"], served).ravel(),
            "served_mw": served.ravel(),
            "unserved_mw": unserved.ravel(),
            "dark_mw": dark.ravel(),
            "shed_mw": np.maximum(unserved - dark, 0.0).ravel(),
            "critical_mw": crit_reg.ravel(),
            "critical_unserved_mw": np.minimum(acc["crit"], crit_reg).ravel(),
            "customers": np.tile(customers.astype(np.int64), hours),
            "customers_off": acc["off"].ravel(),
            "customers_interrupted": acc["interrupted"].ravel(),
            "intact_served_mw": intact.ravel(),
            "wave_h": np.repeat(_since_wave(hours, wave_times_h), n_reg),
            "tasks_in_progress": _in_progress(problem, schedule, hours, n_reg).ravel(),
        },
        columns=list(COLUMNS),
    )
    return frame


def _since_wave(hours: int, wave_times_h: tuple[float, ...]) -> np.ndarray:
    """Hours from the latest wave (by the end of the hour) to the hour's start."""
    since = np.full(hours, np.nan)
    if not wave_times_h:
        return since
    waves = np.sort(np.asarray(wave_times_h, dtype=float))
    starts = np.arange(hours, dtype=float)
    idx = np.searchsorted(waves, starts + 1.0, side="left") - 1
    ok = idx >= 0
    since[ok] = np.maximum(starts[ok] - waves[idx[ok]], 0.0)
    return since


def _in_progress(problem: RepairProblem, schedule: Schedule, hours: int, n_reg: int) -> np.ndarray:
    """Element names of each region's tasks worked on during each hour."""
    names = problem.valuer.compiled.region_names
    code = {r: i for i, r in enumerate(names)}
    cells: dict[tuple[int, int], list[str]] = {}
    for task in problem.tasks:
        start, end = schedule.start_h[task.id], schedule.end_h[task.id]
        r = code.get(task.region)
        if not np.isfinite(start) or r is None:
            continue
        for h in range(math.floor(start), min(math.ceil(end), hours)):
            cells.setdefault((h, r), []).append(str(task.element))
    out = np.full((hours, n_reg), "", dtype=object)
    for (h, r), elements in cells.items():
        out[h, r] = " ".join(elements)
    return out
