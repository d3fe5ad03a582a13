"""Repair crews at work: who starts or joins which task when (list scheduling).

The repair problem of one sample is a :class:`RepairProblem`: the tasks, the
protection trips, the crews, the operators' clock and an
:class:`~gridmodel.restoration.evaluations.EvaluationCache` to measure what a
condition serves. :func:`dispatch` plays it out in continuous time with
:class:`~gridmodel.restoration.dispatch.DispatchState`:

* crews are national mobile teams (``crews``; they stand for teams spread
  over the country and move without mobilisation time, their travel being
  part of the repair durations) and regional crews (``crews_per_region``),
  based in their region;
* a regional crew works where it is; with ``mutual_aid`` it is sent to
  another region when it has nothing to do where it is, and the crew is
  ``mobilisation_h`` on the way before it starts there (it stays there
  afterwards, and going home costs the same);
* a task is *eligible* once its parts are on site (``ready_h``) and every
  task in ``after`` is finished; waiting for parts holds no crew;
* up to ``crews_per_task`` crews may work on one task together, sharing its
  crew hours (two crews halve what is left);
* whenever a crew is free, it must take something (no deliberate idling), in
  this order: a new task where it is, a task under way where it is that has
  room for another crew, then (regional crews with mutual aid) a new task
  elsewhere, a task under way elsewhere; the strategy picks within the first
  group that is not empty;
* a started task runs to the end (no pre-emption); with ``around_the_clock``
  off, work progresses only inside the daily shift window.

The exact search of :mod:`gridmodel.restoration.optimal` uses the same
state class, so a plan found there replays identically here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gridmodel.restoration.condition import Clock, Condition
from gridmodel.restoration.evaluations import EvaluationCache
from gridmodel.restoration.frequency import FrequencyResult
from gridmodel.restoration.tasks import Task, TripReturn, tasks_frame

#: Home of the national crews.
NATIONAL = "national"


@dataclass(frozen=True, eq=False)
class Crews:
    """The crews and their working hours.

    Attributes
    ----------
    homes
        Home of every crew: :data:`NATIONAL` or a region name (national first,
        then regions in name order).
    mobilisation_h
        Hours a regional crew travels to work in another region.
    mutual_aid
        Whether regional crews may be sent to other regions.
    per_task
        Most crews on one task at once.
    working
        ``None`` (around the clock), or a boolean per hour of the horizon:
        whether crews work in that hour (extended day by day past the horizon).
    """

    homes: tuple[str, ...]
    mobilisation_h: float = 0.0
    mutual_aid: bool = True
    per_task: int = 1
    working: np.ndarray | None = None

    def finish(self, start_h: float, work_h: float) -> float:
        """When ``work_h`` working hours from ``start_h`` are done."""
        if self.working is None:
            return start_h + work_h
        mask = self.working
        per_day = max(float(mask[-24:].sum()), 1.0)
        t, left = start_h, work_h
        while left > 1e-12:
            h = int(np.floor(t))
            if h >= len(mask):
                return t + left * 24.0 / per_day  # past the horizon: average pace
            if mask[h]:
                step = min(h + 1 - t, left)
                left -= step
                t += step
            else:
                t = float(h + 1)
        return t

    def worked(self, start_h: float, end_h: float) -> float:
        """Working hours in ``[start_h, end_h)``."""
        if self.working is None or end_h <= start_h:
            return max(end_h - start_h, 0.0)
        mask = self.working
        per_day = max(float(mask[-24:].sum()), 1.0)
        total, t = 0.0, start_h
        while t < end_h - 1e-12:
            h = int(np.floor(t))
            stop = min(float(h + 1), end_h)
            if h >= len(mask):
                return total + (end_h - t) * per_day / 24.0
            total += (stop - t) if mask[h] else 0.0
            t = stop
        return total


def crews_for(
    *,
    crews: int,
    crews_per_region: Mapping[str, int] | None = None,
    mobilisation_h: float = 0.0,
    mutual_aid: bool = True,
    per_task: int = 1,
    working: np.ndarray | None = None,
) -> Crews:
    """The crews: ``crews`` national ones, then each region's own."""
    homes = [NATIONAL] * int(crews)
    for region in sorted(crews_per_region or {}):
        homes += [region] * int((crews_per_region or {})[region])
    return Crews(tuple(homes), float(mobilisation_h), bool(mutual_aid), int(per_task), working)


@dataclass(frozen=True, eq=False)
class RepairProblem:
    """Everything a strategy may look at for one sample (read-only by convention)."""

    tasks: tuple[Task, ...]
    returns: tuple[TripReturn, ...]
    crews: Crews
    evaluations: EvaluationCache
    horizon_h: float
    clock: Clock
    frequency: FrequencyResult | None = None
    memo: dict[str, Any] = field(default_factory=dict)

    def condition_at(
        self, time_h: float, done: frozenset[int], *, settled: bool = False
    ) -> Condition:
        """The grid's condition at ``time_h`` with the tasks in ``done`` finished
        (:meth:`gridmodel.restoration.condition.Clock.at`)."""
        return self.clock.at(time_h, done, settled=settled)

    def hour_at(self, time_h: float) -> int:
        """Index of the hour containing ``time_h`` (clipped to the horizon)."""
        return int(min(max(np.floor(time_h), 0), self.evaluations.demand.hours - 1))


@dataclass(frozen=True)
class Situation:
    """What a strategy sees when crew ``crew`` (home ``pool``) is free at ``time_h``.

    ``eligible`` are the tasks it may take now (new ones, or ones under way
    with room for another crew: ``joining``); ``key`` identifies the whole
    dispatch state (used by plans).
    """

    time_h: float
    pool: str
    eligible: tuple[int, ...]
    done: frozenset[int]
    crew: int = 0
    joining: bool = False
    key: tuple[Any, ...] = ()


Choose = Callable[[RepairProblem, Situation], int]


@dataclass(frozen=True)
class CrewPlan:
    """What happened to each task (NaN: not within the horizon).

    ``assigned_h``: the first crew was sent; ``start_h``: work began (the
    first crew arrived); ``end_h``: finished; ``crews``: crews that worked
    on it; ``home``: home of the first crew; ``order``: tasks in the order
    they were first assigned.
    """

    assigned_h: np.ndarray
    start_h: np.ndarray
    end_h: np.ndarray
    crews: np.ndarray
    home: tuple[str, ...]
    order: tuple[int, ...]


def crew_table(problem: RepairProblem, plan: CrewPlan) -> pd.DataFrame:
    """The task table with what the crews did (``tasks.csv``).

    Per task, after the task columns: ``pool`` (home of the first crew sent:
    ``national`` or a region), ``crews`` (how many worked on it),
    ``wait_h`` (from release until the first crew was sent, of which
    ``parts_h`` waiting for parts), ``travel_h`` (the first crew's
    mobilisation), ``work_h`` (from the start of work to its end), and
    ``assigned_h``, ``start_h``, ``end_h`` (NaN if not within the horizon)
    and ``done`` (finished within the horizon). A task not finished within
    the horizon has no ``end_h`` and ``work_h`` (NaN: an empty cell in
    ``tasks.csv``), even when the crews' plan ran past the horizon.
    """
    table = tasks_frame(problem.tasks)
    done = np.nan_to_num(plan.end_h, nan=np.inf) <= problem.horizon_h
    end_h = np.where(done, plan.end_h, np.nan)
    release = table["release_h"].to_numpy(dtype=float)
    table["pool"] = [home or "" for home in plan.home]
    table["crews"] = plan.crews
    table["wait_h"] = plan.assigned_h - release
    table["travel_h"] = plan.start_h - plan.assigned_h
    table["work_h"] = end_h - plan.start_h
    table["assigned_h"] = plan.assigned_h
    table["start_h"] = plan.start_h
    table["end_h"] = end_h
    table["done"] = done
    return table
