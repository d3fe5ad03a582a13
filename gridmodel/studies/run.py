"""``gridmodel run``: one sample of a scenario, from strikes to the rolling schedule.

The stages, each a function of the one before: the sample's strikes
(:mod:`gridmodel.strikes`), the impact right after the first wave
(:mod:`gridmodel.studies.impact`), the restoration over the horizon
(:mod:`gridmodel.studies.restore`) and the rolling-outage schedule its
deficit forces (:mod:`gridmodel.schedule`). :meth:`Run.write` writes the run
folder of the output contract (:mod:`gridmodel.studies.run_folder`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from gridmodel.contract import SCHEMA_VERSION
from gridmodel.errors import GridModelError, InternalError, OptionError, ScenarioError
from gridmodel.restoration.timeline import Timeline
from gridmodel.scenario import Scenario
from gridmodel.schedule import Schedule, deficit_from_timeline, groups_from_grid, rotate
from gridmodel.schedule.deficit import TIMELINE_MW
from gridmodel.schedule.slots import check_size
from gridmodel.strikes import Damage
from gridmodel.studies.context import ScenarioContext, prepare_scenario
from gridmodel.studies.impact import Impact, impact_of
from gridmodel.studies.network_state import network_state
from gridmodel.studies.restore import (
    Restoration,
    carried_waves,
    check_strategy,
    restore,
    wave_times,
)
from gridmodel.studies.run_folder import run_info, whole_customers, write_run_folder
from gridmodel.studies.strike_hour import StrikeHour, peak_hour, strike_hour
from gridmodel.studies.strike_summary import strikes_summary


@dataclass(frozen=True, eq=False)
class Run:
    """Everything one sample of a scenario produced.

    Attributes
    ----------
    context
        The scenario with its grid, compiled grid and strike plan.
    sample
        The sample number (its random draws).
    damage
        What the sample's strikes did.
    impact
        The grid right after the first wave, at the demand of the wave's hour
        (:mod:`gridmodel.studies.strike_hour`).
    restoration
        Repair tasks, the hourly timeline and its metrics.
    outage_schedule
        The rolling-outage schedule of the timeline's deficit.
    strike
        The first wave's time and the demand of its hour.
    peak_impact
        The same damage at the network's peak demand (its loads as given).
    peak_time
        The hour of highest demand in the day from the strike on (``None``: flat).
    """

    context: ScenarioContext
    sample: int
    damage: Damage
    impact: Impact
    restoration: Restoration
    outage_schedule: Schedule
    strike: StrikeHour
    peak_impact: Impact
    peak_time: pd.Timestamp | None = None

    @property
    def scenario(self) -> Scenario:
        return self.context.scenario

    @property
    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` object (no timestamps or paths: reproducible)."""
        return run_summary(self)

    @property
    def timeline(self) -> pd.DataFrame:
        """One row per hour and region, as ``timeline.parquet`` holds it.

        Customer counts are whole here; the model's hour means (and the metrics
        computed from them) are in ``restoration.timeline.frame``.
        """
        return whole_customers(self.restoration.timeline.frame)

    @property
    def tasks(self) -> pd.DataFrame:
        """One row per repair task (``tasks.csv``)."""
        return self.restoration.timeline.tasks

    @property
    def schedule(self) -> pd.DataFrame:
        """``region, group, start, end, state`` of every slot (``schedule.csv``)."""
        return self.outage_schedule.table

    def write(self, out: str | Path, *, overwrite: bool = False) -> Path:
        """Write the run folder (``report.html`` included) into ``out``, atomically.

        Raises
        ------
        OutputError
            ``out`` cannot be written, or is a non-empty folder gridmodel did
            not write (unless ``overwrite``).
        """
        context = self.context
        return write_run_folder(
            Path(out),
            summary=self.summary,
            run_info=run_info(context.scenario.file, context.grid.source),
            timeline=self.timeline,
            tasks=self.tasks,
            schedule=self.outage_schedule,
            network_state=network_state(context.compiled, self.impact.outcome, self.damage),
            overwrite=overwrite,
        )


def run(scenario: Scenario, *, strategy: str | None = None, sample: int = 0) -> Run:
    """Run one sample of ``scenario``: strikes, impact, restoration, rolling schedule.

    Parameters
    ----------
    scenario
        The scenario (:func:`gridmodel.load_scenario`).
    strategy
        Repair strategy (default: the scenario's ``[repair] strategy``).
    sample
        Which sample's random draws (strikes, repair durations) to use.

    Returns
    -------
    Run

    Raises
    ------
    ScenarioError, OptionError
        The scenario does not fit its network, or an unknown strategy.
    """
    if strategy is not None:
        check_strategy(scenario, strategy)  # before any work
    if isinstance(sample, bool) or not isinstance(sample, int) or sample < 0:
        raise OptionError(f"must be a whole number >= 0, got {sample!r}", field="sample")
    context = prepare_scenario(scenario)
    with _named_in_scenario(context.scenario):  # a schedule too large is refused before any work
        options = context.scenario.schedule
        if options.days is not None:
            groups = groups_from_grid(context.grid, groups=options.groups)
            check_size(len(groups.table), options.days, options.slot_hours)
    damage = context.damage(sample)
    out = damage.first_wave_out(carried_waves(context.scenario))
    strike = strike_hour(context)
    impact = impact_of(context.compiled, out, cache=context.cache, demand_mw=strike.demand_mw)
    peak = impact_of(context.compiled, out, cache=context.cache)
    restoration = restore(context, damage, sample=sample, strategy=strategy)
    schedule = outage_schedule(context, restoration.timeline.frame)
    peak_time = peak_hour(context, strike)
    return Run(context, sample, damage, impact, restoration, schedule, strike, peak, peak_time)


def outage_schedule(context: ScenarioContext, timeline: pd.DataFrame) -> Schedule:
    """The rolling-outage schedule the timeline's deficit forces (``[schedule]`` options).

    It starts on the local date of the scenario's hour 0 and covers
    ``[schedule] days`` days. It rotates the network-limited and
    supply-shortage load; as many groups as a region's de-energised and
    under-frequency-shed share needs (rounded up) are in emergency outages
    from the minute of the strike wave, held at their largest for
    ``emergency_h`` after it.
    """
    scenario = context.scenario
    options = scenario.schedule
    start = pd.Timestamp(scenario.start_time).tz_convert("UTC")
    waves = [start + pd.Timedelta(hours=t) for t in wave_times(scenario)]
    with _named_in_scenario(scenario):
        try:
            deficit = deficit_from_timeline(
                timeline, tz=scenario.timezone, emergency_after_wave_h=options.emergency_h,
                waves=waves,
            )  # fmt: skip
        except GridModelError as exc:
            if exc.file is None and exc.field in TIMELINE_MW:  # the model's own MW: a bug
                raise InternalError(f"the run's timeline: {exc.field}: {exc.message}") from None
            raise
        groups = groups_from_grid(context.grid, groups=options.groups)
        return rotate(
            deficit,
            groups,
            options=options,
            timezone=scenario.timezone,
            start=scenario.start_time.date(),
        )


@contextmanager
def _named_in_scenario(scenario: Scenario) -> Iterator[None]:
    """Raise a schedule option's error as the scenario file's ``[schedule]`` key."""
    try:
        yield
    except GridModelError as exc:
        if exc.file is not None:
            raise
        field = exc.field or ""
        key = f"schedule.{field}" if field in type(scenario.schedule).model_fields else field
        raise ScenarioError(
            exc.message, file=scenario.file, field=key, allowed=exc.allowed
        ) from None


def run_summary(result: Run) -> dict[str, Any]:
    """The ``summary.json`` object of a run (see :meth:`Run.summary`)."""
    scenario = result.scenario
    damage = result.damage
    model = scenario.model
    return {
        "schema_version": SCHEMA_VERSION,
        "scenario": scenario.title,
        "network": result.context.grid.name,
        "seed": int(scenario.seed),
        "sample": int(result.sample),
        "strategy": result.restoration.strategy,
        "options": {
            "mode": model.mode,
            "overload": model.overload,
            "ratings": model.ratings,
            "overload_limit_percent": float(model.overload_limit_percent),
            "ac_backend": model.ac_backend,
        },
        "strikes": strikes_summary(scenario, damage),
        "impact": {
            **result.impact.to_dict(),
            "time_h": float(result.strike.time_h),
            "time": result.strike.time.isoformat(),
        },
        "impact_at_peak": peak_figures(result.peak_impact, result.peak_time, scenario),
        "frequency": frequency_summary(result.restoration.timeline),
        "metrics": result.restoration.metrics.to_json(),
    }


def peak_figures(peak: Impact, time: pd.Timestamp | None, scenario: Scenario) -> dict[str, Any]:
    """``impact_at_peak``: the first wave's damage at the network's peak demand.

    ``time`` (local, ISO 8601) and ``time_h`` (hours from the scenario's
    start) name the hour of highest demand in the day from the strike on
    (:func:`~gridmodel.studies.strike_hour.peak_hour`), ``null`` for a flat
    profile.
    """
    f = peak.to_dict()
    start = pd.Timestamp(scenario.start_time)
    return {
        "load_mw": f["load_mw"],
        "served_mw": f["served_mw"],
        "unserved_mw": f["unserved_mw"],
        "dark_mw": f["dark_mw"],
        "shed_mw": f["shed_mw"],
        "customers_off": f["customers_off"],
        "time_h": None if time is None else (time - start).total_seconds() / 3600.0,
        "time": None if time is None else time.isoformat(),
    }


def frequency_summary(timeline: Timeline) -> dict[str, Any]:
    """What the frequency rule found (``events``) and the units' outages
    (``unit_outages``; ``null`` times: not back within any horizon)."""
    events = [
        {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in dataclasses.asdict(e).items()
        }
        for e in timeline.frequency
    ]
    units = timeline.units
    rows = [] if units is None else units.to_dict(orient="records")
    for row in rows:
        for k in ("down_h", "up_h", "full_h"):
            row[k] = float(row[k]) if math.isfinite(row[k]) else None
    return {"events": events, "unit_outages": rows}
