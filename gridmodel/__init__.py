"""gridmodel: power-grid outage resilience modeller.

Strike scenarios on pandapower networks, islands, power flow, cascades and
load shedding, repair crews and restoration timelines, and the rolling
shutdown schedules the remaining deficit forces.
"""

from gridmodel.errors import GridModelError, NetworkError, OptionError, ScenarioError
from gridmodel.network.grid import Element, Grid

__all__ = [
    "Element",
    "Grid",
    "GridModelError",
    "NetworkError",
    "OptionError",
    "ScenarioError",
]

__version__ = "0.1.0"
