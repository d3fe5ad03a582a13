"""Strikes: the waves a scenario describes, and the damage one sample of them does.

::

    from gridmodel.strikes import plan_strikes, realise_plan, rng_for
    plan = plan_strikes(scenario.waves, grid, resync_h=scenario.repair.resync_h)
    damage = realise_plan(plan, rng_for(scenario.seed, sample))

Modules: :mod:`~.waves` (the ``[[waves]]`` schema), :mod:`~.targets` (what a
salvo can hit, and its weights), :mod:`~.check` (references against the
network), :mod:`~.realise` (the draws of one sample) and :mod:`~.damage`
(what they did).
"""

from gridmodel.strikes.damage import Damage, Hit, ProtectionTrip, combine_severity
from gridmodel.strikes.realise import (
    STREAMS,
    StrikePlan,
    plan_strikes,
    realise,
    realise_plan,
    rng_for,
)
from gridmodel.strikes.waves import RandomPick, Salvo, TripSpec, Wave

__all__ = [
    "STREAMS",
    "Damage",
    "Hit",
    "ProtectionTrip",
    "RandomPick",
    "Salvo",
    "StrikePlan",
    "TripSpec",
    "Wave",
    "combine_severity",
    "plan_strikes",
    "realise",
    "realise_plan",
    "rng_for",
]
