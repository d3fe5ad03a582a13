"""What a repair brings back: the measure the static strategies rank tasks by.

A task's gain is measured with the engine at the evening peak, in the
*settled* condition of its release time (every task released by then
unfinished except the ones it waits for, isolation over, switching done:
what operators re-feed within hours is not credited to a repair), as served
MW per priority class and customers back, once with the task finished and
once without.

Some tasks restore nothing on their own: the switchgear of a destroyed
substation brings back buses whose supply transformers and lines still wait
for it. Such a task is also measured with its *ready dependents*: the tasks
that wait for it and need no parts (they can follow at once). A task's
benefit per crew hour is the better of the task alone (its gain over its
duration) and the task with its ready dependents (their joint gain over their
joint duration), the ratio rule for chains of jobs (Sidney 1975); its
benefit in MW or customers is the larger of the two gains.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmodel.engine.figures import PRIORITY_CLASSES
from gridmodel.restoration.crews import RepairProblem
from gridmodel.restoration.evaluations import PEAK

#: Gains below this (MW or customers) count as nothing restored.
GAIN_TOL = 1e-6


@dataclass(frozen=True)
class Gain:
    """Served MW per priority class (:data:`PRIORITY_CLASSES` order) and customers back."""

    by_class: np.ndarray
    customers: float

    @property
    def mw(self) -> float:
        return float(self.by_class.sum())


def gain_of(
    problem: RepairProblem, ids: frozenset[int], time_h: float, done: frozenset[int]
) -> Gain:
    """The gain of finishing the tasks ``ids`` in the settled condition at ``time_h``
    with the tasks ``done`` finished."""
    cache = problem.memo.setdefault("gains", {})
    key = (ids, time_h, done)
    hit = cache.get(key)
    if hit is None:
        before = problem.condition_at(time_h, done, settled=True)
        after = problem.condition_at(time_h, done | ids, settled=True)
        hit = Gain(np.zeros(len(PRIORITY_CLASSES)), 0.0)
        if before != after:
            was = problem.evaluations.value(before, PEAK).figures
            now = problem.evaluations.value(after, PEAK).figures
            mw = now.served_by_class_mw - was.served_by_class_mw
            back = was.total("customers_off") - now.total("customers_off")
            hit = Gain(np.where(mw > GAIN_TOL, mw, 0.0), back if back > GAIN_TOL else 0.0)
        cache[key] = hit
    return hit


def alone(problem: RepairProblem, task_id: int) -> Gain:
    """The gain of the task on its own (what it waits for done)."""
    task = problem.tasks[task_id]
    return gain_of(problem, frozenset({task_id}), task.release_h, frozenset(task.after))


def with_dependents(problem: RepairProblem, task_id: int) -> tuple[Gain, float]:
    """The gain of the task with its ready dependents, and their joint crew hours."""
    task = problem.tasks[task_id]
    ids = {task_id} | {
        t.id
        for t in problem.tasks
        if task_id in t.after and t.parts_h == 0 and t.release_h <= task.release_h
    }
    hours = sum(problem.tasks[i].duration_h for i in ids)
    return gain_of(problem, frozenset(ids), task.release_h, frozenset(task.after)), hours


def best_gain(problem: RepairProblem, task_id: int) -> Gain:
    """The larger of the task's gain alone and with its ready dependents (by MW)."""
    own = alone(problem, task_id)
    joint, _ = with_dependents(problem, task_id)
    return joint if joint.mw > own.mw + GAIN_TOL else own


def per_hour(problem: RepairProblem, task_id: int, *, customers: bool = False) -> float:
    """Benefit per crew hour: MW (or customers) back per hour of repair, the better of
    the task alone and with its ready dependents."""
    own = alone(problem, task_id)
    joint, hours = with_dependents(problem, task_id)

    def value(g: Gain) -> float:
        return g.customers if customers else g.mw

    return max(value(own) / problem.tasks[task_id].duration_h, value(joint) / hours)
