"""Substation, region and customer metadata of a network: defaults, reading, validation.

A bundled network folder holds, next to ``network.json``, up to four CSV files:

``substations.csv``  columns ``substation, name, region, lat, lon``
``buses.csv``        columns ``bus, substation`` (every bus of the net exactly once)
``loads.csv``        columns ``load, customers, priority`` (empty cell: the default)
``regions.csv``      columns ``region, groups``

``substations.csv`` and ``buses.csv`` come together or not at all. Loads and
regions not listed get the defaults. Everything is checked on load; a problem
is a :class:`~gridmodel.errors.NetworkError` naming the file, the column and
what is allowed.

A network without metadata (pandapower cases, MATPOWER files) gets the
defaults of :mod:`gridmodel.network.defaults`. Bundled networks must have
real coordinates (checked by :func:`gridmodel.network.catalog.load_network`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridmodel.errors import NetworkError
from gridmodel.network.columns import (
    ids_column,
    no_duplicates,
    numbers,
    read_table,
    require_columns,
    text,
)
from gridmodel.network.defaults import (
    CUSTOMERS_PER_MW,
    DEFAULT_GROUPS,
    DEFAULT_PRIORITY,
    DEFAULT_REGION,
    bus_coordinates,
    bus_regions,
    default_customers,
    default_substations,
)
from gridmodel.network.grid import PRIORITY_CLASSES, Grid
from gridmodel.network.values import check_net_values
from gridmodel.schema import MAX_CUSTOMERS, MAX_MW

SUBSTATIONS_FILE = "substations.csv"
BUSES_FILE = "buses.csv"
LOADS_FILE = "loads.csv"
REGIONS_FILE = "regions.csv"
#: Required columns of each metadata file.
COLUMNS: dict[str, tuple[str, ...]] = {
    SUBSTATIONS_FILE: ("substation", "name", "region", "lat", "lon"),
    BUSES_FILE: ("bus", "substation"),
    LOADS_FILE: ("load", "customers", "priority"),
    REGIONS_FILE: ("region", "groups"),
}


@dataclass(frozen=True)
class MetadataTables:
    """Metadata tables as given (cells may be strings), each one optional.

    ``folder`` is only used to name files in error messages.
    """

    substations: pd.DataFrame | None = None
    buses: pd.DataFrame | None = None
    loads: pd.DataFrame | None = None
    regions: pd.DataFrame | None = None
    folder: str = ""


def read_metadata(folder: str | Path) -> MetadataTables:
    """Read the metadata CSV files present in a network folder (no validation yet)."""
    folder = Path(folder)
    tables: dict[str, pd.DataFrame | None] = {}
    for attr, file in (
        ("substations", SUBSTATIONS_FILE),
        ("buses", BUSES_FILE),
        ("loads", LOADS_FILE),
        ("regions", REGIONS_FILE),
    ):
        path = folder / file
        tables[attr] = read_table(path) if path.exists() else None
    return MetadataTables(**tables, folder=str(folder))


def build_grid(net: Any, *, name: str, source: str, tables: MetadataTables | None = None) -> Grid:
    """Combine a pandapower net with its metadata tables (or the defaults) into a Grid.

    Parameters
    ----------
    net
        The pandapower network; it is not modified.
    name
        Catalog name of the network.
    source
        Where the network came from, for messages.
    tables
        Metadata as read by :func:`read_metadata`; ``None`` means defaults only.

    Returns
    -------
    Grid
        With every bus in one substation, every load with customers and
        priority, and every region of a substation in ``regions``.

    Raises
    ------
    NetworkError
        If a table is inconsistent with the net or holds a bad value.
    """
    tables = tables or MetadataTables()
    check_power_values(net, source)
    check_net_values(net, source)
    files = {f: str(Path(tables.folder) / f) if tables.folder else f for f in COLUMNS}
    if tables.substations is None and tables.buses is None:
        substations, bus_substation = default_substations(net)
    else:
        for table, file, other in (
            (tables.substations, SUBSTATIONS_FILE, BUSES_FILE),
            (tables.buses, BUSES_FILE, SUBSTATIONS_FILE),
        ):
            if table is None:
                raise NetworkError(
                    f"missing: {file} is required together with {other}",
                    file=files[file],
                )
        assert tables.substations is not None and tables.buses is not None
        substations = _parse_substations(tables.substations, files[SUBSTATIONS_FILE])
        bus_substation = _parse_buses(
            tables.buses, files[BUSES_FILE], net, substations, files[SUBSTATIONS_FILE]
        )
    vn_kv = net.bus["vn_kv"].astype(float).groupby(bus_substation).max()
    substations["vn_kv"] = vn_kv.reindex(substations.index).astype(float)
    loads = _parse_loads(tables.loads, files[LOADS_FILE], net)
    regions = _parse_regions(
        tables.regions, files[REGIONS_FILE], substations, natural=tables.substations is None
    )
    return Grid(
        name=name,
        net=net,
        substations=substations,
        bus_substation=bus_substation,
        loads=loads,
        regions=regions,
        source=source,
    )


#: Columns of the net that must hold finite numbers, with their smallest and
#: largest value (``max_p_mw`` may be infinite: an unlimited source).
FINITE_COLUMNS: tuple[tuple[str, str, float, float], ...] = (
    ("load", "p_mw", -MAX_MW, MAX_MW),
    ("load", "q_mvar", -MAX_MW, MAX_MW),
    ("load", "scaling", 0.0, 1e3),
    ("gen", "p_mw", -MAX_MW, MAX_MW),
    ("gen", "scaling", 0.0, 1e3),
    ("sgen", "p_mw", -MAX_MW, MAX_MW),
    ("sgen", "q_mvar", -MAX_MW, MAX_MW),
    ("sgen", "scaling", 0.0, 1e3),
    ("bus", "vn_kv", 1e-3, 2e3),
)


def check_power_values(net: Any, source: str) -> None:
    """Refuse a net whose loads, generators or bus voltages are not finite numbers in range.

    Raises
    ------
    NetworkError
        Naming the table, the column and the first element with a bad value.
    """
    for table_name, column, low, high in FINITE_COLUMNS:
        table = getattr(net, table_name, None)
        if table is None or column not in table or not len(table):
            continue
        values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(values) | (values < low) | (values > high)
        if bad.any():
            index = table.index[int(np.flatnonzero(bad)[0])]
            raise NetworkError(
                f"{table_name} {index} has {column} = {table[column].loc[index]}",
                file=source,
                field=f"{table_name}.{column}",
                allowed=f"finite numbers from {low:g} to {high:g}",
            )


def metadata_tables(grid: Grid) -> dict[str, pd.DataFrame]:
    """The four metadata files of a Grid, as DataFrames in file column order."""
    subs = grid.substations.reset_index()
    return {
        SUBSTATIONS_FILE: subs[list(COLUMNS[SUBSTATIONS_FILE])],
        BUSES_FILE: pd.DataFrame(
            {"bus": grid.bus_substation.index, "substation": grid.bus_substation.to_numpy()}
        ),
        LOADS_FILE: grid.loads.reset_index()[list(COLUMNS[LOADS_FILE])],
        REGIONS_FILE: grid.regions.reset_index()[list(COLUMNS[REGIONS_FILE])],
    }


def write_metadata(grid: Grid, folder: str | Path) -> list[Path]:
    """Write the four metadata CSV files of ``grid`` into ``folder``; return their paths."""
    written = []
    for file, table in metadata_tables(grid).items():
        path = Path(folder) / file
        table.to_csv(path, index=False, float_format="%.6f")
        written.append(path)
    return written


# --- parsing and validation -------------------------------------------------


def _parse_substations(table: pd.DataFrame, file: str) -> pd.DataFrame:
    require_columns(table, COLUMNS[Path(file).name], file)
    ids = ids_column(table, "substation", file)
    regions = text(table["region"])
    empty = regions == ""
    if empty.any():
        row = int(np.flatnonzero(empty.to_numpy())[0])
        raise NetworkError(
            f"empty region for substation {ids[row]!r} (row {row + 2})",
            file=file,
            field="region",
        )
    out = pd.DataFrame(
        {
            "name": [n or i for n, i in zip(text(table["name"]), ids, strict=True)],
            "region": regions.to_numpy(),
            "lat": numbers(
                table, "lat", file, ids, label="substation", low=-90.0, high=90.0, required=True
            ),
            "lon": numbers(
                table, "lon", file, ids, label="substation", low=-180.0, high=180.0, required=True
            ),
        },
        index=pd.Index(ids, name="substation"),
    )
    return out


def _parse_buses(
    table: pd.DataFrame, file: str, net: Any, substations: pd.DataFrame, subs_file: str
) -> pd.Series:
    require_columns(table, COLUMNS[Path(file).name], file)
    buses = numbers(table, "bus", file, None, integer=True, required=True).astype(np.int64)
    no_duplicates(pd.Series(buses), "bus", file)
    known = set(int(b) for b in net.bus.index)
    unknown = [int(b) for b in buses if int(b) not in known]
    if unknown:
        raise NetworkError(
            f"unknown bus {unknown[0]} (not in network.json)",
            file=file,
            field="bus",
            allowed=f"bus indices of the net, {_span(known)}",
        )
    subs = text(table["substation"])
    missing_sub = ~subs.isin(substations.index)
    if missing_sub.any():
        bad = subs[missing_sub].iloc[0]
        raise NetworkError(
            f"substation {bad!r} is not in {Path(subs_file).name}",
            file=file,
            field="substation",
        )
    mapping = pd.Series(subs.to_numpy(), index=pd.Index(buses, name="bus"), name="substation")
    orphans = sorted(known - set(int(b) for b in buses))
    if orphans:
        shown = ", ".join(str(b) for b in orphans[:8]) + (" ..." if len(orphans) > 8 else "")
        raise NetworkError(
            f"{len(orphans)} bus(es) without a substation: {shown}",
            file=file,
            field="bus",
            allowed="every bus of the net exactly once",
        )
    empty = sorted(set(substations.index) - set(mapping))
    if empty:
        raise NetworkError(
            f"substation {empty[0]!r} has no buses",
            file=file,
            field="substation",
            allowed="each substation of substations.csv at least once",
        )
    return mapping.reindex(net.bus.index.rename("bus"))


def _parse_loads(table: pd.DataFrame | None, file: str, net: Any) -> pd.DataFrame:
    index = net.load.index.rename("load")
    p_mw = net.load["p_mw"].astype(float)
    if "scaling" in net.load.columns:
        p_mw = p_mw * net.load["scaling"].astype(float).fillna(1.0)
    customers = default_customers(p_mw).set_axis(index)
    priority = pd.Series(DEFAULT_PRIORITY, index=index, dtype="int64")
    if table is not None and len(table):
        require_columns(table, COLUMNS[Path(file).name], file)
        loads = numbers(table, "load", file, None, integer=True, required=True)
        loads = loads.astype(np.int64)
        no_duplicates(pd.Series(loads), "load", file)
        known = set(int(i) for i in index)
        unknown = [int(x) for x in loads if int(x) not in known]
        if unknown:
            raise NetworkError(
                f"unknown load {unknown[0]} (not in network.json)",
                file=file,
                field="load",
                allowed=f"load indices of the net, {_span(known)}",
            )
        cust = numbers(
            table, "customers", file, loads, label="load", integer=True, low=0.0, high=MAX_CUSTOMERS
        )
        prio = numbers(
            table,
            "priority",
            file,
            loads,
            label="load",
            integer=True,
            low=float(min(PRIORITY_CLASSES)),
            high=float(max(PRIORITY_CLASSES)),
        )
        given = ~np.isnan(cust)
        customers.loc[loads[given]] = cust[given].astype(np.int64)
        given = ~np.isnan(prio)
        priority.loc[loads[given]] = prio[given].astype(np.int64)
    return pd.DataFrame(
        {"customers": customers.astype("int64"), "priority": priority.astype("int64")},
        index=index,
    )


def _parse_regions(
    table: pd.DataFrame | None, file: str, substations: pd.DataFrame, *, natural: bool
) -> pd.DataFrame:
    used = list(dict.fromkeys(str(r) for r in substations["region"]))
    if natural:  # default regions from zones: "2" before "10"
        used.sort(key=lambda r: (0, int(r), "") if r.isdigit() else (1, 0, r))
    groups = dict.fromkeys(used, DEFAULT_GROUPS)
    order = used
    if table is not None and len(table):
        require_columns(table, COLUMNS[Path(file).name], file)
        names = ids_column(table, "region", file)
        unknown = [r for r in names if r not in groups]
        if unknown:
            raise NetworkError(
                f"region {unknown[0]!r} has no substation",
                file=file,
                field="region",
                allowed=", ".join(used),
            )
        values = numbers(
            table, "groups", file, names, label="region", integer=True, low=1.0, required=True
        )
        groups.update({r: int(g) for r, g in zip(names, values, strict=True)})
        order = list(dict.fromkeys([*names, *used]))
    return pd.DataFrame(
        {"groups": [groups[r] for r in order]}, index=pd.Index(order, name="region")
    ).astype({"groups": "int64"})


def _span(indices: set[int]) -> str:
    if not indices:
        return "none"
    return f"{len(indices)} between {min(indices)} and {max(indices)}"


__all__ = [
    "BUSES_FILE",
    "COLUMNS",
    "CUSTOMERS_PER_MW",
    "DEFAULT_GROUPS",
    "DEFAULT_PRIORITY",
    "DEFAULT_REGION",
    "LOADS_FILE",
    "REGIONS_FILE",
    "SUBSTATIONS_FILE",
    "MetadataTables",
    "build_grid",
    "bus_coordinates",
    "bus_regions",
    "default_customers",
    "default_substations",
    "metadata_tables",
    "read_metadata",
    "write_metadata",
]
