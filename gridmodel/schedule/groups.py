"""Rotation groups (queues) of each region and their share of the load.

How load is split into groups
-----------------------------
Every non-critical load (priority class 2..5: defence, essential goods,
households and other industry alike) is split **evenly** over the
groups of its region: with ``n`` groups, each group holds ``1/n`` of every
load's MW and (up to rounding) ``1/n`` of its customers. A load in a
transmission model stands for a whole city's distribution feeders, and a
distribution company builds its queues from feeders spread over the city, so
each queue takes a slice of every load. An even split keeps the groups equal in
size, which is what lets a rotation be fair and lets ``k`` groups off mean
``k/n`` of the load off. (Assigning whole loads to groups by hashing would
give unequal groups whenever a region has few loads.)

Critical loads (priority class 1: hospitals, water, heat) sit on protected
feeders: they belong to no group and are never rotated. Their MW and customers
are kept per region (``critical_mw``, ``critical_customers``) for reference.

Group names
-----------
``"6"`` gives groups ``"1" .. "6"``; ``"6x2"`` gives subgroups ``"1.1", "1.2",
.., "6.2"`` (the Yasno naming from 2025); ``"3"`` the Kyiv queues of autumn
2022 (public figures, DOMAIN.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from gridmodel.errors import OptionError, unknown_name
from gridmodel.network.defaults import DEFAULT_PRIORITY
from gridmodel.network.grid import Grid
from gridmodel.schedule.tables import numbers, read_csv_table, require_columns
from gridmodel.schema import MAX_CUSTOMERS, MAX_MW

#: Groups per region when neither the network nor the option says (DSO practice from 2024).
DEFAULT_GROUPS = "6"
#: Priority class that is never rotated.
CRITICAL_PRIORITY = 1

# ASCII digits only (int() would take "６" or "٦"), four at most so int() never meets a long
# string; spaces (only the ASCII space, as around the spec) may stand around the x
_SPEC = re.compile(r"([0-9]{1,4})(?: *[xX] *([0-9]{1,4}))?")
_TABLE_COLUMNS = ("region", "group", "share", "load_mw", "customers")


def group_labels(spec: int | str) -> tuple[str, ...]:
    """Group names for a group spec.

    Parameters
    ----------
    spec
        ``N`` (an int or ``"N"``) for groups ``"1" .. "N"``, or ``"NxM"`` for
        ``N`` groups of ``M`` subgroups ``"1.1" .. "N.M"``.

    Examples
    --------
    >>> group_labels("3")
    ('1', '2', '3')
    >>> group_labels("2x2")
    ('1.1', '1.2', '2.1', '2.2')
    """
    allowed = "N (1..99) or NxM subgroups such as 6x2"
    if isinstance(spec, int) and not 1 <= spec <= 99:  # before str(): a huge int has no str
        shown = spec if spec < 10**6 else "above 99"
        raise OptionError(f"bad group count {shown}", field="groups", allowed=allowed)
    match = _SPEC.fullmatch(str(spec).strip(" "))  # str.strip() would also drop "\x85"
    if match is None:
        shown = repr(spec) if len(str(spec)) <= 40 else repr(str(spec)[:40]) + "..."
        raise OptionError(f"bad group count {shown}", field="groups", allowed=allowed)
    n = int(match.group(1))
    m = int(match.group(2)) if match.group(2) else 0
    if not 1 <= n <= 99 or (match.group(2) and not 1 <= m <= 9):
        raise OptionError(f"bad group count {spec!r}", field="groups", allowed=allowed)
    if m == 0:
        return tuple(str(i) for i in range(1, n + 1))
    return tuple(f"{i}.{j}" for i in range(1, n + 1) for j in range(1, m + 1))


@dataclass(frozen=True, eq=False)
class Groups:
    """Rotation groups of every region.

    Attributes
    ----------
    table
        One row per group, regions in order and groups in natural order:
        ``region`` (str), ``group`` (str), ``share`` (fraction of the region's
        rotatable load the group holds; the shares of a region sum to 1),
        ``load_mw`` (the group's nominal load, NaN when unknown), ``customers``
        (float, NaN when unknown).
    regions
        Index ``region``. Columns ``groups`` (number of groups), ``queues``
        (number of main groups: 6 for ``6x2``, the unit in which the
        transmission operator announces queues off), ``load_mw``
        (nominal rotatable, i.e. non-critical, load; NaN when unknown),
        ``customers``, ``critical_mw``, ``critical_customers``.
    members
        Which load is in which group (only when built from a Grid): columns
        ``load`` (pandapower index), ``region``, ``group``, ``fraction`` (of
        the load's MW in that group). Critical loads have no rows.
    """

    table: pd.DataFrame
    regions: pd.DataFrame
    members: pd.DataFrame

    def region_names(self) -> list[str]:
        """Region names in order."""
        return [str(r) for r in self.regions.index]

    def labels(self, region: str) -> tuple[str, ...]:
        """Group names of ``region`` in order."""
        return tuple(self.table.loc[self.table["region"] == region, "group"])

    def shares(self, region: str) -> np.ndarray:
        """Share of the region's rotatable load held by each group (same order as labels)."""
        return self.table.loc[self.table["region"] == region, "share"].to_numpy(dtype=float)

    def check_region(self, region: str, *, file: str | Path | None = None) -> None:
        """Raise OptionError if ``region`` has no groups."""
        if region not in self.regions.index:
            raise unknown_name(
                "region", region, self.region_names(), error=OptionError, file=file, field="region"
            )


def build_groups(table: pd.DataFrame, *, groups: int | str | None = None) -> Groups:
    """Groups from a plain per-region table.

    Parameters
    ----------
    table
        One row per region. Column ``region`` is required; optional columns:
        ``groups`` (group spec, default :data:`DEFAULT_GROUPS`), ``load_mw``
        (non-critical load that rotation can switch, MW), ``customers``
        (non-critical customers), ``critical_mw``, ``critical_customers``.
        Missing values are unknown (NaN), which is enough for deficits given
        as a share of load (timeline, queues).
    groups
        Group spec for every region, overriding the ``groups`` column.

    Returns
    -------
    Groups
        Each region's load and customers split evenly over its groups.
    """
    require_columns(table, ["region"])
    regions = table["region"].astype(str).str.strip()
    if (regions == "").any() or regions.duplicated().any():
        bad = regions[(regions == "") | regions.duplicated()].iloc[0]
        raise OptionError(f"empty or duplicate region {bad!r}", field="region")
    n = len(table)

    def column(name: str) -> np.ndarray:
        if name not in table.columns:
            return np.full(n, np.nan)
        high = MAX_CUSTOMERS if name == "customers" else MAX_MW
        return numbers(table, name, low=0.0, high=high, default=np.nan)

    if groups is not None:
        specs = [str(groups)] * n
    elif "groups" in table.columns:
        specs = [str(s).strip() or DEFAULT_GROUPS for s in table["groups"]]
    else:
        specs = [DEFAULT_GROUPS] * n
    return _split(
        regions.tolist(),
        specs,
        column("load_mw"),
        column("customers"),
        column("critical_mw"),
        column("critical_customers"),
        members=_empty_members(),
    )


def read_region_table(path: str | Path, *, groups: int | str | None = None) -> Groups:
    """Groups from a per-region CSV file (columns as :func:`build_groups`)."""
    table = read_csv_table(path)
    try:
        return build_groups(table, groups=groups)
    except OptionError as exc:
        raise OptionError(exc.message, file=path, field=exc.field, allowed=exc.allowed) from None


def groups_from_grid(grid: Grid, *, groups: int | str | None = None) -> Groups:
    """Groups of every region of a Grid.

    Parameters
    ----------
    grid
        The network; ``grid.regions.groups`` gives each region's group count.
    groups
        Group spec for every region (``6``, ``"6x2"``), overriding the grid.

    Returns
    -------
    Groups
        Load MW is pandapower's ``p_mw * scaling`` of in-service loads.
        Priority-1 loads are left out of every group. Regions without load
        (no in-service load drawing power) have no groups.
    """
    load = grid.net.load
    p_mw = load["p_mw"].astype(float)
    if "scaling" in load.columns:
        p_mw = p_mw * load["scaling"].astype(float)
    if "in_service" in load.columns:
        p_mw = p_mw.where(load["in_service"].astype(bool), 0.0)
    region = grid.load_region().astype(str)
    priority = grid.loads["priority"].reindex(load.index).fillna(DEFAULT_PRIORITY).astype(int)
    customers = grid.loads["customers"].reindex(load.index).fillna(0).astype(float)
    critical = priority == CRITICAL_PRIORITY
    has_load = set(region[p_mw > 0].tolist())
    # A region without load (a foreign equivalent, a disconnected border) rotates no one.
    names = [r for r in dict.fromkeys([*grid.region_names(), *region.tolist()]) if r in has_load]

    def per_region(values: pd.Series, mask: pd.Series) -> np.ndarray:
        sums = values[mask].groupby(region[mask]).sum()
        return sums.reindex(names).fillna(0.0).to_numpy(dtype=float)

    counts = grid.regions["groups"].reindex(names)
    specs = [
        str(groups) if groups is not None else (str(int(c)) if pd.notna(c) else DEFAULT_GROUPS)
        for c in counts
    ]
    labels = {r: group_labels(s) for r, s in zip(names, specs, strict=True)}
    rows = [
        (int(idx), region[idx], label, 1.0 / len(labels[region[idx]]))
        for idx in load.index[~critical]
        for label in labels.get(region[idx], ())
    ]
    members = pd.DataFrame(rows, columns=["load", "region", "group", "fraction"])
    return _split(
        names,
        specs,
        per_region(p_mw, ~critical),
        per_region(customers, ~critical),
        per_region(p_mw, critical),
        per_region(customers, critical),
        members=members if len(members) else _empty_members(),
    )


def _split(
    regions: list[str],
    specs: list[str],
    load_mw: np.ndarray,
    customers: np.ndarray,
    critical_mw: np.ndarray,
    critical_customers: np.ndarray,
    *,
    members: pd.DataFrame,
) -> Groups:
    """Split each region's load and customers evenly over its groups."""
    rows: list[tuple[str, str, float, float, float]] = []
    counts, queues = [], []
    for r, spec, mw, cust in zip(regions, specs, load_mw, customers, strict=True):
        labels = group_labels(spec)
        n = len(labels)
        counts.append(n)
        queues.append(len({label.split(".")[0] for label in labels}))
        # Customers are whole: the first (cust mod n) groups get one more.
        base, extra = (np.nan, 0) if np.isnan(cust) else divmod(round(cust), n)
        for i, label in enumerate(labels):
            rows.append((r, label, 1.0 / n, mw / n, base + (1 if i < extra else 0)))
    table = pd.DataFrame(rows, columns=list(_TABLE_COLUMNS))
    region_table = pd.DataFrame(
        {
            "groups": counts,
            "queues": queues,
            "load_mw": load_mw,
            "customers": customers,
            "critical_mw": critical_mw,
            "critical_customers": critical_customers,
        },
        index=pd.Index(regions, name="region"),
    )
    return Groups(table=table, regions=region_table, members=members)


def _empty_members() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "load": pd.Series(dtype="int64"),
            "region": pd.Series(dtype=str),
            "group": pd.Series(dtype=str),
            "fraction": pd.Series(dtype=float),
        }
    )
