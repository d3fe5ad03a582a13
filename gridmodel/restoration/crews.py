"""Repair crews at work: who starts which task when (list scheduling).

The repair problem of one sample is a :class:`RepairProblem`: the tasks, the
protection trips, the crews and an
:class:`~gridmodel.restoration.evaluations.EvaluationCache` to measure what a
state serves. :func:`dispatch` plays it out in continuous
time:

* crews belong to pools: one national pool, or one pool per region named in
  ``crews_per_region`` (tasks in regions not named use the national pool);
* whenever a crew of a pool is free and a task of that pool is *eligible*
  (released by its wave, every task in ``after`` finished, not started), the
  crew must start one (no deliberate idling); the strategy picks which;
* a started task runs to the end (no pre-emption); with ``around_the_clock``
  off, work progresses only inside the daily shift window.

:class:`DispatchState` advances the crews from event to event (a task ends,
a wave releases tasks); the exact search of :mod:`gridmodel.restoration.optimal` uses the
same class, so a plan found there replays identically here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gridmodel.restoration.condition import Clock, Condition
from gridmodel.restoration.evaluations import EvaluationCache
from gridmodel.restoration.tasks import Task, TripReturn

#: Name of the national crew pool.
NATIONAL = "national"

#: Time resolution of plan keys (h): event times closer than this are the same.
TIME_KEY_DIGITS = 6


@dataclass(frozen=True, eq=False)
class Crews:
    """Crew pools and working hours.

    Attributes
    ----------
    pools
        Crews per pool (``national`` and/or region names).
    task_pool
        Pool of every task (task id order).
    working
        ``None`` (around the clock), or a boolean per hour of the horizon:
        whether crews work in that hour (extended day by day past the horizon).
    """

    pools: Mapping[str, int]
    task_pool: tuple[str, ...]
    working: np.ndarray | None = None

    def finish(self, start_h: float, work_h: float) -> float:
        """When a task started at ``start_h`` with ``work_h`` crew hours ends."""
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


def crews_for(
    tasks: tuple[Task, ...],
    *,
    crews: int,
    crews_per_region: Mapping[str, int] | None = None,
    working: np.ndarray | None = None,
) -> Crews:
    """Crew pools for ``tasks``: regional pools where given, else the national pool."""
    regional = dict(crews_per_region or {})
    pools: dict[str, int] = {NATIONAL: int(crews)}
    pools.update({r: int(n) for r, n in regional.items()})
    task_pool = tuple(t.region if t.region in regional else NATIONAL for t in tasks)
    return Crews(pools=pools, task_pool=task_pool, working=working)


@dataclass(frozen=True, eq=False)
class RepairProblem:
    """Everything a strategy may look at for one sample (read-only by convention)."""

    tasks: tuple[Task, ...]
    returns: tuple[TripReturn, ...]
    crews: Crews
    evaluations: EvaluationCache
    horizon_h: float
    clock: Clock
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
    """What a strategy sees when a crew of ``pool`` is free at ``time_h``."""

    time_h: float
    pool: str
    eligible: tuple[int, ...]
    done: frozenset[int]
    running: tuple[tuple[int, float], ...]

    @property
    def key(self) -> tuple[Any, ...]:
        """A hashable key of the dispatch state (used by plans)."""
        return state_key(self.time_h, self.done, self.running)


def state_key(
    time_h: float, done: frozenset[int], running: tuple[tuple[int, float], ...]
) -> tuple[Any, ...]:
    rounded = tuple(sorted((i, round(end, TIME_KEY_DIGITS)) for i, end in running))
    return (round(time_h, TIME_KEY_DIGITS), done, rounded)


Choose = Callable[[RepairProblem, Situation], int]


class DispatchState:
    """Mutable dispatch state: time, free crews, running and finished tasks."""

    def __init__(self, problem: RepairProblem) -> None:
        self.problem = problem
        self.time_h = 0.0
        self.free = dict(problem.crews.pools)
        self.running: tuple[tuple[int, float], ...] = ()
        self.done: frozenset[int] = frozenset()
        self.started: frozenset[int] = frozenset()
        self.finished = False

    def copy(self) -> DispatchState:
        other = DispatchState.__new__(DispatchState)
        other.__dict__.update(self.__dict__)
        other.free = dict(self.free)
        return other

    def decision(self) -> Situation | None:
        """The next choice to make now (first pool, in name order), or ``None``."""
        if self.finished:
            return None
        problem = self.problem
        for pool in sorted(self.free):
            if self.free[pool] <= 0:
                continue
            eligible = tuple(
                t.id
                for t in problem.tasks
                if t.id not in self.started
                and problem.crews.task_pool[t.id] == pool
                and t.ready_h <= self.time_h
                and all(a in self.done for a in t.after)
            )
            if eligible:
                return Situation(self.time_h, pool, eligible, self.done, self.running)
        return None

    def assign(self, situation: Situation, task_id: int) -> None:
        """Start ``task_id`` now with a crew of the situation's pool."""
        task = self.problem.tasks[task_id]
        end = self.problem.crews.finish(self.time_h, task.duration_h)
        self.free[situation.pool] -= 1
        self.running = (*self.running, (task_id, end))
        self.started = self.started | {task_id}

    def advance(self) -> tuple[float, float, frozenset[int]]:
        """Move to the next event; return (from, to, tasks finished during the step)."""
        problem = self.problem
        horizon = problem.horizon_h
        events = [end for _, end in self.running]
        events += [
            t.ready_h for t in problem.tasks if t.id not in self.started and t.ready_h > self.time_h
        ]
        start, done = self.time_h, self.done
        nxt = min(events) if events else horizon
        if nxt >= horizon:
            self.time_h = horizon
            self.finished = True
            return start, horizon, done
        self.time_h = nxt
        finished = [(i, end) for i, end in self.running if end <= nxt]
        if finished:
            self.running = tuple((i, end) for i, end in self.running if end > nxt)
            for i, _ in finished:
                self.free[problem.crews.task_pool[i]] += 1
            self.done = self.done | {i for i, _ in finished}
        return start, nxt, done


@dataclass(frozen=True)
class CrewPlan:
    """When each task started and ended (NaN: not started within the horizon)."""

    start_h: np.ndarray
    end_h: np.ndarray
    order: tuple[int, ...]


def dispatch(problem: RepairProblem, choose: Choose) -> CrewPlan:
    """Play the crews out over the horizon, asking ``choose`` at every decision.

    Raises
    ------
    ValueError
        If ``choose`` returns a task that is not eligible (a strategy bug).
    """
    n = len(problem.tasks)
    start = np.full(n, np.nan)
    end = np.full(n, np.nan)
    order: list[int] = []
    state = DispatchState(problem)
    while not state.finished:
        situation = state.decision()
        while situation is not None:
            pick = int(choose(problem, situation))
            if pick not in situation.eligible:
                raise ValueError(f"strategy chose task {pick}, not one of {situation.eligible}")
            state.assign(situation, pick)
            start[pick] = state.time_h
            end[pick] = state.running[-1][1]
            order.append(pick)
            situation = state.decision()
        state.advance()
    return CrewPlan(start, end, tuple(order))
