"""Small hand-built grids and damages for the restoration tests.

``radial_grid`` is a 110 kV star: an external grid at bus 0 and one line per
load bus, so repairing line ``i`` reconnects exactly load ``i`` (and nothing
else). Default metadata: one substation per bus (``bus0`` ...), 500 customers
per MW, priority 4 unless given.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandapower as pp

from gridmodel.engine import CompiledGrid, EngineOptions, compile_grid
from gridmodel.network.grid import Element, Grid
from gridmodel.network.metadata import build_grid
from gridmodel.restoration.options import DemandOptions, RepairOptions
from gridmodel.restoration.tasks import Task, repair_tasks
from gridmodel.restoration.timeline import simulate
from gridmodel.strikes.damage import Damage, Hit, ProtectionTrip


def radial_grid(
    loads_mw: Sequence[float],
    *,
    regions: Sequence[str] | None = None,
    priorities: Sequence[int] | None = None,
    source_max_mw: float | None = None,
    chain: bool = False,
) -> Grid:
    """External grid at bus 0; load ``i`` at bus ``i + 1`` behind line ``i``.

    ``chain=True`` strings the load buses one after another (line ``i`` joins
    bus ``i`` and bus ``i + 1``) instead of a star.
    """
    net = pp.create_empty_network()
    first = regions[0] if regions else "all"
    b0 = pp.create_bus(net, 110.0, zone=first)
    if source_max_mw is None:
        pp.create_ext_grid(net, b0)
    else:
        pp.create_ext_grid(net, b0, max_p_mw=source_max_mw)
    previous = b0
    for i, p in enumerate(loads_mw):
        bus = pp.create_bus(net, 110.0, zone=regions[i] if regions else "all")
        pp.create_line_from_parameters(
            net, previous if chain else b0, bus, 10.0, 0.05, 0.4, 10.0, 2.0
        )
        pp.create_load(net, bus, float(p))
        previous = bus
    grid = build_grid(net, name="radial", source="test")
    if priorities is not None:
        loads = grid.loads.copy()
        loads["priority"] = list(priorities)
        grid = dataclasses.replace(grid, loads=loads)
    return grid


def compiled_of(grid: Grid, *, overload: str = "trip") -> CompiledGrid:
    return compile_grid(grid, options=EngineOptions(overload=overload))  # type: ignore[arg-type]


def damage_of(
    hits: Sequence[tuple[int, float, Element, float]],
    trips: Sequence[tuple[int, float, Element, float]] = (),
) -> Damage:
    """A Damage from (wave, time_h, element, severity) hits and
    (wave, time_h, element, resync_h) trips."""
    return Damage(
        tuple(Hit(w, t, e, s, f"waves[{w}].targets[{i}]") for i, (w, t, e, s) in enumerate(hits)),
        tuple(ProtectionTrip(w, t, e, r) for w, t, e, r in trips),
        0,
        0,
    )


def fixed_repair(median_h: float = 10.0, **fields: object) -> RepairOptions:
    """Repair options with every duration fixed at ``median_h`` x severity."""
    fixed = {"dist": "fixed", "median_h": median_h}
    durations = {k: dict(fixed) for k in ("line", "substation", "trafo", "trafo_no_spare", "gen")}
    return RepairOptions.model_validate({"durations": durations, **fields})


def line_tasks(
    grid: Grid, durations_h: Sequence[float], *, time_h: float = 0.0, median_h: float = 10.0
) -> tuple[Damage, tuple[Task, ...]]:
    """Damage of lines 0..n-1 with severities giving the wanted fixed durations."""
    hits = [(0, time_h, Element("line", i), d / median_h) for i, d in enumerate(durations_h)]
    damage = damage_of(hits)
    tasks = repair_tasks(damage, grid, options=fixed_repair(median_h), rng=np.random.default_rng(0))
    return damage, tasks


FLAT = dict(crews=1, horizon_h=24, strategy="as_listed")
FLAT_DEMAND = DemandOptions(profile="flat")


def run(grid, damage, tasks, *, profile="flat", start=None, **repair):
    when = {} if start is None else {"start": start}
    return simulate(
        compiled_of(grid),
        damage,
        tasks,
        repair=RepairOptions(**{**FLAT, **repair}),
        demand=DemandOptions(profile=profile),
        **when,
    )
