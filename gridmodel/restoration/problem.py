"""The repair problem of one sample: crews, evaluations and both clocks.

:func:`prepare` gathers what every strategy of one sample shares: the
evaluations (with what units can give, :mod:`gridmodel.restoration.generation`),
the crews, and the :class:`~gridmodel.restoration.condition.Clock` with its
protection trips, operators' switching, units' clock and under-frequency
shedding.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np

from gridmodel.engine import CompiledGrid, EngineCache
from gridmodel.restoration.condition import Clock
from gridmodel.restoration.crews import RepairProblem, crews_for
from gridmodel.restoration.demand import demand_curve, hour_times
from gridmodel.restoration.evaluations import EvaluationCache
from gridmodel.restoration.frequency import UNIT_KINDS
from gridmodel.restoration.generation import evaluations_for, frequency_for
from gridmodel.restoration.generation_options import GenerationOptions
from gridmodel.restoration.options import DemandOptions, RepairOptions
from gridmodel.restoration.tasks import Task, trip_returns
from gridmodel.schema import DEFAULT_TIMEZONE
from gridmodel.strikes.damage import Damage

#: Start of a restoration when none is given (the 16 Dec 2022 strike day).
DEFAULT_START = datetime(2022, 12, 16)


def prepare(
    compiled: CompiledGrid,
    damage: Damage,
    tasks: tuple[Task, ...],
    *,
    repair: RepairOptions,
    demand: DemandOptions,
    start: datetime = DEFAULT_START,
    timezone: str = DEFAULT_TIMEZONE,
    evaluations: EvaluationCache | None = None,
    engine: EngineCache | None = None,
    generation: GenerationOptions | None = None,
    carried: frozenset[int] = frozenset(),
) -> RepairProblem:
    """The repair problem of one sample (share it between strategies of one sample).

    Parameters
    ----------
    compiled
        The compiled grid (its options: DC/AC, trip/shed).
    damage
        The sample's damage (for its protection trips).
    tasks
        Repair tasks from :func:`gridmodel.restoration.tasks.repair_tasks`.
    repair, demand
        The scenario's ``[repair]`` and ``[demand]`` sections.
    start, timezone
        Local time of hour 0 (a naive ``start`` is local in ``timezone``).
    evaluations
        Evaluations to reuse (same grid, same demand curve).
    engine
        The engine cache new evaluations use (factorisations, the AC model);
        default a new one.
    generation
        The scenario's ``[generation]`` section (default its defaults).
    carried
        Waves whose damage is carried over from before the scenario: switched
        long ago, no frequency event.
    """
    generation = generation if generation is not None else GenerationOptions()
    if evaluations is None:
        times = hour_times(start, repair.hours, timezone=timezone)
        curve = demand_curve(
            compiled.load_p_mw,
            [compiled.region_names[r] for r in compiled.load_region],
            times,
            profile=demand.profile,
            scale=demand.scale,
        )
        evaluations = evaluations_for(
            compiled, curve, generation, engine=engine, switching=repair.switching
        )
    working = None
    if not repair.around_the_clock:
        first, last = repair.shift_hours
        local = np.asarray(evaluations.demand.times.hour)
        working = (local >= first) & (local < last)
    crews = crews_for(
        crews=repair.crews,
        crews_per_region=dict(repair.crews_per_region) if repair.crews_per_region else None,
        mobilisation_h=repair.mobilisation_h,
        mutual_aid=repair.mutual_aid,
        per_task=repair.crews_per_task,
        working=working,
    )
    returns = trip_returns(damage)
    if evaluations.units is not None:  # units tripped follow the units' clock
        returns = tuple(r for r in returns if r.element.kind not in UNIT_KINDS)
    struck = (
        [
            (str(h.element.id), -math.inf if h.wave in carried else float(h.time_h))
            for h in damage.hits
            if h.element.kind == "substation"
        ]
        if repair.partial_damage
        else []
    )
    clock = Clock(tuple(tasks), returns, struck, repair.switching, repair.supply_units)
    frequency = frequency_for(evaluations, clock, damage, generation, carried)
    return RepairProblem(
        tasks=tuple(tasks),
        returns=returns,
        crews=crews,
        evaluations=evaluations,
        horizon_h=float(repair.hours),
        clock=clock,
        frequency=frequency,
    )
