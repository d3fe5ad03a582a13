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
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from gridmodel.engine import CompiledGrid
from gridmodel.engine.figures import FIGURE_COLUMNS
from gridmodel.restoration.condition import Condition
from gridmodel.restoration.crews import CrewPlan, RepairProblem, crew_table
from gridmodel.restoration.dispatch import dispatch
from gridmodel.restoration.evaluations import PEAK
from gridmodel.restoration.frequency import FrequencyEvent
from gridmodel.restoration.generation_options import GenerationOptions
from gridmodel.restoration.options import DemandOptions, RepairOptions
from gridmodel.restoration.problem import DEFAULT_START, prepare
from gridmodel.restoration.strategies import get
from gridmodel.restoration.tasks import Task
from gridmodel.schema import DEFAULT_TIMEZONE
from gridmodel.strikes.damage import Damage

__all__ = ["COLUMNS", "DEFAULT_START", "Timeline", "prepare", "run_strategy", "simulate"]

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
    "network_limited_mw",
    "supply_shortage_mw",
    "ufls_mw",
    "shed_mw",
    "refed_mw",
    "critical_mw",
    "critical_unserved_mw",
    "customers",
    "customers_off",
    "customers_interrupted",
    "intact_served_mw",
    "wave_h",
    "tasks_in_progress",
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
    frequency
        What the frequency rule found at each wave
        (:class:`~gridmodel.restoration.frequency.FrequencyEvent`).
    units
        One row per unit outage (trip, separation, blackout): ``unit``,
        ``type``, ``cause``, ``down_h``, ``up_h``, ``full_h``.
    """

    frame: pd.DataFrame
    tasks: pd.DataFrame
    strategy: str
    horizon_h: float
    warnings: tuple[str, ...] = field(default=())
    frequency: tuple[FrequencyEvent, ...] = field(default=())
    units: pd.DataFrame | None = None


def simulate(
    compiled: CompiledGrid,
    damage: Damage,
    tasks: tuple[Task, ...],
    *,
    repair: RepairOptions | None = None,
    demand: DemandOptions | None = None,
    start: datetime = DEFAULT_START,
    timezone: str = DEFAULT_TIMEZONE,
    strategy: str | None = None,
    wave_times_h: tuple[float, ...] | None = None,
    generation: GenerationOptions | None = None,
) -> Timeline:
    """Play out the restoration of ``damage`` with ``tasks`` and return the timeline.

    Parameters
    ----------
    compiled
        The compiled grid (its options: DC/AC, trip/shed).
    damage
        The sample's damage (for trips and wave times).
    tasks
        Repair tasks from :func:`gridmodel.restoration.tasks.repair_tasks`.
    repair, demand
        The scenario's ``[repair]`` and ``[demand]`` sections (crews,
        strategy, horizon; demand profile).
    start, timezone
        Local time of hour 0.
    strategy
        Overrides ``repair.strategy``.
    wave_times_h
        Times of the strike waves (default: the times of the damage's hits
        and trips).
    generation
        The scenario's ``[generation]`` section (default its defaults).

    Returns
    -------
    Timeline
    """
    repair = repair if repair is not None else RepairOptions()
    demand = demand if demand is not None else DemandOptions()
    problem = prepare(
        compiled,
        damage,
        tasks,
        repair=repair,
        demand=demand,
        start=start,
        timezone=timezone,
        generation=generation,
    )
    if wave_times_h is None:
        times = {float(h.time_h) for h in damage.hits} | {float(t.time_h) for t in damage.trips}
        wave_times_h = tuple(sorted(times))
    return run_strategy(problem, strategy or repair.strategy, wave_times_h=wave_times_h)


def run_strategy(
    problem: RepairProblem, strategy: str, *, wave_times_h: tuple[float, ...] = ()
) -> Timeline:
    """Dispatch the crews of ``problem`` with ``strategy`` and build the timeline."""
    plan = dispatch(problem, get(strategy))
    frame = timeline_frame(problem, plan, wave_times_h=wave_times_h)
    table = crew_table(problem, plan)
    found = problem.frequency
    return Timeline(
        frame,
        table,
        strategy,
        problem.horizon_h,
        problem.evaluations.warnings,
        found.events if found is not None else (),
        found.units.frame() if found is not None else None,
    )


def _segments(problem: RepairProblem, plan: CrewPlan) -> list[tuple[float, float, frozenset[int]]]:
    """Stretches ``[a, b)`` of constant state: (a, b, finished task ids)."""
    horizon = problem.horizon_h
    points = {0.0, horizon}
    points |= {p for p in problem.clock.events() if 0 < p < horizon}
    points |= {float(e) for e in plan.end_h if np.isfinite(e) and e < horizon}
    cuts = sorted(points)
    end = np.nan_to_num(plan.end_h, nan=np.inf)
    segments = []
    for a, b in itertools.pairwise(cuts):
        done = frozenset(int(i) for i in np.flatnonzero(end <= a))
        segments.append((a, b, done))
    return segments


#: Region figures the timeline keeps as time-weighted hourly means: every
#: figure but those that do not depend on the damage (demand, critical demand,
#: customers), which come from the intact grid.
_SUMMED = tuple(c for c in FIGURE_COLUMNS if c not in ("load_mw", "critical_mw", "customers"))


def _hourly_means(problem: RepairProblem, plan: CrewPlan) -> dict[str, np.ndarray]:
    """Time-weighted means per hour and region of every segment's figures."""
    evaluations = problem.evaluations
    compiled = evaluations.compiled
    demand = evaluations.demand
    hours, n_reg = demand.hours, evaluations.n_regions
    acc = {k: np.zeros((hours, n_reg)) for k in (*_SUMMED, "deliver", "interrupted")}
    region_of_load = compiled.load_region
    intact = Condition.intact()
    prev_off = evaluations.value(intact, int(demand.level_of_hour[0])).figures.unserved_share
    segments = _segments(problem, plan)
    k = 0
    for h in range(hours):
        level = int(demand.level_of_hour[h])
        t = float(h)
        while t < h + 1 - 1e-12 and k < len(segments):
            a, b, done = segments[k]
            stop = min(b, h + 1.0)
            weight = stop - t
            condition = problem.condition_at(a, done)
            now = evaluations.value(condition, level).figures
            for name in _SUMMED:
                acc[name][h] += weight * getattr(now, name)
            acc["deliver"][h] += weight * evaluations.value(condition, PEAK).figures.served_mw
            rise = np.maximum(now.unserved_share - prev_off, 0.0) * compiled.load_customers
            acc["interrupted"][h] += np.bincount(region_of_load, weights=rise, minlength=n_reg)[
                :n_reg
            ]
            prev_off = now.unserved_share
            t = stop
            if b <= h + 1.0 + 1e-12:
                k += 1
    return acc


def timeline_frame(
    problem: RepairProblem, plan: CrewPlan, *, wave_times_h: tuple[float, ...] = ()
) -> pd.DataFrame:
    """The hourly frame of a dispatched crew plan (see the module notes)."""
    evaluations = problem.evaluations
    compiled = evaluations.compiled
    demand = evaluations.demand
    hours, n_reg = demand.hours, evaluations.n_regions
    acc = _hourly_means(problem, plan)
    intact = [
        evaluations.value(Condition.intact(), lv).figures for lv in range(len(demand.levels_mw))
    ]
    level = demand.level_of_hour
    customers = intact[0].customers if intact else np.zeros(n_reg)
    region_demand = np.stack([f.load_mw for f in intact])[level]
    frame = pd.DataFrame(
        {
            "hour": np.repeat(np.arange(hours, dtype=np.int64), n_reg),
            "time": np.repeat(demand.times, n_reg),
            "region": np.tile(np.asarray(compiled.region_names, dtype=object), hours),
            "demand_mw": region_demand.ravel(),
            # capacity: what the damaged grid serves now or would serve at the peak
            "deliverable_mw": np.maximum(acc["deliver"], acc["served_mw"]).ravel(),
            **{name: acc[name].ravel() for name in _SUMMED if name != "customers_off"},
            "critical_mw": np.stack([f.critical_mw for f in intact])[level].ravel(),
            "customers": np.tile(customers.astype(np.int64), hours),
            "customers_off": acc["customers_off"].ravel(),
            "customers_interrupted": acc["interrupted"].ravel(),
            "intact_served_mw": np.stack([f.served_mw for f in intact])[level].ravel(),
            "wave_h": np.repeat(_since_wave(hours, wave_times_h), n_reg),
            "tasks_in_progress": _in_progress(problem, plan, hours, n_reg).ravel(),
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


def _in_progress(problem: RepairProblem, plan: CrewPlan, hours: int, n_reg: int) -> np.ndarray:
    """Element names of each region's tasks worked on during each hour."""
    names = problem.evaluations.compiled.region_names
    code = {r: i for i, r in enumerate(names)}
    cells: dict[tuple[int, int], list[str]] = {}
    for task in problem.tasks:
        start, end = plan.start_h[task.id], plan.end_h[task.id]
        r = code.get(task.region)
        if not np.isfinite(start) or r is None:
            continue
        end = end if np.isfinite(end) else float(hours)
        for h in range(math.floor(start), min(math.ceil(end), hours)):
            cells.setdefault((h, r), []).append(str(task.element))
    out = np.full((hours, n_reg), "", dtype=object)
    for (h, r), elements in cells.items():
        out[h, r] = " ".join(elements)
    return out
