"""Helpers shared by the engine tests (imported by them; not a test module).

* :func:`random_strikes`: seeded random strike lists (substations, lines);
* :func:`struck_net` and :func:`runpp_of_state`: the pandapower side of a
  comparison, built from the strike list alone (struck elements out of
  service, islands by pandapower's topology functions), with only the served
  load, the dispatch and the reference generator (which pandapower does not
  decide) taken from the engine's DC outcome;
* :func:`assert_same_outcome`: two outcomes equal bit for bit.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandapower as pp
import pandapower.topology as top

from gridmodel.engine import CompiledGrid, EngineCache, Outcome
from gridmodel.engine.dc import reference_buses
from gridmodel.engine.islands import topology
from gridmodel.network.catalog import load_network
from gridmodel.network.grid import Element, Grid


@functools.cache
def network(name: str) -> Grid:
    """A catalog network, loaded once per test process (a Grid is never mutated)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_network(name)


def random_strikes(
    grid: Grid, rng: np.random.Generator, *, substations: int, lines: int = 0
) -> list[Element]:
    """``substations`` random substations and ``lines`` random lines."""
    subs = list(grid.substations.index)
    out = [Element("substation", str(s)) for s in rng.choice(subs, substations, replace=False)]
    line_ids = list(grid.net.line.index)
    out += [Element("line", int(i)) for i in rng.choice(line_ids, lines, replace=False)]
    return out


def struck_net(grid: Grid, out: Iterable[Element]) -> Any:
    """A pandapower copy of the net with ``out`` out of service (a substation or
    bus takes every element attached to its buses)."""
    net = copy.deepcopy(grid.net)
    dead: set[int] = set()
    for e in out:
        if e.kind == "substation":
            dead |= set(grid.buses_of(str(e.id)))
        elif e.kind == "bus":
            dead.add(int(e.id))
        else:
            getattr(net, e.kind).loc[int(e.id), "in_service"] = False
    dead_list = sorted(dead)
    net.bus.loc[dead_list, "in_service"] = False
    for kind, a, b in (("line", "from_bus", "to_bus"), ("trafo", "hv_bus", "lv_bus")):
        table = getattr(net, kind)
        table.loc[table[a].isin(dead_list) | table[b].isin(dead_list), "in_service"] = False
    for kind in ("ext_grid", "gen", "sgen", "load", "shunt"):
        table = getattr(net, kind)
        table.loc[table.bus.isin(dead_list), "in_service"] = False
    return net


def energised_buses(net: Any) -> set[int]:
    """Buses of islands (pandapower's topology) holding an in-service ext_grid or gen."""
    graph = top.create_nxgraph(net, respect_switches=True)
    live = {int(b) for b in net.bus.index[net.bus.in_service]}
    sources = {int(b) for b in net.ext_grid.bus[net.ext_grid.in_service]} | {
        int(b) for b in net.gen.bus[net.gen.in_service]
    }
    energised: set[int] = set()
    for component in top.connected_components(graph):
        island = {int(b) for b in component} & live
        if island & sources:
            energised |= island
    return energised


def runpp_of_state(
    grid: Grid, compiled: CompiledGrid, out: list[Element], dc: Outcome, **runpp: Any
) -> Any:
    """pandapower's ``runpp`` of the struck state at the engine's served load and dispatch.

    Buses outside pandapower's energised islands are out of service; loads at
    the DC served MW (reactive power in proportion), gens and sgens at the DC
    dispatch, and in each energised island without an external grid the
    engine's reference generator is the slack. ``init="dc"`` and
    ``calculate_voltage_angles=True`` unless ``runpp`` says otherwise.
    Raises pandapower's ``LoadflowNotConverged`` when it does not converge.
    """
    net = struck_net(grid, out)
    energised = sorted(energised_buses(net))
    net.bus["in_service"] = net.bus.index.isin(energised)
    p_file = (net.load.p_mw * net.load.scaling).reindex(compiled.load_index).to_numpy()
    q_file = (net.load.q_mvar * net.load.scaling).reindex(compiled.load_index).to_numpy()
    served = dc.load_served_mw
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(p_file != 0, served / p_file, 0.0)
    net.load.loc[compiled.load_index, "p_mw"] = served
    net.load.loc[compiled.load_index, "q_mvar"] = q_file * ratio
    net.load["scaling"] = 1.0
    for kind in ("gen", "sgen"):
        sel = compiled.unit_kind == kind
        if sel.any():
            table = getattr(net, kind)
            table.loc[compiled.unit_index[sel], "p_mw"] = dc.unit_p_mw[sel]
            table["scaling"] = 1.0
    if len(net.gen):
        net.gen["slack"] = False
    topo = topology(compiled, compiled.state(out), dc.branch_in_service, EngineCache())
    refs = {int(r) for r in reference_buses(compiled, topo)}
    eg_on = net.ext_grid.in_service & net.ext_grid.bus.isin(energised)
    eg_islands = {int(topo.labels[compiled.bus_lookup[int(b)]]) for b in net.ext_grid.bus[eg_on]}
    for g in net.gen.index[net.gen.in_service & net.gen.bus.isin(energised)]:
        pos = compiled.bus_lookup[int(net.gen.at[g, "bus"])]
        if pos in refs and int(topo.labels[pos]) not in eg_islands:
            net.gen.at[g, "slack"] = True
            refs.discard(pos)
    options = {"init": "dc", "calculate_voltage_angles": True, **runpp}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pp.runpp(net, **options)
    return net


def branch_results(compiled: CompiledGrid, net: Any) -> tuple[np.ndarray, np.ndarray]:
    """Active (MW) and apparent (MVA) flow at the from end of every branch of a
    solved net, in the compiled branch order (0 for a branch out of service)."""
    p_out = np.zeros(compiled.n_branch)
    s_out = np.zeros(compiled.n_branch)
    for kind, p_col, q_col in (
        ("line", "p_from_mw", "q_from_mvar"),
        ("trafo", "p_hv_mw", "q_hv_mvar"),
    ):
        sel = compiled.branch_kind == kind
        if sel.any():
            res = getattr(net, f"res_{kind}").reindex(compiled.branch_index[sel])
            p = res[p_col].to_numpy(dtype=float)
            q = res[q_col].to_numpy(dtype=float)
            p_out[sel] = np.nan_to_num(p)
            s_out[sel] = np.nan_to_num(np.hypot(p, q))
    return p_out, s_out


def assert_same_outcome(a: Outcome, b: Outcome, label: str = "") -> None:
    """Every field of two outcomes equal, arrays bit for bit (NaN equal to NaN)."""
    for f in dataclasses.fields(Outcome):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape, f"{label}: {f.name}"
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), f"{label}: {f.name}"
        else:
            assert x == y, f"{label}: {f.name}: {x!r} != {y!r}"
