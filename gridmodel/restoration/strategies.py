"""Repair strategies: which eligible task a free crew takes next.

A strategy is a plain function ``choose(problem, situation) -> task id``
(:class:`~gridmodel.restoration.crews.RepairProblem`,
:class:`~gridmodel.restoration.crews.Situation`) registered by name; a scenario names
it in ``[repair] strategy``. Every strategy is deterministic (ties go to the
task listed first) and must not modify its inputs.

Restored load
-------------
The static strategies rank by what a task brings back
(:mod:`gridmodel.restoration.gains`): the served MW (per priority class for
``critical_first``, customers for ``customers_per_crew_hour``) at the
evening peak after switching, of the task alone or with the tasks that wait
for it and can follow at once, whichever is worth more per crew hour.
``greedy_marginal`` re-measures on the current state at every decision
instead.

==================== ===========================================================
``as_listed``        in the order of the hits (scenario order)
``shortest_first``   shortest repair first
``largest_load_first`` most restored MW first
``load_per_hour``    most restored MW per crew hour first (Smith's rule)
``critical_first``   tasks restoring critical load (priority 1) first, then
                     priority 2, 3, 4 and other industry (5) last: a task
                     ranks by the highest class it restores any load of;
                     within a class by MW per repair hour
``greedy_marginal``  most served MW gained per repair hour, measured with the
                     engine on the current state and demand at each decision
``customers_per_crew_hour`` most customers back per crew hour, counted after
                     switching (what operators re-feed within hours is not
                     credited to a repair), ties by MW per repair hour
``optimal``          exact minimum energy not served (see :mod:`gridmodel.restoration.optimal`)
==================== ===========================================================
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gridmodel.engine.figures import PRIORITY_CLASSES as CLASSES
from gridmodel.errors import OptionError, unknown_name
from gridmodel.restoration import gains
from gridmodel.restoration.crews import Choose, RepairProblem, Situation
from gridmodel.restoration.gains import GAIN_TOL as GAIN_TOL_MW
from gridmodel.restoration.gains import best_gain
from gridmodel.restoration.optimal import plan_choice

_REGISTRY: dict[str, Choose] = {}


def register(name: str) -> Callable[[Choose], Choose]:
    """Decorator: register a strategy function under ``name``."""

    def add(func: Choose) -> Choose:
        if name in _REGISTRY:
            raise ValueError(f"strategy {name!r} is already registered")
        _REGISTRY[name] = func
        return func

    return add


def names() -> list[str]:
    """Registered strategy names, in registration order."""
    return list(_REGISTRY)


def get(name: str, *, field: str = "repair.strategy") -> Choose:
    """The strategy registered as ``name``.

    Raises
    ------
    OptionError
        Unknown name; the message lists the valid ones.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise unknown_name(
            "repair strategy", name, _REGISTRY, error=OptionError, field=field
        ) from None


def check_names(requested: list[str], *, field: str = "strategies") -> list[str]:
    """Validate a list of names (unknown names raise, duplicates are dropped)."""
    seen: dict[str, None] = {}
    for name in requested:
        get(name, field=field)
        seen.setdefault(name, None)
    if not seen:
        raise OptionError("no strategy named", field=field, allowed=", ".join(names()))
    return list(seen)


def restored_by_class(problem: RepairProblem, task_id: int) -> np.ndarray:
    """MW per priority class (1..5, :data:`~gridmodel.engine.figures.PRIORITY_CLASSES`)
    the task brings back (:func:`gridmodel.restoration.gains.best_gain`)."""
    return best_gain(problem, task_id).by_class


def restored_mw(problem: RepairProblem, task_id: int) -> float:
    """Total MW the task brings back (:func:`gridmodel.restoration.gains.best_gain`)."""
    return best_gain(problem, task_id).mw


def per_hour(problem: RepairProblem, task_id: int) -> float:
    """Restored MW per crew hour (:func:`gridmodel.restoration.gains.per_hour`)."""
    return gains.per_hour(problem, task_id)


def _first(situation: Situation, key: Callable[[int], tuple[float, ...]]) -> int:
    return min(situation.eligible, key=lambda i: (*key(i), i))


@register("as_listed")
def as_listed(problem: RepairProblem, situation: Situation) -> int:
    """The first eligible task in the order of the hits."""
    return min(situation.eligible)


@register("shortest_first")
def shortest_first(problem: RepairProblem, situation: Situation) -> int:
    """The eligible task with the shortest repair."""
    return _first(situation, lambda i: (problem.tasks[i].duration_h,))


@register("largest_load_first")
def largest_load_first(problem: RepairProblem, situation: Situation) -> int:
    """The eligible task restoring the most MW on its own."""
    return _first(situation, lambda i: (-restored_mw(problem, i),))


@register("load_per_hour")
def load_per_hour(problem: RepairProblem, situation: Situation) -> int:
    """The eligible task restoring the most MW per repair hour (Smith's rule).

    For one crew, independent tasks and constant demand this order minimises
    the energy not served, ``sum_j w_j C_j`` (Smith 1956, weighted shortest
    processing time).
    """
    return _first(situation, lambda i: (-per_hour(problem, i),))


def _best_class(problem: RepairProblem, task_id: int) -> int:
    gains = restored_by_class(problem, task_id)
    for cls, gain in zip(CLASSES, gains, strict=True):
        if gain > GAIN_TOL_MW:
            return cls
    return len(CLASSES) + 1


@register("critical_first")
def critical_first(problem: RepairProblem, situation: Situation) -> int:
    """Tasks restoring the highest priority class first, then MW per repair hour."""
    return _first(situation, lambda i: (_best_class(problem, i), -per_hour(problem, i)))


@register("customers_per_crew_hour")
def customers_per_crew_hour(problem: RepairProblem, situation: Situation) -> int:
    """The task bringing back the most customers per crew hour, after switching.

    Operators switch first: load re-fed through neighbours within hours is
    already served in the condition the task is measured on, so a repair
    earns only what switching cannot do. Ties (for example all zero) go to
    MW per repair hour.
    """

    def score(i: int) -> tuple[float, float]:
        return (-gains.per_hour(problem, i, customers=True), -per_hour(problem, i))

    return _first(situation, score)


@register("greedy_marginal")
def greedy_marginal(problem: RepairProblem, situation: Situation) -> int:
    """The task whose completion gains the most served MW per repair hour now.

    Measured with the engine on the current state (everything still out,
    including tasks other crews are working on) at the current hour's
    demand. Ties (for example all zero) fall back to ``load_per_hour``.
    """
    now_at = problem.condition_at(situation.time_h, situation.done)
    level = int(problem.evaluations.demand.level_of_hour[problem.hour_at(situation.time_h)])
    now = problem.evaluations.value(now_at, level).served_total_mw

    def gain(i: int) -> float:
        after = problem.condition_at(situation.time_h, situation.done | {i})
        if after == now_at:
            return 0.0
        delta = problem.evaluations.value(after, level).served_total_mw - now
        return delta if delta > GAIN_TOL_MW else 0.0

    return _first(
        situation,
        lambda i: (-gain(i) / problem.tasks[i].duration_h, -per_hour(problem, i)),
    )


@register("optimal")
def optimal(problem: RepairProblem, situation: Situation) -> int:
    """Exact minimum energy not served over the horizon (small problems only).

    Raises
    ------
    OptionError
        The problem is larger than :data:`gridmodel.restoration.optimal.MAX_TASKS` tasks.
    """
    return plan_choice(problem, situation)
