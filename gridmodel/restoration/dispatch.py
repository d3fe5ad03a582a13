"""The dispatch state: crews, tasks under way, and the events that move it on.

:class:`DispatchState` advances the crews from event to event (a crew
arrives, a task ends, a task's parts arrive); :func:`dispatch` asks the
strategy at every decision (the rules are in :mod:`gridmodel.restoration.crews`).
Work is counted in crew hours: ``k`` crews on a task do ``k`` hours of its
``duration_h`` per working hour.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from gridmodel.restoration.crews import NATIONAL, Choose, CrewPlan, RepairProblem, Situation

#: Time resolution of state keys (h): event times closer than this are the same.
TIME_KEY_DIGITS = 6


@dataclass(frozen=True)
class Progress:
    """A task under way: ``crews`` at work, ``left`` crew hours at ``since``,
    the projected ``end`` and the arrival times of crews on the way."""

    crews: int
    left: float
    since: float
    end: float
    arriving: tuple[float, ...] = ()


class DispatchState:
    """Mutable dispatch state: time, crews, tasks under way and finished."""

    def __init__(self, problem: RepairProblem) -> None:
        self.problem = problem
        n = len(problem.tasks)
        self.time_h = 0.0
        self.location: list[str] = list(problem.crews.homes)
        self.busy: list[int | None] = [None] * len(problem.crews.homes)
        self.progress: dict[int, Progress] = {}
        self.done: frozenset[int] = frozenset()
        self.finished = False
        self.assigned_h = np.full(n, np.nan)
        self.start_h = np.full(n, np.nan)
        self.end_h = np.full(n, np.nan)
        self.crews_on = np.zeros(n, dtype=np.int64)
        self.home: list[str] = [""] * n
        self.order: list[int] = []

    def copy(self) -> DispatchState:
        other = DispatchState.__new__(DispatchState)
        other.__dict__.update(self.__dict__)
        other.location, other.busy = list(self.location), list(self.busy)
        other.progress = dict(self.progress)
        for name in ("assigned_h", "start_h", "end_h", "crews_on"):
            setattr(other, name, getattr(self, name).copy())
        other.home, other.order = list(self.home), list(self.order)
        return other

    def key(self) -> tuple[Any, ...]:
        """A hashable key of the whole state (equal states, equal futures)."""
        digits = TIME_KEY_DIGITS
        running = tuple(
            (i, p.crews, round(p.end, digits), tuple(round(a, digits) for a in p.arriving))
            for i, p in sorted(self.progress.items())
        )
        crews = tuple(zip(self.location, self.busy, strict=True))
        return (round(self.time_h, digits), self.done, running, crews)

    def decision(self) -> Situation | None:
        """The next choice to make now (first free crew, in crew order), or ``None``."""
        if self.finished:
            return None
        problem = self.problem
        ready = [
            t.id
            for t in problem.tasks
            if t.id not in self.progress
            and t.id not in self.done
            and t.ready_h <= self.time_h
            and all(a in self.done for a in t.after)
        ]
        room = [i for i, p in sorted(self.progress.items()) if _room(p, problem.crews.per_task)]
        if not ready and not room:
            return None
        for crew, busy in enumerate(self.busy):
            if busy is not None:
                continue
            for eligible, joining in self._groups(crew, ready, room):
                if eligible:
                    return Situation(
                        self.time_h,
                        problem.crews.homes[crew],
                        tuple(eligible),
                        self.done,
                        crew=crew,
                        joining=joining,
                        key=self.key(),
                    )
        return None

    def _groups(self, crew: int, ready: list[int], room: list[int]) -> list[tuple[list[int], bool]]:
        """The crew's candidate groups in the order of the rules."""
        tasks = self.problem.tasks
        where = self.location[crew]
        if where == NATIONAL:
            return [(ready, False), (room, True)]
        here = [(ready, False), (room, True)]
        groups = [([i for i in g if tasks[i].region == where], j) for g, j in here]
        if self.problem.crews.mutual_aid:
            groups += [([i for i in g if tasks[i].region != where], j) for g, j in here]
        return groups

    def assign(self, situation: Situation, task_id: int) -> None:
        """Send the situation's crew to ``task_id`` (a new task or one under way)."""
        problem = self.problem
        crew, task = situation.crew, problem.tasks[task_id]
        now = self.time_h
        travel = 0.0
        if self.location[crew] != NATIONAL and self.location[crew] != task.region:
            travel = problem.crews.mobilisation_h
            self.location[crew] = task.region
        self.busy[crew] = task_id
        self.crews_on[task_id] += 1
        progress = self.progress.get(task_id)
        if progress is None:
            progress = Progress(0, task.duration_h, now, math.inf)
            self.assigned_h[task_id] = now
            self.home[task_id] = problem.crews.homes[crew]
            self.order.append(task_id)
        if travel > 0:
            progress = replace(progress, arriving=tuple(sorted((*progress.arriving, now + travel))))
        else:
            progress = self._arrive(task_id, progress, now)
        self.progress[task_id] = progress

    def _arrive(self, task_id: int, progress: Progress, when: float) -> Progress:
        """One more crew at work on ``task_id`` from ``when``."""
        crews = self.problem.crews
        left = progress.left - progress.crews * crews.worked(progress.since, when)
        if np.isnan(self.start_h[task_id]):
            self.start_h[task_id] = when
        count = progress.crews + 1
        end = crews.finish(when, max(left, 0.0) / count)
        return replace(progress, crews=count, left=left, since=when, end=end)

    def advance(self) -> tuple[float, float, frozenset[int]]:
        """Move to the next event; return (from, to, tasks finished before the step)."""
        problem = self.problem
        events = [p.end for p in self.progress.values()]
        events += [a for p in self.progress.values() for a in p.arriving]
        events += [
            t.ready_h
            for t in problem.tasks
            if t.id not in self.progress and t.id not in self.done and t.ready_h > self.time_h
        ]
        start, done = self.time_h, self.done
        nxt = min(events) if events else math.inf
        if nxt >= problem.horizon_h:
            self.time_h = problem.horizon_h
            self.finished = True
            return start, problem.horizon_h, done
        self.time_h = nxt
        for task_id, progress in sorted(self.progress.items()):
            if progress.end <= nxt:
                self._finish(task_id, progress.end)
                continue
            while progress.arriving and progress.arriving[0] <= nxt:
                first = progress.arriving[0]
                progress = self._arrive(
                    task_id, replace(progress, arriving=progress.arriving[1:]), first
                )
            self.progress[task_id] = progress
        return start, nxt, done

    def _finish(self, task_id: int, when: float) -> None:
        del self.progress[task_id]
        self.end_h[task_id] = when
        self.done = self.done | {task_id}
        for crew, busy in enumerate(self.busy):
            if busy == task_id:
                self.busy[crew] = None

    def plan(self) -> CrewPlan:
        return CrewPlan(
            assigned_h=self.assigned_h,
            start_h=self.start_h,
            end_h=self.end_h,
            crews=self.crews_on,
            home=tuple(self.home),
            order=tuple(self.order),
        )


def _room(progress: Progress, per_task: int) -> bool:
    return progress.crews + len(progress.arriving) < per_task


def dispatch(problem: RepairProblem, choose: Choose) -> CrewPlan:
    """Play the crews out over the horizon, asking ``choose`` at every decision.

    Raises
    ------
    ValueError
        If ``choose`` returns a task that is not eligible (a strategy bug).
    """
    state = DispatchState(problem)
    while not state.finished:
        situation = state.decision()
        while situation is not None:
            pick = int(choose(problem, situation))
            if pick not in situation.eligible:
                raise ValueError(f"strategy chose task {pick}, not one of {situation.eligible}")
            state.assign(situation, pick)
            situation = state.decision()
        state.advance()
    return state.plan()
