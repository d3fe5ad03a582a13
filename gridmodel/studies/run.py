"""The ``gridmodel run`` pipeline: scenario -> strikes -> impact (-> timeline ...).

Each step is a pure function of the previous step's output; this module only
chains them and writes the run folder (DESIGN.md output contract).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gridmodel.engine.compiled import CompiledGrid, EngineOptions, compile_grid
from gridmodel.engine.dc import Outcome, evaluate
from gridmodel.errors import GridModelError, ScenarioError
from gridmodel.network.grid import Element, Grid
from gridmodel.engine.figures import impact_summary


def engine_options(model: Any) -> EngineOptions:
    """Engine options from a scenario's ``[model]`` section."""
    return EngineOptions(
        mode=model.mode,
        overload=model.overload,
        ratings=model.ratings,
        overload_limit_percent=float(model.overload_limit_percent),
        ac_backend=model.ac_backend,
    )


def evaluate_impact(
    grid: Grid, elements: Iterable[Element], *, options: EngineOptions
) -> dict[str, Any]:
    """Impact JSON of ``grid`` with ``elements`` out of service (DESIGN.md contract)."""
    compiled = compile_grid(grid, options=options)
    outcome = evaluate(compiled, compiled.state(elements))
    summary = impact_summary(compiled, outcome)
    summary["warnings"] = [*compiled.warnings, *summary["warnings"]]
    return summary


@dataclass(frozen=True, eq=False)
class RunResult:
    """Everything one scenario run produced (one sample of its random draws)."""

    scenario: Any
    grid: Grid
    compiled: CompiledGrid
    damage: Any
    outcome: Outcome
    impact: dict[str, Any]
    sample: int = 0
    # restoration stage (gridmodel.studies.restore): tasks, timeline, metrics
    restoration: Any = None
    # rolling-outage schedule of the timeline's deficit (gridmodel.schedule)
    schedule: Any = None


def first_wave_out(damage: Any) -> list[Element]:
    """Elements out right after the first wave: its hits and protection trips."""
    waves = damage.waves()
    if not waves:
        return []
    first = waves[0]
    return [*damage.damaged(first), *damage.tripped(first)]


def run_scenario(scenario: Any, *, sample: int = 0, strategy: str | None = None) -> RunResult:
    """Realise the scenario's strikes (sample ``sample``) and evaluate the impact.

    The impact is the grid state right after the first wave. The restoration
    (repairs with ``strategy``, default the scenario's) follows over the horizon.
    """
    from gridmodel.scenario import check_scenario, load_scenario_grid
    from gridmodel.strikes.realise import realise, rng_for

    grid = load_scenario_grid(scenario)
    problems = check_scenario(scenario, grid)
    if problems:
        raise problems[0]
    compiled = compile_grid(grid, options=engine_options(scenario.model))
    damage = realise(scenario, grid, rng_for(scenario.seed, sample))
    outcome = evaluate(compiled, compiled.state(first_wave_out(damage)))
    impact = impact_summary(compiled, outcome)
    impact["warnings"] = [*compiled.warnings, *impact["warnings"]]
    # restoration stage: repair tasks, hourly timeline, metrics
    from gridmodel.studies.restore import restore_run

    restoration = restore_run(scenario, grid, compiled, damage, sample=sample, strategy=strategy)
    schedule = plan_schedule(scenario, grid, restoration.timeline.frame)
    return RunResult(
        scenario, grid, compiled, damage, outcome, impact, sample, restoration, schedule
    )


def plan_schedule(scenario: Any, grid: Grid, timeline: Any) -> Any:
    """The rolling-outage schedule the timeline's deficit forces (``[schedule]`` options).

    It starts on the local date of the scenario's hour 0 and covers
    ``[schedule].days`` days; the hours after a strike wave and regions with
    de-energised load are in emergency outages.
    """
    from gridmodel.schedule import (
        ScheduleOptions,
        deficit_from_timeline,
        groups_from_grid,
        rotate,
    )

    options = scenario.schedule
    try:
        deficit = deficit_from_timeline(
            timeline, tz=scenario.timezone, emergency_after_wave_h=float(options.emergency_h)
        )
        groups = groups_from_grid(grid, groups=options.groups)
        return rotate(
            deficit,
            groups,
            options=ScheduleOptions(
                policy=options.policy,
                slot_hours=int(options.slot_hours),
                start=scenario.start_time.date(),
                days=int(options.days),
                tz=scenario.timezone,
                possible_margin=float(options.possible_margin),
                min_on_hours=None if options.min_on_h is None else float(options.min_on_h),
                protected=tuple(options.protected_groups),
            ),
        )
    except GridModelError as exc:
        if exc.file is not None:
            raise
        # an option the scenario gave that the schedule refuses: name the file and its key
        field = SCHEDULE_FIELDS.get(exc.field or "", exc.field)
        raise ScenarioError(
            exc.message, file=scenario.file, field=field, allowed=exc.allowed
        ) from None


#: Scenario keys of the schedule stage's option names (for error messages).
SCHEDULE_FIELDS: dict[str, str] = {
    "groups": "schedule.groups",
    "days": "schedule.days",
    "slot_hours": "schedule.slot_hours",
    "policy": "schedule.policy",
    "possible_margin": "schedule.possible_margin",
    "min_on_hours": "schedule.min_on_h",
    "protected": "schedule.protected_groups",
    "tz": "timezone",
    "start": "start",
}


def summary(result: RunResult) -> dict[str, Any]:
    """The ``summary.json`` object: no timestamps or machine paths, so it is reproducible."""
    scenario = result.scenario
    return {
        "scenario": scenario.title,
        "network": result.grid.name,
        "seed": int(scenario.seed),
        "sample": int(result.sample),
        "strategy": result.restoration.strategy if result.restoration else scenario.repair.strategy,
        "options": {
            "mode": scenario.model.mode,
            "overload": scenario.model.overload,
            "ratings": scenario.model.ratings,
            "overload_limit_percent": float(scenario.model.overload_limit_percent),
            "ac_backend": engine_options(scenario.model).ac_backend,
        },
        "strikes": {
            "missiles": int(result.damage.missiles),
            "intercepted": int(result.damage.intercepted),
            "hits": [
                {
                    "wave": h.wave,
                    "time_h": float(h.time_h),
                    "element": str(h.element),
                    "severity": round(float(h.severity), 6),
                    "origin": h.origin,
                }
                for h in result.damage.hits
            ],
            "trips": [
                {"wave": t.wave, "time_h": float(t.time_h), "element": str(t.element)}
                for t in result.damage.trips
            ],
        },
        "impact": result.impact,
        **({"metrics": result.restoration.metrics.to_json()} if result.restoration else {}),
    }


def write_run(result: RunResult, out: Path, *, overwrite: bool = False) -> Path:
    """Write the run folder, ``report.html`` included, atomically; return its path.

    Every file is written into a temporary folder that is renamed to ``out``
    only when the report is built too: the folder is complete or absent.
    """
    from gridmodel.outputs import atomic_output_dir
    from gridmodel.report import render_report_before_rename

    with atomic_output_dir(out, overwrite=overwrite) as tmp:
        write_json(tmp / "summary.json", summary(result))
        write_json(tmp / "run.json", run_info(result))
        if result.restoration is not None:  # timeline.parquet/.csv, tasks.csv
            from gridmodel.studies.restore import write_restoration

            write_restoration(result.restoration, tmp)
        if result.schedule is not None:  # schedule.csv/.json/.ics, groups.csv
            from gridmodel.schedule import write_schedule

            write_schedule(result.schedule, tmp)
        # Map state for the HTML report (gridmodel.studies.network_state).
        from gridmodel.studies.network_state import write_network_state

        write_network_state(result, tmp)
        render_report_before_rename(tmp, out)
    return out


def run_info(result: RunResult) -> dict[str, Any]:
    """Run metadata for ``run.json``: what differs between identical runs.

    The time, gridmodel and Python versions, host and scenario file path are
    kept out of ``summary.json`` so that file is byte-identical for the same
    scenario and seed.
    """
    import platform
    import time

    from gridmodel._version import __version__

    file = getattr(result.scenario, "file", None)
    return {
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "gridmodel": __version__,
        "python": platform.python_version(),
        "host": platform.node(),
        "scenario_file": None if file is None else str(file),
        "network_source": str(result.grid.source),
    }


def write_json(path: Path, data: Any) -> None:
    """Write JSON with sorted-free, stable formatting and a final newline."""
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
