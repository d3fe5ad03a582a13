"""Restoration metrics computed from an hourly timeline (and only from it).

Every figure is a plain function of the timeline frame
(:data:`gridmodel.restoration.timeline.COLUMNS`), per region and in total (the regions
summed hour by hour), so a ``timeline.parquet`` read back gives the same
numbers.

Definitions (rows are one hour long)
------------------------------------
``ens_mwh``
    Energy not served: ``sum(unserved_mw) * 1 h``.
``customer_hours``
    Customer-hours interrupted: ``sum(customers_off) * 1 h`` (a load's
    customers count in proportion to its unserved share).
``saidi_h``, ``saifi``, ``caidi_h``
    IEEE 1366: SAIDI = customer-hours / customers; SAIFI = customer
    interruptions / customers, where an interruption is a customer newly
    without supply (the rise of a load's unserved share at any change of state
    or demand, times its customers; rotation inside a shed share is the
    schedule's business and not counted); CAIDI = SAIDI / SAIFI (``None`` if
    nobody was interrupted).
``peak_deficit_mw``
    Largest hourly unserved load.
``restore_h``
    ``{"50", "90", "100"}``: hours from the first wave until that share of
    demand is served again and stays served: the start of the first hour from
    which the served load is at least that share of what the intact grid
    serves at the same hour's demand in every later hour of the horizon (a
    shortfall at a later evening peak, or after a later wave, moves it on;
    ``0`` if it never dropped below; ``None`` if it is still below in the
    horizon's last hour).
``network_restored_h``
    Hours from the first wave until the last network outage ends: the end of
    the last hour with de-energised or network-limited load
    (``dark_mw + network_limited_mw``); ``0`` if there was none, ``None`` if
    there still is some in the horizon's last hour.
``supply_restored_h``
    The same for the supply shortage (``supply_shortage_mw + ufls_mw``: load
    shed because generation is short, by the operator or by under-frequency
    relays).
``critical_ens_mwh``, ``critical_outage_h``
    Energy not served to priority-1 (critical) loads, and the hours in which
    any of it was unserved.
``trapezoid``
    The resilience trapezoid of Panteli et al. (2017) on the performance
    ``R(h) = served / intact served``: ``degradation_h`` (first wave to the
    first hour at the minimum; 0 = within the strike hour),
    ``degradation_rate_per_h`` (depth per hour, a drop within one hour counts
    as one hour), ``depth`` (``1 - min R``), ``depth_mw``, ``degraded_h`` (hours
    at the minimum, within 1 % of the depth, before recovery starts),
    ``recovery_h`` (start of recovery until ``R`` first reaches its final
    level), ``recovery_rate_per_h`` (recovered share per hour, at least one
    hour) and ``area_h`` (``sum(1 - R)`` from the
    first wave: the area lost, in share-hours).

References
----------
IEEE Std 1366-2012, Guide for Electric Power Distribution Reliability Indices.
M. Panteli, P. Mancarella, D. Trakas, E. Kyriakides, N. Hatziargyriou,
"Metrics and Quantification of Operational and Infrastructure Resilience in
Power Systems", IEEE Trans. Power Systems 32(6), 2017.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: Shares of pre-strike load for the restoration times.
RESTORE_SHARES: dict[str, float] = {"50": 0.5, "90": 0.9, "100": 1.0}
#: Tolerance on shares (restoration to 100 % allows this much rounding).
SHARE_TOL = 1e-6
#: Band around the minimum that still counts as "degraded" (share of the depth).
DEGRADED_BAND = 0.01

_SUMMED = (
    "demand_mw",
    "deliverable_mw",
    "served_mw",
    "unserved_mw",
    "critical_unserved_mw",
    "customers",
    "customers_off",
    "customers_interrupted",
    "intact_served_mw",
)
#: Columns summed when present (older timeline files lack them).
_OPTIONAL = ("dark_mw", "network_limited_mw", "supply_shortage_mw", "ufls_mw")
#: Unserved MW below this is not an outage.
OUTAGE_TOL_MW = 1e-6


@dataclass(frozen=True, eq=False)
class Metrics:
    """Metrics in total (``total``) and per region (``by_region``, one row each)."""

    total: dict[str, Any]
    by_region: pd.DataFrame

    def to_json(self) -> dict[str, Any]:
        """The ``metrics`` object of ``summary.json``."""
        regions = []
        for region, row in self.by_region.iterrows():
            regions.append({"region": str(region), **_plain({str(k): v for k, v in row.items()})})
        return {**_plain(self.total), "by_region": regions}


def compute_metrics(frame: pd.DataFrame, *, first_wave_h: float | None = None) -> Metrics:
    """Metrics of a timeline frame, in total and per region.

    Parameters
    ----------
    frame
        The timeline (one row per hour and region).
    first_wave_h
        Time of the first wave (hours from the start); default: the start of
        the first hour with a ``wave_h`` value.
    """
    summed = [*_SUMMED, *(c for c in _OPTIONAL if c in frame.columns)]
    totals = frame.groupby("hour", sort=True)[summed].sum()
    totals["wave_h"] = frame.groupby("hour", sort=True)["wave_h"].first()
    t0 = _first_wave(totals, first_wave_h)
    total = figures(totals, t0)
    rows = {}
    for region, part in frame.groupby("region", sort=False):
        rows[str(region)] = figures(part.set_index("hour").sort_index(), t0)
    by_region = pd.DataFrame.from_dict(rows, orient="index")
    by_region.index.name = "region"
    return Metrics(total=total, by_region=by_region)


def _first_wave(hourly: pd.DataFrame, first_wave_h: float | None) -> float:
    if first_wave_h is not None:
        return float(first_wave_h)
    struck = hourly.index[hourly["wave_h"].notna().to_numpy()]
    return float(struck[0]) if len(struck) else 0.0


def figures(hourly: pd.DataFrame, first_wave_h: float = 0.0) -> dict[str, Any]:
    """Metrics of one hourly series (index ``hour``; the summed columns)."""
    unserved = hourly["unserved_mw"].to_numpy(dtype=float)
    customers = float(hourly["customers"].iloc[0]) if len(hourly) else 0.0
    customer_hours = float(hourly["customers_off"].sum())
    interruptions = float(hourly["customers_interrupted"].sum())
    saidi = customer_hours / customers if customers > 0 else 0.0
    saifi = interruptions / customers if customers > 0 else 0.0
    critical = hourly["critical_unserved_mw"].to_numpy(dtype=float)
    share = performance(hourly)
    hours = hourly.index.to_numpy(dtype=float)
    return {
        "ens_mwh": float(unserved.sum()),
        "customer_hours": customer_hours,
        "saidi_h": saidi,
        "saifi": saifi,
        "caidi_h": saidi / saifi if saifi > 0 else None,
        "peak_deficit_mw": float(unserved.max()) if len(unserved) else 0.0,
        "restore_h": {
            key: restore_time(hours, share, level, first_wave_h)
            for key, level in RESTORE_SHARES.items()
        },
        "network_restored_h": outage_end(
            hours, _column_sum(hourly, "dark_mw", "network_limited_mw"), first_wave_h
        ),
        "supply_restored_h": outage_end(
            hours, _column_sum(hourly, "supply_shortage_mw", "ufls_mw"), first_wave_h
        ),
        "critical_ens_mwh": float(critical.sum()),
        "critical_outage_h": float((critical > 1e-6).sum()),
        "trapezoid": trapezoid(hours, share, hourly, first_wave_h),
    }


def performance(hourly: pd.DataFrame) -> np.ndarray:
    """Served load as a share of what the intact grid serves at the same demand."""
    served = hourly["served_mw"].to_numpy(dtype=float)
    intact = hourly["intact_served_mw"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(intact > 1e-9, served / intact, 1.0)
    return np.clip(share, 0.0, 1.0)


def restore_time(
    hours: np.ndarray, share: np.ndarray, level: float, first_wave_h: float
) -> float | None:
    """Hours from the first wave until ``share`` is back at ``level`` and stays there.

    ``0`` if it never dropped below ``level`` after the first wave, ``None``
    if it is below in the last hour (see module notes).
    """
    after = hours >= np.floor(first_wave_h)
    below = np.flatnonzero(after & (share < level - SHARE_TOL))
    if not len(below):
        return 0.0
    last_drop = int(below[-1])
    if last_drop + 1 >= len(hours):
        return None
    return float(max(hours[last_drop + 1] - first_wave_h, 0.0))


def outage_end(hours: np.ndarray, unserved_mw: np.ndarray, first_wave_h: float) -> float | None:
    """Hours from the first wave until the end of the last hour with ``unserved_mw``.

    ``0`` if there is none after the first wave, ``None`` if the last hour has some.
    """
    after = hours >= np.floor(first_wave_h)
    out = np.flatnonzero(after & (unserved_mw > OUTAGE_TOL_MW))
    if not len(out):
        return 0.0
    last = int(out[-1])
    if last + 1 >= len(hours):
        return None
    return float(max(hours[last + 1] - first_wave_h, 0.0))


def _column_sum(hourly: pd.DataFrame, *names: str) -> np.ndarray:
    """The sum of the named columns (a missing column counts as zero)."""
    total = np.zeros(len(hourly))
    for name in names:
        if name in hourly.columns:
            total = total + hourly[name].to_numpy(dtype=float)
    return total


def trapezoid(
    hours: np.ndarray, share: np.ndarray, hourly: pd.DataFrame, first_wave_h: float
) -> dict[str, float]:
    """Resilience-trapezoid figures of the performance curve (Panteli et al. 2017)."""
    after = np.flatnonzero(hours >= np.floor(first_wave_h))
    empty = {
        "degradation_h": 0.0,
        "degradation_rate_per_h": 0.0,
        "depth": 0.0,
        "depth_mw": 0.0,
        "degraded_h": 0.0,
        "recovery_h": 0.0,
        "recovery_rate_per_h": 0.0,
        "area_h": 0.0,
    }
    if not len(after):
        return empty
    curve = share[after]
    t = hours[after]
    lowest = float(curve.min())
    depth = 1.0 - lowest
    if depth <= SHARE_TOL:
        return empty
    band = max(DEGRADED_BAND * depth, SHARE_TOL)
    at_min = int(np.flatnonzero(curve <= lowest + SHARE_TOL)[0])
    rising = np.flatnonzero((curve > lowest + band) & (np.arange(len(curve)) > at_min))
    start_rec = int(rising[0]) if len(rising) else len(curve)
    final = float(curve[-1])
    reached = np.flatnonzero((curve >= final - band) & (np.arange(len(curve)) >= start_rec))
    end_rec = int(reached[0]) if len(reached) else len(curve) - 1
    degradation_h = float(t[at_min] - np.floor(first_wave_h))
    recovery_h = float(t[end_rec] - t[start_rec]) if start_rec < len(curve) else 0.0
    intact = hourly["intact_served_mw"].to_numpy(dtype=float)[after]
    served = hourly["served_mw"].to_numpy(dtype=float)[after]
    return {
        "degradation_h": degradation_h,
        "degradation_rate_per_h": depth / max(degradation_h, 1.0),
        "depth": depth,
        "depth_mw": float(intact[at_min] - served[at_min]),
        "degraded_h": float(start_rec - at_min),
        "recovery_h": recovery_h,
        "recovery_rate_per_h": (final - lowest) / max(recovery_h, 1.0),
        "area_h": float((1.0 - curve).sum()),
    }


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready values: floats rounded to 6 decimals, NaN as ``None``."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out[key] = _plain(value)
        elif value is None:
            out[key] = None
        elif isinstance(value, float | np.floating):
            out[key] = None if not np.isfinite(value) else round(float(value), 6)
        elif isinstance(value, np.integer):
            out[key] = int(value)
        else:
            out[key] = value
    return out
