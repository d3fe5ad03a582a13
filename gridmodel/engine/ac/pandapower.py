"""The ``pandapower`` AC backend: ``runpp`` on a copy of the net set to the state.

The copy holds exactly the evaluated state: buses of dark islands, branches
out of service and tripped, loads at their served power (reactive power in
proportion), sources at the DC dispatch, and one slack per energised island
(its external grid, or else its largest generator, the DC angle reference).
pandapower's Newton-Raphson starts from the DC angles (``init="dc"``).
"""

from __future__ import annotations

import copy
import warnings
from typing import Any, ClassVar

import numpy as np

from gridmodel.engine.ac.backend import MAX_ITERATIONS, AcFlow, served_q_mvar
from gridmodel.engine.cache import EngineCache
from gridmodel.engine.compiled import CompiledGrid, State
from gridmodel.engine.dc import reference_buses
from gridmodel.engine.islands import Topology, topology
from gridmodel.engine.outcome import Outcome
from gridmodel.errors import interrupted


class PandapowerBackend:
    """``runpp`` per state.

    Parameters
    ----------
    lightsim2grid_runpp
        Let ``runpp`` use lightsim2grid's Newton-Raphson for a state with a
        single slack (the fallback of the ``lightsim2grid`` backend).
    """

    name: ClassVar[str] = "pandapower"

    def __init__(self, *, lightsim2grid_runpp: bool = False) -> None:
        self.lightsim2grid_runpp = lightsim2grid_runpp

    def solve(
        self, compiled: CompiledGrid, state: State, outcome: Outcome, cache: EngineCache
    ) -> AcFlow | None:
        net = state_net(
            compiled, topology(compiled, state, outcome.branch_in_service, cache), outcome
        )
        kwargs: dict[str, Any] = {
            "init": "dc",
            "max_iteration": MAX_ITERATIONS,
            "calculate_voltage_angles": True,
        }
        if self.lightsim2grid_runpp:
            slack_gen = net.gen["slack"].astype(bool) & net.gen["in_service"].astype(bool)
            n_slack = int(net.ext_grid["in_service"].astype(bool).sum()) + int(slack_gen.sum())
            # pandapower hands lightsim2grid a single slack only (several slacks
            # need a distributed slack, which it refuses across islands): a state
            # with several energised islands is solved by pandapower's own
            # Newton-Raphson, in one pass for all islands
            kwargs["lightsim2grid"] = n_slack <= 1
        if not run_pf(net, kwargs):
            return None
        flow = np.zeros(compiled.n_branch)
        mva = np.zeros(compiled.n_branch)
        for kind, p_col, q_col in (
            ("line", "p_from_mw", "q_from_mvar"),
            ("trafo", "p_hv_mw", "q_hv_mvar"),
        ):
            sel = compiled.branch_kind == kind
            if not sel.any():
                continue
            res = getattr(net, f"res_{kind}").reindex(compiled.branch_index[sel])
            p = res[p_col].to_numpy(dtype=float)
            q = res[q_col].to_numpy(dtype=float)
            flow[sel] = np.nan_to_num(p)
            mva[sel] = np.nan_to_num(np.hypot(p, q))
        in_service = outcome.branch_in_service
        vm = net.res_bus["vm_pu"].reindex(net.bus.index).to_numpy(dtype=float)
        return AcFlow(np.where(in_service, flow, 0.0), np.where(in_service, mva, 0.0), vm)


def run_pf(net: Any, kwargs: dict[str, Any]) -> bool:
    """Run ``runpp`` in place; False if it fails or does not converge."""
    import pandapower as pp

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pp.runpp(net, **kwargs)
    except Exception as exc:  # LoadflowNotConverged and numerical failures alike
        if interrupted(exc):
            raise
        return False
    return bool(net.converged)


def state_net(compiled: CompiledGrid, topo: Topology, outcome: Outcome) -> Any:
    """A pandapower copy of the net set to the evaluated state and dispatch."""
    net = copy.deepcopy(compiled.grid.net)
    energized_pp = [b for pos in np.flatnonzero(topo.bus_energized) for b in compiled.bus_pp[pos]]
    net.bus["in_service"] = net.bus.index.isin(energized_pp)
    for kind in ("line", "trafo"):
        sel = compiled.branch_kind == kind
        if sel.any():
            table = getattr(net, kind)
            table.loc[compiled.branch_index[sel], "in_service"] = outcome.branch_in_service[sel]
    if len(net.switch):
        branch_switch = net.switch["et"].isin(["l", "t"])
        net.switch.loc[branch_switch, "closed"] = True
    _set_loads(compiled, net, outcome)
    _set_sources(compiled, net, topo, outcome)
    return net


def _set_loads(compiled: CompiledGrid, net: Any, outcome: Outcome) -> None:
    """Loads at their served power, reactive power in proportion."""
    load = net.load.loc[compiled.load_index]
    scaling = load["scaling"].to_numpy(dtype=float) if "scaling" in load else 1.0
    p_file = load["p_mw"].to_numpy(dtype=float) * scaling
    q_file = load["q_mvar"].to_numpy(dtype=float) * scaling
    q = served_q_mvar(p_file, q_file, outcome.load_served_mw, outcome.load_dark)
    net.load.loc[compiled.load_index, "p_mw"] = outcome.load_served_mw
    net.load.loc[compiled.load_index, "q_mvar"] = q
    net.load.loc[compiled.load_index, "scaling"] = 1.0
    net.load.loc[compiled.load_index, "in_service"] = ~outcome.load_dark


def _set_sources(compiled: CompiledGrid, net: Any, topo: Topology, outcome: Outcome) -> None:
    """Sources at the dispatch; one slack per energised island."""
    refs = {int(b) for b in reference_buses(compiled, topo)}
    for kind in ("ext_grid", "gen", "sgen"):
        sel = compiled.unit_kind == kind
        if not sel.any():
            continue
        idx = compiled.unit_index[sel]
        table = getattr(net, kind)
        table.loc[idx, "in_service"] = topo.unit_ok[sel]
        if kind in ("gen", "sgen"):
            table.loc[idx, "p_mw"] = outcome.unit_p_mw[sel]
            if "scaling" in table:
                table.loc[idx, "scaling"] = 1.0
    if len(net.gen):
        net.gen["slack"] = False
    eg_buses = {
        int(compiled.unit_bus[u])
        for u in np.flatnonzero(topo.unit_ok & (compiled.unit_kind == "ext_grid"))
    }
    for u in np.flatnonzero(topo.unit_ok & (compiled.unit_kind == "gen")):
        bus = int(compiled.unit_bus[u])
        island = topo.labels[bus]
        has_ext_grid = any(topo.labels[b] == island for b in eg_buses)
        if bus in refs and not has_ext_grid:
            net.gen.at[int(compiled.unit_index[u]), "slack"] = True
            refs.discard(bus)
