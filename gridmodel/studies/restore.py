"""The restoration stage of ``gridmodel run``: repair tasks -> timeline -> metrics.

:func:`restore_run` takes what the run pipeline already has (scenario, grid,
compiled grid, the sample's damage) and plays out the repairs with the
scenario's (or the given) strategy; :func:`write_restoration` writes
``timeline.parquet``, ``timeline.csv`` and ``tasks.csv`` into a run folder.
Durations are drawn from the sample's ``repairs`` stream
(``rng_for(seed, sample, stream=STREAMS["repairs"])``), the same draws
:func:`gridmodel.studies.compare.compare` uses for that sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gridmodel.engine.compiled import CompiledGrid
from gridmodel.errors import GridModelError, OptionError, ScenarioError
from gridmodel.network.grid import Grid
from gridmodel.restoration.metrics import Metrics, compute_metrics
from gridmodel.outputs import safe_csv
from gridmodel.restoration.tasks import Task, repair_tasks
from gridmodel.restoration.timeline import Timeline, options_from_scenario, simulate


@dataclass(frozen=True, eq=False)
class Restoration:
    """One sample's restoration: tasks, timeline and metrics."""

    strategy: str
    tasks: tuple[Task, ...]
    timeline: Timeline
    metrics: Metrics


def check_strategy(scenario: Any, strategy: str | None) -> str:
    """The strategy to use: ``strategy`` (an option) or the scenario's, checked.

    Raises
    ------
    OptionError
        An unknown ``strategy`` option.
    ScenarioError
        An unknown strategy in the scenario's ``[repair]`` section.
    """
    from gridmodel.restoration.strategies import get

    if strategy is not None:
        get(strategy, field="--strategy")
        return strategy
    try:
        get(scenario.repair.strategy)
    except GridModelError as exc:
        raise ScenarioError(
            exc.message, file=scenario.file, field="repair.strategy", allowed=exc.allowed
        ) from None
    return str(scenario.repair.strategy)


def restore_run(
    scenario: Any,
    grid: Grid,
    compiled: CompiledGrid,
    damage: Any,
    *,
    sample: int = 0,
    strategy: str | None = None,
) -> Restoration:
    """Repair tasks, hourly timeline and metrics of one sample of ``scenario``."""
    from gridmodel.strikes.realise import STREAMS, rng_for

    name = check_strategy(scenario, strategy)
    options = options_from_scenario(scenario, strategy=name)
    tasks = repair_tasks(
        damage,
        grid,
        options=scenario.repair,
        rng=rng_for(int(scenario.seed), sample, stream=STREAMS["repairs"]),
    )
    try:
        timeline = simulate(compiled, damage, tasks, options=options)
    except OptionError as exc:
        if exc.field and exc.field.startswith("demand."):
            raise ScenarioError(
                exc.message, file=scenario.file, field=exc.field, allowed=exc.allowed
            ) from None
        raise
    first = min((w.time_h for w in scenario.waves), default=0.0)
    return Restoration(name, tasks, timeline, compute_metrics(timeline.frame, first_wave_h=first))


def timeline_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """The timeline with ISO 8601 local times (with offset), for CSV."""
    out = frame.copy()
    out["time"] = [t.isoformat() for t in frame["time"]]
    return out


def write_restoration(restoration: Restoration, folder: Path) -> None:
    """Write ``timeline.parquet``, ``timeline.csv`` and ``tasks.csv`` into ``folder``."""
    frame = restoration.timeline.frame
    frame.to_parquet(folder / "timeline.parquet", index=False)
    safe_csv(timeline_csv(frame), folder / "timeline.csv")
    safe_csv(restoration.timeline.tasks, folder / "tasks.csv")
