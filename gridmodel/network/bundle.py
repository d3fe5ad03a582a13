"""Write bundled network folders: ``gridmodel networks import``.

A bundled network folder (see :mod:`gridmodel.network.catalog`) holds ``network.json``,
the four metadata CSV files of :mod:`gridmodel.network.metadata` and a ``README.md``.
The folder is written next to its destination under a temporary name, read
back with :func:`~gridmodel.network.catalog.load_network`, and only then renamed, so a
failed import never leaves a half-written folder behind.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from gridmodel.errors import GridModelError, NetworkError, OptionError, OutputError
from gridmodel.interrupts import deferred
from gridmodel.network.catalog import (
    BUILTIN_CASES,
    ENV_PATH,
    NETWORK_FILE,
    checkout_networks_dir,
    load_network,
)
from gridmodel.network.columns import read_table
from gridmodel.network.grid import Grid
from gridmodel.network.metadata import (
    COLUMNS,
    SUBSTATIONS_FILE,
    MetadataTables,
    build_grid,
    write_metadata,
)

#: Allowed network names: letters, digits, ``-``, ``_`` and ``.``, starting alphanumeric.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def import_network(
    source: str | Path,
    *,
    name: str,
    dest: str | Path | None = None,
    substations_csv: str | Path | None = None,
    overwrite: bool = False,
) -> Path:
    """Create the bundled network folder ``<dest>/<name>`` from a network file.

    Parameters
    ----------
    source
        Anything :func:`~gridmodel.network.catalog.load_network` accepts (usually a file).
    name
        Name of the new network (folder name).
    dest
        Folder to create it in. Default: the first folder of
        ``GRIDMODEL_NETWORKS_PATH``, else the ``networks/`` folder of the
        source checkout.
    substations_csv
        Optional CSV with columns ``substation, name, region, lat, lon, buses``;
        ``buses`` lists the bus indices of the substation separated by spaces
        or ``;``. Every bus must be in exactly one substation. Without it the
        one-substation-per-bus defaults are written.
    overwrite
        Replace an existing folder of that name.

    Returns
    -------
    Path
        The folder written.

    Notes
    -----
    Substations without coordinates (a file without ``geo``) get layout
    coordinates from a seeded spring layout of the bus graph, so every bundled
    network has coordinates; the README written into the folder says so.
    """
    if not NAME_PATTERN.match(name):
        raise OptionError(
            f"bad network name {name!r}",
            field="--name",
            allowed="letters, digits, '-', '_', '.', starting with a letter or digit",
        )
    if name in BUILTIN_CASES:
        raise OptionError(
            f"{name!r} is a pandapower built-in case name", field="--name", allowed="another name"
        )
    target_dir = _destination(dest)
    target = target_dir / name
    if target.exists() and not overwrite:
        raise OptionError(
            "network folder already exists", file=target, field="--name", allowed="--overwrite"
        )
    grid = load_network(source)
    if substations_csv is not None:
        grid = _with_substations(grid, Path(substations_csv))
    grid, generated = _ensure_coordinates(grid)
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=target_dir))
    except OSError as exc:
        raise OptionError(
            f"cannot write: {exc.strerror}", file=target_dir, field="--dest"
        ) from None
    try:
        _write_folder(grid, tmp, name=name, source=str(source), generated=generated)
        load_network(tmp)  # what load_network cannot read back is not written
        with deferred():  # a signal does not come between removing the old and the rename
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
    except OSError as exc:
        raise OutputError(f"cannot write ({exc.strerror or exc})", file=target) from None
    finally:
        if tmp.exists():
            with deferred():
                shutil.rmtree(tmp, ignore_errors=True)
    return target


def layout_coordinates(net: object) -> pd.DataFrame:
    """Layout coordinates of every bus from a seeded spring layout of the bus graph.

    Returns a DataFrame indexed by bus with ``lat`` and ``lon`` in [-1, 1]:
    positions for drawing, not geography.
    """
    graph = nx.Graph()
    bus = net.bus  # type: ignore[attr-defined]
    graph.add_nodes_from(int(b) for b in bus.index)
    for table, a, b in (
        ("line", "from_bus", "to_bus"),
        ("trafo", "hv_bus", "lv_bus"),
        ("trafo3w", "hv_bus", "mv_bus"),
        ("trafo3w", "hv_bus", "lv_bus"),
        ("impedance", "from_bus", "to_bus"),
    ):
        frame = getattr(net, table, None)
        if frame is not None and len(frame):
            graph.add_edges_from(zip(frame[a].astype(int), frame[b].astype(int), strict=True))
    pos = nx.spring_layout(graph, seed=0)
    xy = np.array([pos[int(b)] for b in bus.index], dtype=float)
    return pd.DataFrame({"lat": xy[:, 1], "lon": xy[:, 0]}, index=bus.index)


def _destination(dest: str | Path | None) -> Path:
    if dest is not None:
        return Path(dest).expanduser()
    env = [e for e in os.environ.get(ENV_PATH, "").split(os.pathsep) if e.strip()]
    if env:
        return Path(env[0]).expanduser()
    checkout = checkout_networks_dir()
    if checkout is not None and checkout.is_dir():
        return checkout
    raise OptionError(
        "no networks folder to import into", field="--dest", allowed=f"--dest DIR or {ENV_PATH}"
    )


def _with_substations(grid: Grid, csv: Path) -> Grid:
    table = read_table(csv)
    needed = (*COLUMNS[SUBSTATIONS_FILE], "buses")
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise NetworkError(
            f"missing column {missing[0]!r}", file=csv, field=missing[0], allowed=", ".join(needed)
        )
    rows = [
        (bus, sub)
        for sub, buses in zip(table["substation"], table["buses"], strict=True)
        for bus in re.split(r"[\s;]+", buses.strip())
        if bus
    ]
    buses = pd.DataFrame(rows, columns=["bus", "substation"])
    tables = MetadataTables(substations=table[list(COLUMNS[SUBSTATIONS_FILE])], buses=buses)
    try:
        return build_grid(grid.net, name=grid.name, source=grid.source, tables=tables)
    except GridModelError as exc:
        raise NetworkError(exc.message, file=csv, field=exc.field, allowed=exc.allowed) from None


def _ensure_coordinates(grid: Grid) -> tuple[Grid, bool]:
    subs = grid.substations
    missing = subs[["lat", "lon"]].isna().any(axis=1)
    if not missing.any():
        return grid, False
    layout = layout_coordinates(grid.net).groupby(grid.bus_substation).mean()
    filled = subs.copy()
    for col in ("lat", "lon"):
        filled.loc[missing, col] = layout.loc[filled.index[missing], col].to_numpy()
    return Grid(
        name=grid.name,
        net=grid.net,
        substations=filled,
        bus_substation=grid.bus_substation,
        loads=grid.loads,
        regions=grid.regions,
        source=grid.source,
    ), True


def _write_folder(grid: Grid, folder: Path, *, name: str, source: str, generated: bool) -> None:
    import pandapower as pp

    pp.to_json(grid.net, str(folder / NETWORK_FILE))
    write_metadata(grid, folder)
    coords = (
        "Substations without coordinates in the source got layout coordinates "
        "(a spring layout of the bus graph), not geography."
        if generated
        else "Coordinates come from the source's bus geodata (or the substations CSV)."
    )
    (folder / "README.md").write_text(
        f"# {name}\n\n"
        f"Imported with `gridmodel networks import` from `{Path(source).name}`.\n\n"
        f"{len(grid.net.bus)} buses, {len(grid.substations)} substations, "
        f"{len(grid.regions)} regions. {coords}\n\n"
        "Edit the CSV files to change substations, regions, customers and priorities.\n",
        encoding="utf-8",
    )
