"""Restoration: repair tasks, crews, strategies, the hourly timeline and its metrics.

::

    from gridmodel.restoration import repair_tasks, simulate, compute_metrics
    tasks = repair_tasks(damage, grid, options=scenario.repair, rng=rng)
    timeline = simulate(compiled, damage, tasks, repair=scenario.repair,
                        demand=scenario.demand, start=scenario.start_time)
    metrics = compute_metrics(timeline.frame)

Modules: :mod:`~.options` (the ``[repair]`` and ``[demand]`` sections),
:mod:`~.tasks` (repair tasks and durations), :mod:`~.demand` (hourly demand),
:mod:`~.evaluations` (engine evaluations of partly repaired states, kept),
:mod:`~.crews` (who starts which task when), :mod:`~.strategies` (which task
next; :mod:`~.optimal` the exact search), :mod:`~.timeline` (hour by hour)
and :mod:`~.metrics` (ENS, SAIDI, restoration times, resilience trapezoid).
"""

from gridmodel.restoration.metrics import Metrics, compute_metrics
from gridmodel.restoration.options import DemandOptions, Duration, Durations, RepairOptions
from gridmodel.restoration.tasks import Task, repair_tasks
from gridmodel.restoration.timeline import COLUMNS, Timeline, prepare, run_strategy, simulate

__all__ = [
    "COLUMNS",
    "DemandOptions",
    "Duration",
    "Durations",
    "Metrics",
    "RepairOptions",
    "Task",
    "Timeline",
    "compute_metrics",
    "prepare",
    "repair_tasks",
    "run_strategy",
    "simulate",
]
