"""Metadata of a network that has none: one substation per bus, zones as regions.

The defaults of :mod:`gridmodel.network.metadata` for pandapower cases and
MATPOWER files:

- one substation per bus, id ``f"bus{index}"`` (so ``substation:bus7`` holds
  exactly ``bus:7``), named after the bus's ``name`` when it has one;
- region from the bus ``zone`` column (``1.0`` becomes ``"1"``), or
  :data:`DEFAULT_REGION` when the net has no zones;
- ``lat``/``lon`` from the bus ``geo`` column (GeoJSON point, ``[lon, lat]``);
  pandapower's test cases carry *layout* coordinates there, not geography;
- customers from MW with :data:`CUSTOMERS_PER_MW`, priority
  :data:`DEFAULT_PRIORITY`, :data:`DEFAULT_GROUPS` groups per region.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from gridmodel.network.columns import text_value

#: Customers per MW of load when a network does not say. A household customer
#: draws about 2 kW at the diversified winter evening peak (electric heating and
#: cooking in a share of homes), so 1 MW of peak load serves about 500 customers.
CUSTOMERS_PER_MW: int = 500
#: Priority class of a load without metadata: 4, households
#: (:data:`gridmodel.network.grid.PRIORITY_CLASSES`).
DEFAULT_PRIORITY: int = 4
#: Rotation groups (queues) per region without metadata; Ukrainian DSOs use 6.
DEFAULT_GROUPS: int = 6
#: Region of every substation when the net has no ``zone`` column.
DEFAULT_REGION: str = "all"


def default_customers(p_mw: pd.Series) -> pd.Series:
    """Customers served by loads of ``p_mw`` MW, using :data:`CUSTOMERS_PER_MW`.

    ``p_mw`` is the load as drawn (pandapower's ``p_mw x scaling``).

    A load drawing power serves at least one customer; a load with zero or
    negative power (a generator modelled as negative load) serves none.
    """
    p = pd.to_numeric(p_mw, errors="coerce").fillna(0.0).astype(float)
    customers = np.rint(p.clip(lower=0.0) * CUSTOMERS_PER_MW).astype(np.int64)
    customers = np.where(p > 0, np.maximum(customers, 1), 0)
    return pd.Series(customers, index=p_mw.index, name="customers", dtype="int64")


def bus_coordinates(net: Any) -> pd.DataFrame:
    """Latitude and longitude of every bus from its GeoJSON ``geo`` point (NaN if none)."""
    lat = np.full(len(net.bus), np.nan)
    lon = np.full(len(net.bus), np.nan)
    if "geo" in net.bus.columns:
        for i, geo in enumerate(net.bus["geo"].tolist()):
            point = _point(geo)
            if point is not None:
                lon[i], lat[i] = point
    return pd.DataFrame({"lat": lat, "lon": lon}, index=net.bus.index)


def bus_regions(net: Any) -> pd.Series:
    """Region name of every bus from the ``zone`` column (integral floats as ints)."""
    if "zone" not in net.bus.columns:
        return pd.Series(DEFAULT_REGION, index=net.bus.index, dtype=object)
    return net.bus["zone"].map(_zone_name)


def default_substations(net: Any) -> tuple[pd.DataFrame, pd.Series]:
    """One substation per bus: the metadata of a network that has none.

    Returns
    -------
    (substations, bus_substation)
        As in :class:`~gridmodel.network.grid.Grid` (without ``vn_kv``).
    """
    index = net.bus.index
    ids = pd.Series([f"bus{int(b)}" for b in index], index=index)
    names = [
        text_value(n) or sid for n, sid in zip(net.bus["name"].tolist(), ids.tolist(), strict=True)
    ]
    coords = bus_coordinates(net)
    substations = pd.DataFrame(
        {
            "name": names,
            "region": bus_regions(net).to_numpy(),
            "lat": coords["lat"].to_numpy(),
            "lon": coords["lon"].to_numpy(),
        },
        index=pd.Index(ids.to_numpy(), name="substation"),
    )
    bus_substation = pd.Series(ids.to_numpy(), index=index.rename("bus"), name="substation")
    return substations, bus_substation


def _zone_name(zone: Any) -> str:
    if zone is None or (isinstance(zone, float) and math.isnan(zone)) or str(zone) == "":
        return DEFAULT_REGION
    if isinstance(zone, float | np.floating) and float(zone).is_integer():
        return str(int(zone))
    return str(zone).strip()


def _point(geo: Any) -> tuple[float, float] | None:
    if geo is None or (isinstance(geo, float) and math.isnan(geo)):
        return None
    try:
        obj = json.loads(geo) if isinstance(geo, str) else geo
        x, y = obj["coordinates"][:2]
        return float(x), float(y)
    except (ValueError, TypeError, KeyError, IndexError):
        return None
