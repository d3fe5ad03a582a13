"""AC power flow of a grid state on a lightsim2grid model built once per grid.

The ``lightsim2grid`` AC backend. pandapower's ``runpp`` spends most of a
state converting tables to matrices; here the conversion happens once per
:class:`~gridmodel.network.grid.Grid` (``init_from_pandapower`` on a copy
of the net with every element in service and each external grid replaced by a
generator), and each state only

1. switches buses, branches, units, loads and shunts on or off (only those
   whose status differs from the previous state),
2. sets load (served MW, reactive power in proportion) and unit injections
   (the DC dispatch),
3. picks one slack per energised island: its external grid, or else the first
   generator at the island's reference bus (the same choice as the pandapower
   path of :mod:`gridmodel.engine.ac.check`),
4. runs lightsim2grid's Newton-Raphson from a flat start (so the answer does
   not depend on earlier states).

lightsim2grid shares the slack of several slack generators as a distributed
slack, which has no solution across separate islands; a state with several
energised islands is therefore solved island by island, each with only its
own buses in service. An island without a branch needs no solve (its bus sits
at the slack's voltage set point, flows are zero).

The island that holds the intact grid's slack is normally solved on a third
instance whose admittance pattern never changes (:mod:`gridmodel.engine.ac.lightsim_fixed`):
switching elements off changes the pattern and makes lightsim2grid analyse
the Jacobian afresh, which is most of the cost of a state on a large grid.
When that island cannot be represented there (its slack or its generators
differ from the intact grid's), it is solved as the other islands are. An
island whose Newton-Raphson does not converge is solved once more from its DC
angles (pandapower's ``init="dc"``) on an instance that keeps nothing from one
solve to the next, so that the answer depends on the state alone. Island
flows are kept per grid under a key of everything they depend on
(:mod:`~gridmodel.engine.ac.lightsim_model`), so the AC steps of a cascade
solve only the islands that changed. The model is kept in the caller's
:class:`~gridmodel.engine.cache.EngineCache`.

Grids or states this model cannot represent exactly raise
:class:`Unsupported` (bus-bus switches, three-winding transformers, storage,
DC lines, wards, an island with more than one external grid, a failed
conversion) and the caller falls back to pandapower.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from gridmodel.engine.ac.backend import AcFlow
from gridmodel.engine.ac.lightsim_fixed import Maps
from gridmodel.engine.ac.lightsim_island import IslandInstance
from gridmodel.engine.ac.lightsim_model import Model, Solution, Unsupported
from gridmodel.engine.ac.pandapower import PandapowerBackend
from gridmodel.engine.cache import EngineCache
from gridmodel.engine.compiled import CompiledGrid, State
from gridmodel.engine.islands import topology
from gridmodel.engine.outcome import Outcome
from gridmodel.errors import interrupted

#: Element tables the model has no exact counterpart for.
UNSUPPORTED_TABLES = (
    "trafo3w",
    "storage",
    "dcline",
    "ward",
    "xward",
    "impedance",
    "motor",
    "asymmetric_load",
    "asymmetric_sgen",
    "svc",
    "tcsc",
    "ssc",
    "vsc",
)


class LightsimBackend:
    """The ``lightsim2grid`` backend: a model built once per grid (see the module notes).

    What the model cannot represent is solved by ``runpp`` instead
    (:class:`~gridmodel.engine.ac.pandapower.PandapowerBackend`).
    """

    name: ClassVar[str] = "lightsim2grid"

    def solve(
        self, compiled: CompiledGrid, state: State, outcome: Outcome, cache: EngineCache
    ) -> AcFlow | None:
        try:
            solved = solve_on_model(compiled, state, outcome, cache)
        except Unsupported:  # not representable there: pandapower's runpp
            return PandapowerBackend(lightsim2grid_runpp=True).solve(
                compiled, state, outcome, cache
            )
        return None if solved is None else AcFlow(*solved)


def solve_on_model(
    compiled: CompiledGrid, state: State, outcome: Outcome, cache: EngineCache
) -> Solution:
    """AC flow of ``outcome``'s state and dispatch on the grid's lightsim2grid model.

    Parameters
    ----------
    compiled
        The compiled grid; its model is built on first use and kept in ``cache``.
    state
        The evaluated state.
    outcome
        Its DC outcome (islands, branches in service, served load, dispatch).
    cache
        The engine cache that keeps the model.

    Returns
    -------
    Solution
        Active (MW) and apparent (MVA) flow at the from end per branch, zero
        for a branch out of service, and the voltage magnitude (pu) per
        pandapower bus position (NaN on dead buses); None if the Newton-Raphson
        diverges.

    Raises
    ------
    Unsupported
        If the grid or this state cannot be represented exactly.
    """
    model = model_of(compiled, cache)
    topo = topology(compiled, state, outcome.branch_in_service, cache)
    with model.lock:
        try:
            return model.solve(compiled, topo, outcome)
        except Unsupported:
            raise
        except Exception as exc:  # a lightsim2grid failure: rebuild, fall back this time
            if interrupted(exc):
                raise
            cache.drop_model(compiled, LightsimBackend.name)
            raise Unsupported(f"lightsim2grid failed: {exc}") from exc


def model_of(compiled: CompiledGrid, cache: EngineCache) -> Model:
    """The grid's lightsim2grid model kept in ``cache`` (built on first use).

    Raises
    ------
    Unsupported
        If the grid cannot be converted.
    """
    model = cache.model(compiled, LightsimBackend.name, lambda: _build(compiled))
    if isinstance(model, _Failed):
        raise Unsupported(model.reason)
    return model


@dataclass
class _Failed:
    reason: str


def _build(compiled: CompiledGrid) -> Model | _Failed:
    """Convert the compiled grid's net to a lightsim2grid model (every element on)."""
    net = compiled.grid.net
    for table in UNSUPPORTED_TABLES:
        if table in net and len(net[table]):
            return _Failed(f"{table} elements are not modelled by the lightsim2grid backend")
    if len(net.switch) and (net.switch["et"] == "b").any():
        return _Failed("bus-bus switches are not modelled by the lightsim2grid backend")
    if any(len(members) != 1 for members in compiled.bus_pp):
        return _Failed("fused buses are not modelled by the lightsim2grid backend")
    try:
        grid = _converted(net)
    except ImportError as exc:
        return _Failed(f"lightsim2grid is not installed: {exc}")
    except Exception as exc:  # pandapower content lightsim2grid refuses
        if interrupted(exc):
            raise
        return _Failed(f"lightsim2grid could not convert the net: {exc}")
    n_gen = len(net.gen)
    kinds = compiled.unit_kind
    unit_gen = np.full(len(kinds), -1, dtype=np.int64)
    vm = np.full(len(kinds), np.nan)
    eg, gen, sgen = (np.flatnonzero(kinds == k) for k in ("ext_grid", "gen", "sgen"))
    unit_gen[gen] = np.arange(len(gen))
    unit_gen[eg] = n_gen + np.arange(len(eg))
    vm[gen] = net.gen["vm_pu"].to_numpy(dtype=float)
    vm[eg] = net.ext_grid["vm_pu"].to_numpy(dtype=float)
    load = net.load
    scaling = load["scaling"].to_numpy(dtype=float) if "scaling" in load else 1.0
    sgen_q = net.sgen["q_mvar"].to_numpy(dtype=float) if len(net.sgen) else np.zeros(0)
    for i, q in enumerate(sgen_q):  # as the pandapower path: set point without scaling
        grid.change_q_sgen(i, float(q))
    n_ls_bus = int(grid.total_bus())
    shunt = net.shunt
    sizes = (n_ls_bus, len(net.line), len(net.trafo), len(shunt), len(load), n_gen + len(eg))
    on = {k: np.ones(v, dtype=bool) for k, v in zip(_KINDS, (*sizes, len(sgen)), strict=True)}
    shunt_file_on = shunt["in_service"].to_numpy(dtype=bool) if len(shunt) else np.zeros(0, bool)
    on["shunt"] = shunt_file_on.copy()
    value = {k: np.full(len(on[k[:-2]]), np.nan) for k in ("load_p", "load_q", "gen_p", "sgen_p")}
    main = IslandInstance(grid, on, value)
    shunts = list(grid.get_shunts())
    bus_pos = {int(b): p for p, b in enumerate(net.bus.index)}
    maps = Maps(
        line=compiled.branch_kind == "line",
        bus_ls=np.asarray([bus_pos[m[0]] for m in compiled.bus_pp], dtype=np.int64),
        unit_gen=unit_gen,
        gen_units=gen,
        ext_units=eg,
        sgen_units=sgen,
        load_p_file=load["p_mw"].to_numpy(dtype=float) * scaling,
        load_q_file=load["q_mvar"].to_numpy(dtype=float) * scaling,
        sgen_q_file=sgen_q,
        shunt_bus=np.asarray([compiled.bus_lookup[int(b)] for b in shunt["bus"]], dtype=np.int64),
        shunt_file_on=shunt_file_on,
        shunt_p_file=np.array([s.target_p_mw if s.connected else 0.0 for s in shunts]),
        shunt_q_file=np.array([s.target_q_mvar if s.connected else 0.0 for s in shunts]),
    )
    retry = main.copy()
    retry.grid.allow_cache_reuse(False)  # every solve from scratch: no history
    return Model(
        main=main,
        side=main.copy(),
        retry=retry,
        pristine=grid.copy(),
        maps=maps,
        n_ls_bus=n_ls_bus,
        gen_vm_pu=vm,
    )


def _converted(net: Any) -> Any:
    """The lightsim2grid grid of a copy of ``net`` with every element in service and
    each external grid a generator at its voltage set point (appended after the
    net's generators, so that slacks are chosen per state)."""
    import pandapower as pp
    from lightsim2grid.network import init_from_pandapower

    work = copy.deepcopy(net)
    for table in ("line", "trafo", "gen", "sgen", "load", "bus"):
        df = getattr(work, table)
        if len(df):
            df["in_service"] = True
    for bus, vm in zip(work.ext_grid["bus"], work.ext_grid["vm_pu"], strict=True):
        pp.create_gen(work, int(bus), p_mw=0.0, vm_pu=float(vm), min_q_mvar=-1e9, max_q_mvar=1e9)
    work.ext_grid = work.ext_grid.iloc[0:0]
    work.gen["slack"] = False
    if "slack_weight" in work.gen:
        work.gen["slack_weight"] = 0.0
    pp.toolbox.create_continuous_bus_index(work, start=0, store_old_index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return init_from_pandapower(work, pp_orig_file="pandapower_v3")


#: Element kinds of an instance, in the order of ``sizes`` in :func:`_build`.
_KINDS = ("bus", "line", "trafo", "shunt", "load", "gen", "sgen")
