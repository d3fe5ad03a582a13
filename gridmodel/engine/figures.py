"""The one reduction of an engine outcome to figures per region (or per substation).

Every stage that reports who lost power reads these figures: the impact of a
strike (``gridmodel impact``, ``summary.json``), the restoration timeline, the
repair strategies, Monte Carlo samples, N-k criticality and the report's map.

Definitions, per load (``demand`` at the evaluated hour):

* ``unserved = demand - served``, in the categories of DESIGN.md ("Why load
  is unserved"): ``dark_mw`` (no energised path), ``supply_shortage_mw``
  (shed by the supply balance: the island lacks generation or import) and
  ``network_limited_mw`` (a path exists but the network cannot carry it: the
  operator's overload relief, and in a restoration the lost transformer and
  re-feed capacity of damaged substations). ``shed_mw`` is everything not
  dark (network-limited plus supply shortage): what rolling schedules rotate.
  Automatic under-frequency shedding is not modelled (``ufls_mw`` is 0);
* the shortage share of a load that is not dark is ``min(unserved, demand -
  supplied)``, ``supplied`` being what the supply balance alone serves: if the
  overload relief sheds a load the balance had already cut, the balance's cut
  counts first;
* ``refed_mw`` is load served through another substation after switching
  (restoration only; 0 for a plain outcome);
* the unserved share of a load is ``unserved / demand``, 1 for a dark load
  without demand: a load shed by a share ``x`` of its demand has ``x`` of its
  customers off (rotation spreads the cut over them);
* ``critical`` loads are priority class 1 (hospitals, water, heat);
* a load with negative demand is generation modelled as a load: the supply
  balance may curtail it, and what is curtailed counts as negative unserved
  load (its demand minus what it delivered).
"""

from __future__ import annotations

import dataclasses
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
    "network_limited_mw",
    "supply_shortage_mw",
    "ufls_mw",
    "shed_mw",
    "refed_mw",
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
    network_limited_mw: np.ndarray
    supply_shortage_mw: np.ndarray
    ufls_mw: np.ndarray
    shed_mw: np.ndarray
    refed_mw: np.ndarray
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


@dataclass(frozen=True, eq=False)
class LoadShares:
    """Per load (compiled load order, MW): how its demand fared.

    ``dark``, ``short`` (supply shortage), ``network`` (network-limited) and
    ``ufls`` (shed by under-frequency relays) are the unserved load, each
    computed on its own so that none is a small negative difference of the
    others; ``refed`` is the part of ``served``
    that came through another substation; ``dead`` marks loads with no
    energised path at all (their customers count as off even at zero demand).
    """

    demand: np.ndarray
    served: np.ndarray
    dark: np.ndarray
    short: np.ndarray
    network: np.ndarray
    refed: np.ndarray
    dead: np.ndarray
    ufls: np.ndarray | None = None

    @property
    def unserved(self) -> np.ndarray:
        cut = self.dark + self.short + self.network
        return cut if self.ufls is None else cut + self.ufls

    @property
    def unserved_share(self) -> np.ndarray:
        """Unserved share of every load's demand (see the module notes)."""
        demand = self.demand
        with np.errstate(divide="ignore", invalid="ignore"):
            cut = np.where(demand > 0, self.unserved / demand, 0.0)
        return np.where(self.dead, 1.0, cut)


def load_shares(outcome: Outcome) -> LoadShares:
    """The per-load split of an engine outcome (see the module notes)."""
    demand, served = outcome.load_demand_mw, outcome.load_served_mw
    lit = ~np.asarray(outcome.load_dark, dtype=bool)
    cut = demand - served
    short = np.where(lit, np.minimum(cut, demand - outcome.supplied_mw), 0.0)
    return LoadShares(
        demand=demand,
        served=served,
        dark=np.where(lit, 0.0, demand),
        short=short,
        network=np.where(lit, cut - short, 0.0),
        refed=np.zeros(len(demand)),
        dead=np.asarray(outcome.load_dark, dtype=bool),
    )


def with_ufls(shares: LoadShares, demand: np.ndarray, ufls: np.ndarray) -> LoadShares:
    """``shares`` of the demand left after under-frequency relays shed ``ufls``
    (MW per load), as shares of the whole ``demand``: the shed part of a load
    that is dark anyway counts as dark."""
    return dataclasses.replace(
        shares,
        demand=demand,
        dark=shares.dark + np.where(shares.dead, ufls, 0.0),
        ufls=np.where(shares.dead, 0.0, ufls),
    )


def figures(
    compiled: CompiledGrid,
    outcome: Outcome | LoadShares,
    *,
    group_of_load: np.ndarray | None = None,
    groups: tuple[str, ...] | None = None,
) -> Figures:
    """Reduce an outcome (or a per-load split) to figures per region (default) or group.

    Parameters
    ----------
    compiled
        The compiled grid the outcome belongs to.
    outcome
        The evaluated state, or its per-load split (:class:`LoadShares`).
    group_of_load, groups
        Group position of every load (compiled load order) and the group
        names; default the loads' regions.
    """
    if group_of_load is None or groups is None:
        group_of_load, groups = compiled.load_region, compiled.region_names
    shares = outcome if isinstance(outcome, LoadShares) else load_shares(outcome)
    n = len(groups)
    demand, served = shares.demand, shares.served
    unserved = shares.unserved
    critical = compiled.load_priority == CRITICAL
    share = shares.unserved_share

    def per_group(values: np.ndarray) -> np.ndarray:
        return np.bincount(group_of_load, weights=values, minlength=n)[:n]

    return Figures(
        groups=tuple(groups),
        load_mw=per_group(demand),
        served_mw=per_group(served),
        unserved_mw=per_group(unserved),
        dark_mw=per_group(shares.dark),
        network_limited_mw=per_group(shares.network),
        supply_shortage_mw=per_group(shares.short),
        ufls_mw=np.zeros(n) if shares.ufls is None else per_group(shares.ufls),
        shed_mw=per_group(shares.short + shares.network),
        refed_mw=per_group(shares.refed),
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
