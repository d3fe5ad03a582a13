"""Scenario files: the TOML schema, loading with clear errors, network checks.

A scenario names a network, modelling options, a seed, strike waves and the
repair, demand and schedule settings (see ``scenarios/*.toml``)::

    from gridmodel.scenario import load_scenario
    scenario = load_scenario("scenarios/ua-2022-12-16.toml")

Modules: :mod:`~gridmodel.scenario.model` (the top level, composing each
stage's options), :mod:`~gridmodel.scenario.load` (files, TOML, error
messages), :mod:`~gridmodel.scenario.check` (references against the network).
"""

from __future__ import annotations

from gridmodel.scenario.check import check_scenario
from gridmodel.scenario.load import (
    load_scenario,
    load_scenario_grid,
    network_source,
    parse_scenario,
    validate_scenario,
)
from gridmodel.scenario.model import SCENARIO_FORMAT, Scenario

__all__ = [
    "SCENARIO_FORMAT",
    "Scenario",
    "check_scenario",
    "load_scenario",
    "load_scenario_grid",
    "network_source",
    "parse_scenario",
    "validate_scenario",
]
