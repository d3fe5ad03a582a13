"""Which elements a salvo or a random pick can hit, with their draw weights.

Every candidate has a *home substation*: a substation itself; the substation
of a transformer's high-voltage bus; of a generator's bus; of a line's
``from_bus``. The home substation decides the candidate's region (for
``region`` filters and regional interception) and its ``load`` weight.

Weights
-------
``uniform``
    1 for every candidate.
``load``
    The active load (MW, in-service loads, ``p_mw * scaling``) at the home
    substation's buses. Candidates at substations without load are never
    drawn, unless every candidate has zero load, in which case the draw is
    uniform.
``voltage``
    The nominal voltage (kV): a substation's ``vn_kv``, a transformer's
    ``vn_hv_kv``, the bus voltage for generators and lines.

Out-of-service lines, transformers and generators are not candidates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridmodel.network.grid import Element, Grid


@dataclass(frozen=True)
class TargetTable:
    """Candidates of one kind, in a stable order (substation order or table index)."""

    kind: str
    elements: tuple[Element, ...]
    region: np.ndarray  # region name (object) per candidate
    load_mw: np.ndarray
    vn_kv: np.ndarray

    def select(self, regions: tuple[str, ...] | None) -> np.ndarray:
        """Positions of the candidates inside ``regions`` (``None``: all)."""
        if regions is None:
            return np.arange(len(self.elements))
        return np.flatnonzero(np.isin(self.region, list(regions)))

    def weights(self, weight: str, positions: np.ndarray) -> np.ndarray:
        """Draw weights of the candidates at ``positions``; uniform if all are zero."""
        if weight == "load":
            values = np.clip(self.load_mw[positions].astype(float), 0.0, None)
        elif weight == "voltage":
            values = np.clip(self.vn_kv[positions].astype(float), 0.0, None)
        else:
            values = np.ones(len(positions))
        values = np.nan_to_num(values, nan=0.0, posinf=0.0)
        if len(values) and values.sum() <= 0:
            values = np.ones(len(positions))
        return values


def substation_load_mw(grid: Grid) -> pd.Series:
    """Active load (MW) per substation, in-service loads at ``p_mw * scaling``."""
    load = grid.net.load
    active = load[load["in_service"].astype(bool)] if "in_service" in load else load
    scaling = active.get("scaling", 1.0)
    per_bus = (active["p_mw"] * scaling).groupby(active["bus"]).sum()
    per_sub = per_bus.groupby(grid.bus_substation.reindex(per_bus.index)).sum()
    return per_sub.reindex(grid.substations.index, fill_value=0.0).astype(float)


def _in_service(table: pd.DataFrame) -> pd.DataFrame:
    if "in_service" not in table:
        return table
    return table[table["in_service"].astype(bool)]


def target_table(grid: Grid, kind: str) -> TargetTable:
    """The candidates of ``kind`` (``substation``, ``trafo``, ``gen`` or ``line``)."""
    sub_load = substation_load_mw(grid)
    sub_region = grid.substations["region"].astype(str)
    bus_vn = grid.net.bus["vn_kv"]
    if kind == "substation":
        ids = list(grid.substations.index)
        elements = tuple(Element("substation", str(s)) for s in ids)
        return TargetTable(
            kind,
            elements,
            sub_region.to_numpy(dtype=object),
            sub_load.to_numpy(dtype=float),
            grid.substations["vn_kv"].to_numpy(dtype=float),
        )
    table_name, bus_column, vn_of = {
        "trafo": ("trafo", "hv_bus", "vn_hv_kv"),
        "gen": ("gen", "bus", None),
        "line": ("line", "from_bus", None),
    }[kind]
    table = _in_service(getattr(grid.net, table_name)).sort_index()
    buses = table[bus_column]
    home = grid.bus_substation.reindex(buses.to_numpy())
    vn = table[vn_of] if vn_of is not None else bus_vn.reindex(buses.to_numpy())
    return TargetTable(
        kind,
        tuple(Element(kind, int(i)) for i in table.index),
        sub_region.reindex(home.to_numpy()).to_numpy(dtype=object),
        sub_load.reindex(home.to_numpy()).fillna(0.0).to_numpy(dtype=float),
        np.asarray(vn, dtype=float),
    )
