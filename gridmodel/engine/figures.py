"""The one reduction of an engine outcome to figures per region (or per substation).

Every stage that reports who lost power reads these figures: the impact of a
strike (``gridmodel impact``, ``summary.json``), the restoration timeline, the
repair strategies, Monte Carlo samples, N-k criticality and the report's map.

Definitions, per load (``demand`` at the evaluated hour):

* ``unserved = demand - served``; ``dark`` is the demand of a load with no
  energised path (``dark_mw``), the rest of the unserved load is ``shed_mw``;
* the unserved share of a load is 1 when dark, else ``unserved / demand``
  (0 for a load without demand): a load shed by a share ``x`` of its demand
  has ``x`` of its customers off (rotation spreads the cut over them);
* ``critical`` loads are priority class 1 (hospitals, water, heat);
* a load with negative demand is generation modelled as a load: the supply
  balance may curtail it, and what is curtailed counts as negative unserved
  load (its demand minus what it delivered).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridmodel.engine.compiled import CompiledGrid
from gridmodel.engine.outcome import Outcome
from gridmodel.network.grid import PRIORITY_CLASSES as CLASS_NAMES

#: Priority classes, highest first (1 critical ... 4 households, 5 other industry;
#: :data:`gridmodel.network.grid.PRIORITY_CLASSES`).
PRIORITY_CLASSES: tuple[int, ...] = tuple(sorted(CLASS_NAMES))
#: Priority class of critical load.
CRITICAL = 1

#: The per-group figures, in the order of :meth:`Figures.frame`'s columns.
FIGURE_COLUMNS: tuple[str, ...] = (
    "load_mw",
    "served_mw",
    "unserved_mw",
    "dark_mw",
    "shed_mw",
    "critical_mw",
    "critical_unserved_mw",
    "customers",
    "customers_off",
)


@dataclass(frozen=True, eq=False)
class Figures:
    """Figures of one outcome, per group of loads (regions unless said otherwise).

    Every array of :data:`FIGURE_COLUMNS` has one value per entry of ``groups``.
    ``unserved_share`` is per load (compiled load order) and
    ``served_by_class_mw`` per priority class (:data:`PRIORITY_CLASSES`).
    """

    groups: tuple[str, ...]
    load_mw: np.ndarray
    served_mw: np.ndarray
    unserved_mw: np.ndarray
    dark_mw: np.ndarray
    shed_mw: np.ndarray
    critical_mw: np.ndarray
    critical_unserved_mw: np.ndarray
    customers: np.ndarray
    customers_off: np.ndarray
    unserved_share: np.ndarray
    served_by_class_mw: np.ndarray

    def total(self, name: str) -> float:
        """The sum of one figure over every group (``"unserved_mw"``, ...)."""
        return float(getattr(self, name).sum())

    def frame(self) -> pd.DataFrame:
        """One row per group (index named ``region`` for regions): :data:`FIGURE_COLUMNS`."""
        return pd.DataFrame(
            {name: getattr(self, name) for name in FIGURE_COLUMNS},
            index=pd.Index(list(self.groups), name="region"),
        )


def unserved_share(outcome: Outcome) -> np.ndarray:
    """The unserved share of every load's demand (1 when dark; see the module notes)."""
    demand = outcome.load_demand_mw
    with np.errstate(divide="ignore", invalid="ignore"):
        shed = np.where(demand > 0, 1.0 - outcome.load_served_mw / demand, 0.0)
    return np.where(outcome.load_dark, 1.0, shed)


def figures(
    compiled: CompiledGrid,
    outcome: Outcome,
    *,
    group_of_load: np.ndarray | None = None,
    groups: tuple[str, ...] | None = None,
) -> Figures:
    """Reduce ``outcome`` to figures per region (default) or per other group.

    Parameters
    ----------
    compiled
        The compiled grid the outcome belongs to.
    outcome
        The evaluated state.
    group_of_load, groups
        Group position of every load (compiled load order) and the group
        names; default the loads' regions.
    """
    if group_of_load is None or groups is None:
        group_of_load, groups = compiled.load_region, compiled.region_names
    n = len(groups)
    demand, served = outcome.load_demand_mw, outcome.load_served_mw
    unserved = demand - served
    dark = np.where(outcome.load_dark, demand, 0.0)
    critical = compiled.load_priority == CRITICAL
    share = unserved_share(outcome)

    def per_group(values: np.ndarray) -> np.ndarray:
        return np.bincount(group_of_load, weights=values, minlength=n)[:n]

    return Figures(
        groups=tuple(groups),
        load_mw=per_group(demand),
        served_mw=per_group(served),
        unserved_mw=per_group(unserved),
        dark_mw=per_group(dark),
        shed_mw=per_group(unserved - dark),
        critical_mw=per_group(np.where(critical, demand, 0.0)),
        critical_unserved_mw=per_group(np.where(critical, unserved, 0.0)),
        customers=per_group(compiled.load_customers.astype(float)),
        customers_off=per_group(compiled.load_customers * share),
        unserved_share=share,
        served_by_class_mw=np.array(
            [served[compiled.load_priority == c].sum() for c in PRIORITY_CLASSES], dtype=float
        ),
    )


def deenergized_buses(compiled: CompiledGrid, outcome: Outcome) -> list[int]:
    """Sorted pandapower indices of buses with no energised path."""
    dark = np.flatnonzero(~outcome.bus_energized)
    return sorted(b for pos in dark for b in compiled.bus_pp[pos])


def totals(
    compiled: CompiledGrid, outcome: Outcome, *, regions: Figures | None = None
) -> dict[str, float | int | bool]:
    """The scalar figures of an outcome: the engine's totals and the summed region figures.

    Keys: ``load_mw``, ``served_mw``, ``unserved_mw``, ``dark_mw``,
    ``shed_mw``, ``critical_unserved_mw``, ``customers_off`` (float: shedding
    is pro rata), ``tripped`` (branches), ``islands``, ``energized_islands``,
    ``converged``. ``regions``: the outcome's region figures, if already reduced.
    """
    regions = regions if regions is not None else figures(compiled, outcome)
    return {
        "load_mw": outcome.load_mw,
        "served_mw": outcome.served_mw,
        "unserved_mw": outcome.unserved_mw,
        "dark_mw": outcome.dark_mw,
        "shed_mw": outcome.shed_mw,
        "critical_unserved_mw": regions.total("critical_unserved_mw"),
        "customers_off": regions.total("customers_off"),
        "tripped": len(outcome.tripped),
        "islands": int(outcome.islands),
        "energized_islands": int(outcome.energized_islands),
        "converged": bool(outcome.converged),
    }
