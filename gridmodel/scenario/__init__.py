"""Scenario files: the TOML schema, loading with clear errors, network checks.

A scenario names a network, modelling options, a seed, strike waves and the
repair, demand and schedule settings (see ``scenarios/*.toml``)::

    from gridmodel.scenario import load_scenario
    scenario = load_scenario("scenarios/ua-2022-12-16.toml")

Modules: :mod:`~gridmodel.scenario.model` (the pydantic schema: top level and
waves), :mod:`~gridmodel.scenario.options` (the ``[model]``, ``[repair]``,
``[demand]`` and ``[schedule]`` sections), :mod:`~gridmodel.schema`
(the strict base model),
:mod:`~gridmodel.scenario.load` (files, TOML, error messages),
:mod:`~gridmodel.scenario.check` (references against the network),
:mod:`~gridmodel.strikes.targets` (what a salvo can hit, and its weights).
"""

from __future__ import annotations

from gridmodel.scenario.check import check_scenario, resolve_element, trip_elements
from gridmodel.scenario.load import (
    load_scenario,
    load_scenario_grid,
    network_source,
    parse_scenario,
    validate_scenario,
)
from gridmodel.scenario.model import (
    DEFAULT_DURATIONS,
    SALVO_KINDS,
    TARGET_KINDS,
    TRIP_KINDS,
    DemandOptions,
    Duration,
    Durations,
    ModelOptions,
    RandomPick,
    RepairOptions,
    Salvo,
    Scenario,
    ScheduleOptions,
    TripSpec,
    Wave,
    parse_element,
)

__all__ = [
    "DEFAULT_DURATIONS",
    "SALVO_KINDS",
    "TARGET_KINDS",
    "TRIP_KINDS",
    "DemandOptions",
    "Duration",
    "Durations",
    "ModelOptions",
    "RandomPick",
    "RepairOptions",
    "Salvo",
    "Scenario",
    "ScheduleOptions",
    "TripSpec",
    "Wave",
    "check_scenario",
    "load_scenario",
    "load_scenario_grid",
    "network_source",
    "parse_element",
    "parse_scenario",
    "resolve_element",
    "trip_elements",
    "validate_scenario",
]
