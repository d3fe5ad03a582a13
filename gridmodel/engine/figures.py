"""Who loses power: the impact of an evaluated state, as tables and JSON.

The JSON shape is the output contract of ``gridmodel impact --json`` and of
the ``impact`` object in ``summary.json`` (DESIGN.md).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gridmodel.engine.compiled import CompiledGrid
from gridmodel.engine.dc import Outcome


def customers_off(compiled: CompiledGrid, outcome: Outcome) -> np.ndarray:
    """Customers without power per load (float: shedding is pro rata).

    A load on a dark bus loses all its customers; a load shed by a fraction
    ``x`` of its demand loses ``x`` of its customers (rotation spreads the
    cut over the load's customers).
    """
    demand = outcome.load_demand_mw
    with np.errstate(divide="ignore", invalid="ignore"):
        shed_share = np.where(demand > 0, 1.0 - outcome.load_served_mw / demand, 0.0)
    share = np.where(outcome.load_dark, 1.0, np.clip(shed_share, 0.0, 1.0))
    return compiled.load_customers * share


def by_region(compiled: CompiledGrid, outcome: Outcome) -> pd.DataFrame:
    """Per-region load, unserved load and customers off.

    Returns
    -------
    DataFrame
        Index ``region`` (every region of the grid, in metadata order);
        columns ``load_mw``, ``served_mw``, ``unserved_mw``, ``dark_mw``,
        ``shed_mw``, ``critical_unserved_mw``, ``customers``, ``customers_off``.
    """
    n = len(compiled.region_names)
    code = compiled.load_region
    demand = outcome.load_demand_mw
    unserved = demand - outcome.load_served_mw
    dark = np.where(outcome.load_dark, demand, 0.0)
    critical = compiled.load_priority == 1

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(code, weights=values, minlength=n)[:n]

    table = pd.DataFrame(
        {
            "load_mw": total(demand),
            "served_mw": total(outcome.load_served_mw),
            "unserved_mw": total(unserved),
            "dark_mw": total(dark),
            "shed_mw": total(unserved - dark),
            "critical_unserved_mw": total(np.where(critical, unserved, 0.0)),
            "customers": total(compiled.load_customers.astype(float)),
            "customers_off": total(customers_off(compiled, outcome)),
        },
        index=pd.Index(list(compiled.region_names), name="region"),
    )
    return table


def deenergized_buses(compiled: CompiledGrid, outcome: Outcome) -> list[int]:
    """Sorted pandapower indices of buses with no energised path."""
    dark = np.flatnonzero(~outcome.bus_energized)
    return sorted(b for pos in dark for b in compiled.bus_pp[pos])


def impact_summary(compiled: CompiledGrid, outcome: Outcome) -> dict[str, Any]:
    """The impact JSON object of the output contract.

    Fields: ``load_mw``, ``served_mw``, ``unserved_mw``, ``customers_off``,
    ``islands``, ``deenergized_buses``, ``tripped_branches``, ``by_region``,
    ``converged``; plus ``dark_mw``, ``shed_mw``, ``energized_islands``,
    ``critical_unserved_mw``, ``mode`` and ``warnings``.
    MW figures are rounded to 1e-6 MW and customers to whole customers so the
    file reads well and is identical across platforms.
    """
    regions = by_region(compiled, outcome)
    return {
        "load_mw": _mw(outcome.load_mw),
        "served_mw": _mw(outcome.served_mw),
        "unserved_mw": _mw(outcome.unserved_mw),
        "dark_mw": _mw(outcome.dark_mw),
        "shed_mw": _mw(outcome.shed_mw),
        "critical_unserved_mw": _mw(float(regions["critical_unserved_mw"].sum())),
        "customers_off": round(float(regions["customers_off"].sum())),
        "islands": int(outcome.islands),
        "energized_islands": int(outcome.energized_islands),
        "deenergized_buses": deenergized_buses(compiled, outcome),
        "tripped_branches": [
            {
                "element": t.element.kind,
                "index": int(t.element.id),
                "step": t.step,
                "loading_percent": round(t.loading_percent, 3),
            }
            for t in outcome.tripped
        ],
        "by_region": [
            {
                "region": str(region),
                "load_mw": _mw(row.load_mw),
                "unserved_mw": _mw(row.unserved_mw),
                "customers_off": round(float(row.customers_off)),
            }
            for region, row in regions.iterrows()
        ],
        "converged": bool(outcome.converged),
        "mode": outcome.mode,
        "warnings": list(outcome.warnings),
    }


def _mw(value: float) -> float:
    rounded = round(float(value), 6)
    return 0.0 if rounded == 0 else rounded
