"""The branch, source and switch numbers of a net, checked when it is loaded.

:func:`~gridmodel.network.metadata.check_power_values` checks the loads',
generators' and buses' powers and voltages; this module checks the rest of
what the engine reads: line and transformer parameters and ratings, the
limits and set points of sources, ``in_service`` flags and the bus every
element is connected to. A value that is text, NaN where a number is
required, infinite or out of its physical range is one
:class:`~gridmodel.errors.NetworkError` naming the file, ``table.column``,
the element and what is allowed, before any power flow sees it.

The ranges are generous physical maxima, not typical values, wide enough for
the equivalents of published test cases (negative resistances, short-circuit
voltages of thousands of percent): a line up to 100,000 km with up to 1e9
ohm/km either way and 1e6 kA, a transformer up to 1e6 MVA, per-unit voltage
set points from 0 to 10.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from gridmodel.errors import NetworkError
from gridmodel.schema import MAX_MW


class ColumnRange(NamedTuple):
    """A numeric column of a net's table: its range, and whether NaN or an infinity may stand."""

    table: str
    column: str
    low: float
    high: float
    #: NaN (pandapower's "not given") and infinities (no limit) are allowed.
    open_ended: bool = False


#: Columns of branches and sources that must hold finite numbers in range (or, if
#: ``open_ended``, NaN or an infinity: a limit not given).
VALUE_COLUMNS: tuple[ColumnRange, ...] = (
    ColumnRange("line", "length_km", 0.0, 1e5),
    ColumnRange("line", "r_ohm_per_km", -1e9, 1e9),
    ColumnRange("line", "x_ohm_per_km", -1e9, 1e9),
    ColumnRange("line", "c_nf_per_km", -1e12, 1e12),
    ColumnRange("line", "max_i_ka", 0.0, 1e6),
    ColumnRange("line", "parallel", 1.0, 1e3),
    ColumnRange("line", "df", 0.0, 1.0),
    ColumnRange("trafo", "sn_mva", 0.0, 1e6),
    ColumnRange("trafo", "vn_hv_kv", 1e-3, 2e3),
    ColumnRange("trafo", "vn_lv_kv", 1e-3, 2e3),
    ColumnRange("trafo", "vk_percent", -1e9, 1e9),
    ColumnRange("trafo", "vkr_percent", -1e9, 1e9),
    ColumnRange("trafo", "pfe_kw", -1e9, 1e9),
    ColumnRange("trafo", "i0_percent", -1e9, 1e9),
    ColumnRange("trafo", "shift_degree", -360.0, 360.0),
    ColumnRange("trafo", "parallel", 1.0, 1e3),
    ColumnRange("trafo", "df", 0.0, 1.0),
    ColumnRange("trafo", "tap_pos", -1e6, 1e6, open_ended=True),
    ColumnRange("trafo", "tap_neutral", -1e6, 1e6, open_ended=True),
    ColumnRange("trafo", "tap_step_percent", -1e6, 1e6, open_ended=True),
    ColumnRange("ext_grid", "vm_pu", 0.0, 10.0),
    ColumnRange("ext_grid", "va_degree", -360.0, 360.0),
    ColumnRange("ext_grid", "max_p_mw", -MAX_MW, MAX_MW, open_ended=True),
    ColumnRange("ext_grid", "min_p_mw", -MAX_MW, MAX_MW, open_ended=True),
    ColumnRange("gen", "vm_pu", 0.0, 10.0),
    ColumnRange("gen", "max_p_mw", -MAX_MW, MAX_MW, open_ended=True),
    ColumnRange("gen", "min_p_mw", -MAX_MW, MAX_MW, open_ended=True),
    ColumnRange("sgen", "max_p_mw", -MAX_MW, MAX_MW, open_ended=True),
    ColumnRange("sgen", "min_p_mw", -MAX_MW, MAX_MW, open_ended=True),
    ColumnRange("shunt", "p_mw", -MAX_MW, MAX_MW),
    ColumnRange("shunt", "q_mvar", -MAX_MW, MAX_MW),
)
#: Columns that name a bus of the net, by table.
BUS_COLUMNS: tuple[tuple[str, str], ...] = (
    ("line", "from_bus"),
    ("line", "to_bus"),
    ("trafo", "hv_bus"),
    ("trafo", "lv_bus"),
    ("load", "bus"),
    ("gen", "bus"),
    ("sgen", "bus"),
    ("ext_grid", "bus"),
    ("shunt", "bus"),
    ("storage", "bus"),
)
#: Tables whose ``in_service`` column the engine reads.
SERVICE_TABLES: tuple[str, ...] = (
    "bus",
    "line",
    "trafo",
    "load",
    "gen",
    "sgen",
    "ext_grid",
    "shunt",
    "storage",
)


def check_net_values(net: Any, source: str) -> None:
    """Refuse a net with a bad branch or source value, ``in_service`` flag or bus reference.

    Raises
    ------
    NetworkError
        Naming ``source``, ``table.column``, the element and what is allowed.
    """
    for spec in VALUE_COLUMNS:
        table = _table(net, spec.table, spec.column)
        if table is not None:
            _check_range(table, spec, source)
    buses = set(net.bus.index.tolist()) if "bus" in net else set()
    for name, column in BUS_COLUMNS:
        table = _table(net, name, column)
        if table is not None:
            _check_buses(table, name, column, buses, source)
    for name in SERVICE_TABLES:
        table = _table(net, name, "in_service")
        if table is not None:
            _check_flags(table, name, source)


def _table(net: Any, name: str, column: str) -> pd.DataFrame | None:
    table = net.get(name, None)
    if not isinstance(table, pd.DataFrame) or column not in table.columns or not len(table):
        return None
    return table


def _check_range(table: pd.DataFrame, spec: ColumnRange, source: str) -> None:
    raw = table[spec.column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    text = np.array([v is not None and _is_text(v) for v in raw], dtype=bool)
    with np.errstate(invalid="ignore"):
        if spec.open_ended:
            bad = text | ((values < spec.low) & np.isfinite(values))
            bad |= (values > spec.high) & np.isfinite(values)
        else:
            bad = text | ~np.isfinite(values) | (values < spec.low) | (values > spec.high)
    if bad.any():
        allowed = f"finite numbers from {spec.low:g} to {spec.high:g}"
        if spec.open_ended:
            allowed += ", empty or infinite (no limit)"
        _refuse(table, spec.table, spec.column, int(np.flatnonzero(bad)[0]), allowed, source)


def _check_buses(table: pd.DataFrame, name: str, column: str, buses: set[Any], source: str) -> None:
    for row, value in enumerate(table[column].tolist()):
        if _is_text(value) or not _whole(value) or int(value) not in buses:
            span = f"{min(buses)} to {max(buses)}" if buses else "none"
            _refuse(table, name, column, row, f"indices of the net's buses ({span})", source)


def _check_flags(table: pd.DataFrame, name: str, source: str) -> None:
    for row, value in enumerate(table["in_service"].tolist()):
        if not isinstance(value, bool | np.bool_) and value not in (0, 1):
            _refuse(table, name, "in_service", row, "true or false", source)


def _refuse(
    table: pd.DataFrame, name: str, column: str, row: int, allowed: str, source: str
) -> None:
    index = table.index[row]
    value = table[column].iloc[row]
    shown = repr(value) if isinstance(value, str) else str(value)
    raise NetworkError(
        f"{name} {index} has {column} = {shown[:40]}",
        file=source,
        field=f"{name}.{column}",
        allowed=allowed,
    )


def _is_text(value: Any) -> bool:
    """A cell that holds text or another non-number (not NaN, which is a float)."""
    return not isinstance(value, int | float | np.integer | np.floating) or isinstance(
        value, bool | np.bool_
    )


def _whole(value: Any) -> bool:
    number = float(value)
    return math.isfinite(number) and number == int(number)
