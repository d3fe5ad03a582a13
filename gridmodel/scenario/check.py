"""Checking a scenario's references against its network.

The strike waves' references (:func:`gridmodel.strikes.check.check_waves`)
and the regions named by ``[repair] crews_per_region``.
"""

from __future__ import annotations

from gridmodel.errors import ScenarioError
from gridmodel.network.grid import Grid
from gridmodel.scenario.model import Scenario
from gridmodel.schema import quote_key
from gridmodel.strikes.check import check_regions, check_waves


def check_scenario(scenario: Scenario, grid: Grid) -> list[ScenarioError]:
    """Every reference of ``scenario`` that ``grid`` cannot satisfy (empty if none)."""
    file = scenario.file
    problems = check_waves(scenario.waves, grid, file=file)
    crews = scenario.repair.crews_per_region or {}
    named = [(name, f"repair.crews_per_region.{quote_key(name)}") for name in crews]
    return problems + check_regions(named, grid, file=file)
