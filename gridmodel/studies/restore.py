"""The restoration stage of a scenario sample: repair tasks -> timeline -> metrics.

Durations are drawn from the sample's ``repairs`` stream, the same draws
:func:`gridmodel.studies.compare.compare` uses for that sample.
"""

from __future__ import annotations

from dataclasses import dataclass

from gridmodel.errors import GridModelError, ScenarioError
from gridmodel.restoration.crews import RepairProblem
from gridmodel.restoration.metrics import Metrics, compute_metrics
from gridmodel.restoration.strategies import get
from gridmodel.restoration.tasks import Task
from gridmodel.restoration.timeline import Timeline, prepare, run_strategy
from gridmodel.scenario import Scenario
from gridmodel.strikes import Damage
from gridmodel.studies.context import ScenarioContext


@dataclass(frozen=True, eq=False)
class Restoration:
    """One sample's restoration: tasks, timeline and metrics."""

    strategy: str
    tasks: tuple[Task, ...]
    timeline: Timeline
    metrics: Metrics


def check_strategy(scenario: Scenario, strategy: str | None) -> str:
    """The strategy to use: ``strategy`` (an option) or the scenario's, checked.

    Raises
    ------
    OptionError
        An unknown ``strategy`` option.
    ScenarioError
        An unknown strategy in the scenario's ``[repair]`` section.
    """
    if strategy is not None:
        get(strategy, field="strategy")
        return strategy
    try:
        get(scenario.repair.strategy)
    except GridModelError as exc:
        raise ScenarioError(
            exc.message, file=scenario.file, field="repair.strategy", allowed=exc.allowed
        ) from None
    return str(scenario.repair.strategy)


def restore(
    context: ScenarioContext,
    damage: Damage,
    *,
    sample: int = 0,
    seed: int | None = None,
    strategy: str | None = None,
) -> Restoration:
    """Repair tasks, hourly timeline and metrics of one sample of the context's scenario."""
    scenario = context.scenario
    name = check_strategy(scenario, strategy)
    tasks = context.tasks(damage, sample, seed=seed)
    problem = repair_problem(context, damage, tasks)
    timeline = run_strategy(problem, name, wave_times_h=wave_times(scenario))
    first = min(wave_times(scenario), default=0.0)
    return Restoration(name, tasks, timeline, compute_metrics(timeline.frame, first_wave_h=first))


def repair_problem(
    context: ScenarioContext, damage: Damage, tasks: tuple[Task, ...]
) -> RepairProblem:
    """The repair problem of one sample with the scenario's ``[repair]`` and ``[demand]``
    options and clock (strategies compared on a sample share it); its evaluations
    use the context's engine cache, so factorisations and the AC model carry over
    from sample to sample."""
    scenario = context.scenario
    return prepare(
        context.compiled,
        damage,
        tasks,
        repair=scenario.repair,
        demand=scenario.demand,
        start=scenario.start_time,
        timezone=scenario.timezone,
        engine=context.cache,
        generation=scenario.generation,
        carried=carried_waves(scenario),
    )


def carried_waves(scenario: Scenario) -> frozenset[int]:
    """Indices of the waves carried over from before the scenario (``carried = true``)."""
    return frozenset(i for i, w in enumerate(scenario.waves) if w.carried)


def wave_times(scenario: Scenario) -> tuple[float, ...]:
    """The times of the scenario's waves (hours from its start), but for
    damage carried over from before it (not a fresh strike)."""
    return tuple(float(w.time_h) for w in scenario.waves if not w.carried)
