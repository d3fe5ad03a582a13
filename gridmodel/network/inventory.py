"""What a network is made of: substations and lines by voltage, generation by type.

The equipment tables of ``gridmodel networks show``, next to the counts and
per-region totals of :func:`gridmodel.network.catalog.summarize`. Every table
is computed from the pandapower net as it is (nothing is changed) and has
unit-suffixed columns:

* substations by voltage: each substation counts once, at its highest bus
  voltage (``Grid.substations.vn_kv``);
* lines by voltage: kilometres of circuit, ``length_km x parallel``, by the
  nominal voltage of the line's from-bus, in service and out of service
  separately (a double-circuit line of 100 km is 200 km of circuit);
* generation by type: the ``type`` column of ``gen`` and ``sgen`` (units
  without one, or with an empty one, are ``"unspecified"``); external grids
  are imports or slack connections, not plants, and are counted apart.

Installed and available MW of a unit
------------------------------------
*Installed* counts every unit, in service or not: the net's ``installed_mw``
column where the net has one and the value is finite (bundled networks keep
the nameplate there when ``max_p_mw`` is a derated winter figure), else
``max_p_mw``, else ``p_mw``. ``sn_mva`` is not used: it is apparent power of
the machine (MVA), above its active-power rating by the rated power factor,
which the net does not hold. *Available* is ``max_p_mw`` of units in service
(their ``p_mw`` where no finite maximum is given), the rule of ``gen_mw`` in
:func:`~gridmodel.network.catalog.summarize`; *in service* is the installed
MW of the units in service. Negative values count as 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from gridmodel.network.catalog import summarize, unit_capacity
from gridmodel.network.grid import Grid

#: Type of a generating unit whose ``type`` is missing or empty.
UNSPECIFIED = "unspecified"
#: Columns of :func:`lines_by_voltage`.
LINE_COLUMNS = ("vn_kv", "circuits", "length_km", "circuits_out", "length_out_km")
#: Columns of :func:`generation_by_type` (and of its total row).
GENERATION_COLUMNS = (
    "type",
    "units",
    "units_in_service",
    "installed_mw",
    "in_service_mw",
    "available_mw",
)


def substations_by_voltage(grid: Grid) -> pd.DataFrame:
    """Number of substations per highest bus voltage, highest voltage first.

    Returns
    -------
    DataFrame
        Columns ``vn_kv`` (float) and ``substations`` (int).
    """
    counts = grid.substations["vn_kv"].astype(float).value_counts()
    counts = counts.sort_index(ascending=False)
    return pd.DataFrame({"vn_kv": counts.index.to_numpy(float), "substations": counts.to_numpy()})


def lines_by_voltage(grid: Grid) -> pd.DataFrame:
    """Circuits and kilometres of circuit per voltage level, highest voltage first.

    A line counts ``parallel`` circuits (1 when the net has no such column)
    at the nominal voltage of its from-bus.

    Returns
    -------
    DataFrame
        :data:`LINE_COLUMNS`: ``vn_kv``; ``circuits`` and ``length_km`` of
        lines in service; ``circuits_out`` and ``length_out_km`` of lines out
        of service.
    """
    line = grid.net.line
    parallel = _column(line, "parallel", 1.0)
    km = line["length_km"].astype(float) * parallel
    on = _on(line)
    kv = line["from_bus"].map(grid.net.bus["vn_kv"].astype(float))
    table = pd.DataFrame(
        {
            "circuits": parallel.where(on, 0.0),
            "length_km": km.where(on, 0.0),
            "circuits_out": parallel.where(~on, 0.0),
            "length_out_km": km.where(~on, 0.0),
        }
    )
    sums = table.groupby(kv.to_numpy(float)).sum().sort_index(ascending=False)
    sums.index.name = "vn_kv"
    out = sums.reset_index()
    out["vn_kv"] = out["vn_kv"].astype(float)
    for col in ("circuits", "circuits_out"):
        out[col] = out[col].round().astype("int64")
    return out[list(LINE_COLUMNS)]


def generation_by_type(grid: Grid) -> pd.DataFrame:
    """Units and MW per generation type (``gen`` and ``sgen``), largest installed first.

    See the module notes for installed, in-service and available MW.

    Returns
    -------
    DataFrame
        :data:`GENERATION_COLUMNS`, one row per type (ties by name).
    """
    parts = [_units(getattr(grid.net, t)) for t in ("gen", "sgen") if len(getattr(grid.net, t))]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in GENERATION_COLUMNS}).astype(
            {"type": str, "units": "int64", "units_in_service": "int64"}
        )
    units = pd.concat(parts, ignore_index=True)
    table = units.groupby("type").agg(
        units=("on", "size"),
        units_in_service=("on", "sum"),
        installed_mw=("installed_mw", "sum"),
        in_service_mw=("in_service_mw", "sum"),
        available_mw=("available_mw", "sum"),
    )
    table = table.reset_index().sort_values(["installed_mw", "type"], ascending=[False, True])
    table = table.astype({"units": "int64", "units_in_service": "int64"})
    return table[list(GENERATION_COLUMNS)].reset_index(drop=True)


def external_grids(grid: Grid) -> dict[str, int | float]:
    """The external grids (imports, slack connections) of a network.

    Returns
    -------
    dict
        ``units``, ``units_in_service``, ``max_p_mw`` (sum of the finite
        ``max_p_mw`` of those in service) and ``unlimited`` (how many in
        service have no finite maximum).
    """
    ext = grid.net.ext_grid
    on = _on(ext)
    cap = pd.to_numeric(_column(ext, "max_p_mw", np.nan)).astype(float)
    finite = np.isfinite(cap)
    return {
        "units": len(ext),
        "units_in_service": int(on.sum()),
        "max_p_mw": round(float(cap[on & finite].clip(lower=0.0).sum()), 3),
        "unlimited": int((on & ~finite).sum()),
    }


def describe(grid: Grid) -> dict[str, Any]:
    """Everything ``gridmodel networks show`` prints, as one JSON-ready object.

    Returns
    -------
    dict
        The keys of :func:`~gridmodel.network.catalog.summarize`, plus
        ``substations_by_voltage`` (list of ``{vn_kv, substations}``),
        ``lines_by_voltage`` (list of ``{vn_kv, circuits, length_km,
        circuits_out, length_out_km}``), ``generation_by_type`` (list of
        ``{type, units, units_in_service, installed_mw, in_service_mw,
        available_mw}``), ``generation_total`` (the same fields summed, type
        ``"total"``) and ``external_grids`` (:func:`external_grids`). MW and
        km are rounded to 3 decimals.
    """
    generation = generation_by_type(grid)
    total: dict[str, Any] = {"type": "total"}
    for col in GENERATION_COLUMNS[1:]:
        value = generation[col].sum()
        total[col] = int(value) if col.startswith("units") else round(float(value), 3)
    return summarize(grid) | {
        "substations_by_voltage": _records(substations_by_voltage(grid)),
        "lines_by_voltage": _records(lines_by_voltage(grid)),
        "generation_by_type": _records(generation),
        "generation_total": total,
        "external_grids": external_grids(grid),
    }


def _units(table: pd.DataFrame) -> pd.DataFrame:
    """One row per unit: ``type``, ``on``, ``installed_mw``, ``in_service_mw``, ``available_mw``."""
    capacity = unit_capacity(table, fallback=True)
    named = pd.to_numeric(_column(table, "installed_mw", np.nan), errors="coerce").astype(float)
    installed = named.where(np.isfinite(named)).fillna(capacity).clip(lower=0.0)
    on = _on(table)
    kind = _column(table, "type", None)
    labels = [
        str(t).strip() if isinstance(t, str) and str(t).strip() else UNSPECIFIED for t in kind
    ]
    return pd.DataFrame(
        {
            "type": labels,
            "on": on.to_numpy(),
            "installed_mw": installed.to_numpy(),
            "in_service_mw": installed.where(on, 0.0).to_numpy(),
            "available_mw": capacity.where(on, 0.0).to_numpy(),
        }
    )


def _column(table: pd.DataFrame, name: str, default: Any) -> pd.Series:
    if name in table.columns:
        return table[name]
    return pd.Series(default, index=table.index, dtype=object if default is None else float)


def _on(table: pd.DataFrame) -> pd.Series:
    if "in_service" not in table.columns:
        return pd.Series(True, index=table.index)
    return table["in_service"].astype(bool)


def _records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain Python values (ints stay ints, floats rounded to 3 decimals)."""
    return [{str(k): _plain(v) for k, v in row.items()} for row in table.to_dict("records")]


def _plain(value: Any) -> Any:
    """A numpy or Python scalar as a JSON-ready Python value (floats to 3 decimals)."""
    if isinstance(value, np.generic):
        value = value.item()
    return round(value, 3) if isinstance(value, float) else value
