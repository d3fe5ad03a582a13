"""Set up the supply side of a restoration: units, energy limits, frequency.

:func:`evaluations_for` builds the sample's :class:`EvaluationCache` with
what units can give in every hour (availability and energy limits,
:mod:`gridmodel.restoration.units`); :func:`frequency_for` then runs the
frequency rule over the waves (:mod:`gridmodel.restoration.frequency`) and
hands the units' clock to the sample's :class:`Clock`.
"""

from __future__ import annotations

from gridmodel.engine import CompiledGrid, EngineCache
from gridmodel.restoration.condition import Clock
from gridmodel.restoration.demand import DemandCurve
from gridmodel.restoration.evaluations import EvaluationCache
from gridmodel.restoration.frequency import FrequencyResult, apply_frequency
from gridmodel.restoration.generation_options import GenerationOptions
from gridmodel.restoration.options import SwitchingOptions
from gridmodel.restoration.units import Units, energy_factors, relevel
from gridmodel.strikes.damage import Damage


def evaluations_for(
    compiled: CompiledGrid,
    curve: DemandCurve,
    generation: GenerationOptions,
    *,
    engine: EngineCache | None,
    switching: SwitchingOptions,
) -> EvaluationCache:
    """The evaluations of a sample: with unit limits when ``generation.enabled``."""
    if not generation.enabled:
        return EvaluationCache(compiled, curve, engine=engine, switching=switching)
    units = Units(compiled, generation)
    hourly = curve.levels_mw[curve.level_of_hour].sum(axis=1)
    factor = energy_factors(units.types, generation, curve.times, hourly)
    curve, unit_factor = relevel(curve, factor)
    return EvaluationCache(
        compiled, curve, engine=engine, switching=switching, units=units, unit_factor=unit_factor
    )


def frequency_for(
    evaluations: EvaluationCache,
    clock: Clock,
    damage: Damage,
    generation: GenerationOptions,
    carried: frozenset[int] = frozenset(),
) -> FrequencyResult | None:
    """Run the frequency rule on the waves not ``carried`` over; sets ``clock``'s units."""
    if evaluations.units is None:
        return None
    return apply_frequency(evaluations, clock, damage, generation, carried)
