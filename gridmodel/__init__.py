"""gridmodel: power-grid outage resilience modeller.

Strike scenarios on pandapower networks, islands, power flow, cascades and
load shedding, repair crews and restoration timelines, and the rolling
shutdown schedules the remaining deficit forces.

The Python API (every command of the ``gridmodel`` command line is a thin
wrapper over it)::

    import gridmodel

    grid = gridmodel.load_network("case118")
    hit = gridmodel.impact(grid, ["substation:bus68", "line:7"])
    hit.to_dict()            # the ``gridmodel impact --json`` object
    hit.by_region            # a DataFrame

    scenario = gridmodel.load_scenario("scenarios/ua-2022-12-16.toml")
    result = gridmodel.run(scenario)
    result.summary, result.timeline, result.tasks, result.schedule
    result.write("reports/dec16")

    gridmodel.compare(scenario, samples=20).ranking
    gridmodel.montecarlo(scenario, 1000, workers=2)
    gridmodel.criticality(grid, k=1)

Errors are the classes of :mod:`gridmodel.errors`; their one-line message is
what the command line prints.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gridmodel._version import __version__
from gridmodel.errors import (
    GridModelError,
    InternalError,
    NetworkError,
    OptionError,
    OutputError,
    ScenarioError,
)

if TYPE_CHECKING:
    from gridmodel.network.catalog import load_network
    from gridmodel.network.grid import Element, Grid
    from gridmodel.scenario.load import load_scenario
    from gridmodel.scenario.model import Scenario
    from gridmodel.studies.compare import Comparison, compare
    from gridmodel.studies.criticality import criticality
    from gridmodel.studies.impact import Impact, impact
    from gridmodel.studies.montecarlo.sweep import montecarlo
    from gridmodel.studies.run import Run, run

#: Where each public name lives; loaded on first use, so ``import gridmodel``
#: (and the command line's start) stays fast.
_PUBLIC: dict[str, str] = {
    "load_network": "gridmodel.network.catalog",
    "Element": "gridmodel.network.grid",
    "Grid": "gridmodel.network.grid",
    "load_scenario": "gridmodel.scenario.load",
    "Scenario": "gridmodel.scenario.model",
    "impact": "gridmodel.studies.impact",
    "Impact": "gridmodel.studies.impact",
    "run": "gridmodel.studies.run",
    "Run": "gridmodel.studies.run",
    "compare": "gridmodel.studies.compare",
    "Comparison": "gridmodel.studies.compare",
    "montecarlo": "gridmodel.studies.montecarlo.sweep",
    "criticality": "gridmodel.studies.criticality",
}

__all__ = [
    "Comparison",
    "Element",
    "Grid",
    "GridModelError",
    "Impact",
    "InternalError",
    "NetworkError",
    "OptionError",
    "OutputError",
    "Run",
    "Scenario",
    "ScenarioError",
    "__version__",
    "compare",
    "criticality",
    "impact",
    "load_network",
    "load_scenario",
    "montecarlo",
    "run",
]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'gridmodel' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
