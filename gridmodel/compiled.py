"""Compile a :class:`~gridmodel.grid.Grid` into arrays for fast evaluation.

pandapower is the source of truth for the electrical data: the branch
susceptances, tap ratios and phase shifts come from pandapower's own internal
case (``net._ppc``, the same numbers ``rundcpp`` uses), and the base dispatch
of external grids from ``rundcpp`` on the intact network. After compilation no
pandapower call is needed per state.

Index spaces
------------
* **buses**: pandapower's internal (ppc) buses. pandapower buses joined by a
  closed bus-bus switch share one internal bus; ``bus_lookup`` maps a
  pandapower bus index to its internal bus.
* **branches**: every ``line`` then every ``trafo`` of the net, in table order
  (``branch_kind``, ``branch_index``).
* **units**: every ``ext_grid``, ``gen`` and ``sgen`` (``unit_kind``,
  ``unit_index``). ``ext_grid`` and ``gen`` are grid-forming; ``sgen`` is not.
* **loads**: every ``load`` (``load_index``).

A :class:`State` is four boolean masks over these spaces.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gridmodel.errors import NetworkError, OptionError, unknown_name
from gridmodel.grid import Element, Grid

#: Branches with a smaller series reactance (per unit) are given this value, so a
#: zero-impedance branch couples its buses very tightly instead of dividing by zero.
MIN_REACTANCE_PU = 1e-6

#: Headroom given to a branch whose rating ``raise-base`` raises: its new rating
#: is its base flow times (1 + this). A rating raised to exactly the base flow
#: would sit at the trip limit in the intact grid and trip on any shift of flow
#: (hundreds of such branches on case2869pegase turned every single outage into
#: a grid-wide cascade): an artifact of ratings the file got wrong, not physics.
RAISE_BASE_HEADROOM = 0.2

#: Ratings below this (MW) after ``margin:X`` are raised to it, so a branch that
#: carries no flow in the base case is not tripped by the smallest flow.
MIN_MARGIN_RATING_MW = 1.0

#: Weight of unserved energy per priority class in the shedding linear program
#: (class 1 critical ... class 4 households). Each class is worth ten of the next,
#: so critical load is shed only when nothing else helps.
PRIORITY_WEIGHT = {1: 1000.0, 2: 100.0, 3: 10.0, 4: 1.0}


@dataclass(frozen=True)
class EngineOptions:
    """Modelling options of the strike-impact engine.

    Parameters
    ----------
    mode
        ``"dc"`` (fast, default) or ``"ac"`` (pandapower Newton-Raphson per
        energised island, after the DC answer).
    overload
        ``"trip"``: a branch above the hard limit trips and flows are re-solved
        until nothing trips (a cascade). ``"shed"``: the operator sheds the
        minimum priority-weighted load that removes every overload (a linear
        program solved with HiGHS).
    ratings
        ``"file"`` (as given), ``"raise-base"`` (a branch over its rating in the
        intact base case gets its rating raised to the base flow, plus
        :data:`RAISE_BASE_HEADROOM`) or
        ``"margin:X"`` (every rating is ``(1 + X)`` times the base flow).
    overload_limit_percent
        The hard limit: loading above this percentage of the rating trips the
        branch (``trip``) or is not allowed (``shed``).
    ac_backend
        ``"pandapower"`` or ``"lightsim2grid"`` (the C++ solver, if installed).
    """

    mode: Literal["dc", "ac"] = "dc"
    overload: Literal["trip", "shed"] = "trip"
    ratings: str = "raise-base"
    overload_limit_percent: float = 100.0
    ac_backend: Literal["pandapower", "lightsim2grid"] = "pandapower"

    def __post_init__(self) -> None:
        if self.mode not in ("dc", "ac"):
            raise OptionError(f"unknown mode {self.mode!r}", field="mode", allowed="dc, ac")
        if self.overload not in ("trip", "shed"):
            raise OptionError(
                f"unknown overload handling {self.overload!r}",
                field="overload",
                allowed="trip, shed",
            )
        ratings_margin(self.ratings)
        limit = self.overload_limit_percent
        if not (isinstance(limit, int | float) and math.isfinite(limit) and limit > 0):
            raise OptionError(
                f"overload limit must be a positive number, got {limit!r}",
                field="overload_limit_percent",
                allowed="a number > 0 (percent of the rating)",
            )
        if self.ac_backend not in ("pandapower", "lightsim2grid"):
            raise OptionError(
                f"unknown AC backend {self.ac_backend!r}",
                field="ac_backend",
                allowed="pandapower, lightsim2grid",
            )


def ratings_margin(ratings: str) -> float | None:
    """Parse a ratings mode; return the margin X of ``margin:X`` or ``None``."""
    if ratings in ("file", "raise-base"):
        return None
    if ratings.startswith("margin:"):
        try:
            margin = float(ratings.split(":", 1)[1])
        except ValueError:
            margin = float("nan")
        if math.isfinite(margin) and margin > 0:
            return margin
    raise OptionError(
        f"unknown ratings mode {ratings!r}",
        field="ratings",
        allowed="file, raise-base, margin:X with X > 0 (e.g. margin:0.3)",
    )


@dataclass(frozen=True, eq=False)
class State:
    """In-service masks over the compiled index spaces (``True`` = in service)."""

    bus: np.ndarray
    branch: np.ndarray
    unit: np.ndarray
    load: np.ndarray

    def key(self) -> bytes:
        """A compact hashable signature of the topology (buses, branches, units)."""
        return b"".join(np.packbits(m).tobytes() for m in (self.bus, self.branch, self.unit))


@dataclass(frozen=True, eq=False)
class CompiledGrid:
    """Arrays of a grid, built once by :func:`compile_grid`; never mutated."""

    grid: Grid
    options: EngineOptions
    base_mva: float
    # buses (internal)
    n_bus: int
    bus_lookup: dict[int, int]
    bus_pp: tuple[tuple[int, ...], ...]
    bus_fixed_mw: np.ndarray
    # branches
    branch_kind: np.ndarray
    branch_index: np.ndarray
    branch_from: np.ndarray
    branch_to: np.ndarray
    branch_b_pu: np.ndarray
    branch_shift_rad: np.ndarray
    branch_rating_mw: np.ndarray
    # units
    unit_kind: np.ndarray
    unit_index: np.ndarray
    unit_bus: np.ndarray
    unit_forming: np.ndarray
    unit_p0_mw: np.ndarray
    unit_pmax_mw: np.ndarray
    # loads
    load_index: np.ndarray
    load_bus: np.ndarray
    load_p_mw: np.ndarray
    load_customers: np.ndarray
    load_priority: np.ndarray
    load_region: np.ndarray
    region_names: tuple[str, ...]
    # base state and substations
    base: State
    substation_buses: dict[str, np.ndarray]
    warnings: tuple[str, ...] = ()
    _positions: dict[str, dict[int, int]] = field(default_factory=dict, repr=False)

    @property
    def n_branch(self) -> int:
        return len(self.branch_kind)

    def state(self, out: Iterable[Element] = ()) -> State:
        """The base state with ``out`` taken out of service.

        A substation or bus takes out every element attached to it (branches,
        units and loads on a dead bus are out; its loads stay in the demand and
        are unserved).
        """
        bus = self.base.bus.copy()
        branch = self.base.branch.copy()
        unit = self.base.unit.copy()
        load = self.base.load.copy()
        for element in out:
            kind = element.kind
            if kind == "substation":
                buses = self.substation_buses.get(str(element.id))
                if buses is None:
                    raise unknown_name(
                        "substation",
                        str(element.id),
                        self.substation_buses,
                        error=NetworkError,
                        file=self.grid.source,
                        list_all=False,
                    )
                bus[buses] = False
            elif kind == "bus":
                bus[self._position("bus", element)] = False
            elif kind in ("line", "trafo"):
                branch[self._position(kind, element)] = False
            elif kind in ("gen", "sgen", "ext_grid"):
                unit[self._position(kind, element)] = False
            elif kind == "load":
                load[self._position(kind, element)] = False
            else:
                raise NetworkError(
                    f"cannot take out element kind {kind!r}",
                    field="element",
                    allowed="substation, bus, line, trafo, gen, sgen, ext_grid, load",
                )
        return State(bus=bus, branch=branch, unit=unit, load=load)

    def _position(self, kind: str, element: Element) -> int:
        table = self._positions[kind]
        try:
            return table[int(element.id)]
        except (KeyError, ValueError, TypeError):
            ids = sorted(table)
            span = f"{ids[0]}..{ids[-1]}" if ids else "none"
            raise NetworkError(
                f"no {kind} with index {element.id!r} in network {self.grid.name!r}",
                file=self.grid.source,
                field=kind,
                allowed=f"{len(ids)} {kind} indices in {span}",
            ) from None


def compile_grid(grid: Grid, *, options: EngineOptions | None = None) -> CompiledGrid:
    """Compile ``grid`` into arrays for :func:`gridmodel.engine.evaluate`.

    Parameters
    ----------
    grid
        The network with metadata. Not modified.
    options
        Engine options; the ratings mode is applied here, from the intact
        base-case flows.

    Returns
    -------
    CompiledGrid

    Notes
    -----
    The branch model is pandapower's DC model: series susceptance
    :math:`b = 1 / (x \\cdot \\tau)` with tap ratio :math:`\\tau`, and phase
    shift injections :math:`P_{f,inj} = -b\\,\\varphi` (pandapower ``makeBdc``).
    """
    options = options or EngineOptions()
    net = grid.net
    work = _prepared_copy(net)
    base_out = _base_out_of_service(net)
    ppc, lookups = _internal_case(work)
    base_mva = float(ppc["baseMVA"])
    bus_lookup_arr = np.asarray(lookups["bus"])
    n_bus = int(ppc["bus"].shape[0])
    bus_lookup = {int(b): int(bus_lookup_arr[b]) for b in net.bus.index}
    members: list[list[int]] = [[] for _ in range(n_bus)]
    for b, pos in bus_lookup.items():
        members[pos].append(b)

    # branches: lines then trafos, in pandapower table order
    branch = ppc["branch"]
    kinds: list[str] = []
    indices: list[int] = []
    rows: list[int] = []
    for kind in ("line", "trafo"):
        table = getattr(net, kind)
        if len(table) == 0:
            continue
        start, _ = lookups["branch"][kind]
        kinds += [kind] * len(table)
        indices += [int(i) for i in table.index]
        rows += list(range(start, start + len(table)))
    rows_arr = np.asarray(rows, dtype=np.int64)
    br = branch[rows_arr].real if len(rows_arr) else np.zeros((0, branch.shape[1]))
    x = br[:, 3]
    if not np.isfinite(x).all():  # e.g. a transformer with vkr_percent > vk_percent
        bad = int(np.flatnonzero(~np.isfinite(x))[0])
        raise NetworkError(
            f"{kinds[bad]} {indices[bad]} has no valid series reactance",
            file=grid.source,
            field=f"{kinds[bad]}.x_ohm_per_km" if kinds[bad] == "line" else "trafo.vk_percent",
            allowed="a finite reactance (transformers: vk_percent >= vkr_percent >= 0)",
        )
    x = np.where(np.abs(x) < MIN_REACTANCE_PU, MIN_REACTANCE_PU, x)
    tap = np.where(br[:, 8] == 0, 1.0, br[:, 8])
    branch_b = 1.0 / (x * tap)
    shift = np.deg2rad(br[:, 9])
    bfrom = br[:, 0].astype(np.int64)
    bto = br[:, 1].astype(np.int64)
    rating_file = _file_ratings(net, kinds, indices)

    units = _units(net, *_base_dispatch(net))
    loads = _loads(grid)
    fixed = _fixed_consumption(ppc, net, bus_lookup, loads, units, base_mva)

    bus_mask = np.ones(n_bus, dtype=bool)
    for b in net.bus.index[~net.bus["in_service"].astype(bool)]:
        bus_mask[bus_lookup[int(b)]] = False
    base = State(
        bus=bus_mask,
        branch=np.array(
            [(k, i) not in base_out for k, i in zip(kinds, indices, strict=True)], dtype=bool
        ),
        unit=np.array(
            [
                (k, int(i)) not in base_out
                for k, i in zip(units["kind"], units["index"], strict=True)
            ],
            dtype=bool,
        ),
        load=np.array([("load", int(i)) not in base_out for i in loads["index"]], dtype=bool),
    )
    substation_buses = {
        str(s): np.unique(
            [bus_lookup[int(b)] for b in grid.bus_substation.index[grid.bus_substation == s]]
        )
        for s in grid.substations.index
    }
    positions = {
        "bus": bus_lookup,
        "line": {i: p for p, (k, i) in enumerate(zip(kinds, indices, strict=True)) if k == "line"},
        "trafo": {
            i: p for p, (k, i) in enumerate(zip(kinds, indices, strict=True)) if k == "trafo"
        },
        "load": {int(i): p for p, i in enumerate(loads["index"])},
    }
    for kind in ("ext_grid", "gen", "sgen"):
        positions[kind] = {
            int(i): p
            for p, (k, i) in enumerate(zip(units["kind"], units["index"], strict=True))
            if k == kind
        }
    region_names = tuple(str(r) for r in grid.regions.index)
    region_code = {r: n for n, r in enumerate(region_names)}
    compiled = CompiledGrid(
        grid=grid,
        options=options,
        base_mva=base_mva,
        n_bus=n_bus,
        bus_lookup=bus_lookup,
        bus_pp=tuple(tuple(sorted(m)) for m in members),
        bus_fixed_mw=fixed,
        branch_kind=np.asarray(kinds, dtype=object),
        branch_index=np.asarray(indices, dtype=np.int64),
        branch_from=bfrom,
        branch_to=bto,
        branch_b_pu=branch_b,
        branch_shift_rad=shift,
        branch_rating_mw=rating_file,
        unit_kind=np.asarray(units["kind"], dtype=object),
        unit_index=np.asarray(units["index"], dtype=np.int64),
        unit_bus=np.asarray([bus_lookup[int(b)] for b in units["bus"]], dtype=np.int64),
        unit_forming=np.asarray(units["forming"], dtype=bool),
        unit_p0_mw=np.asarray(units["p0"], dtype=float),
        # a unit dispatched above its stated maximum keeps its set point as maximum
        unit_pmax_mw=np.maximum(
            np.asarray(units["pmax"], dtype=float), np.asarray(units["p0"], dtype=float)
        ),
        load_index=np.asarray(loads["index"], dtype=np.int64),
        load_bus=np.asarray([bus_lookup[int(b)] for b in loads["bus"]], dtype=np.int64),
        load_p_mw=np.asarray(loads["p_mw"], dtype=float),
        load_customers=np.asarray(loads["customers"], dtype=np.int64),
        load_priority=np.asarray(loads["priority"], dtype=np.int64),
        load_region=np.asarray([region_code[r] for r in loads["region"]], dtype=np.int64),
        region_names=region_names,
        base=base,
        substation_buses=substation_buses,
        _positions=positions,
    )
    return _apply_ratings(compiled)


def _prepared_copy(net: Any) -> Any:
    """A copy of ``net`` with every element in service and no open branch switch.

    The compiled grid keeps parameters for every element; which ones are out of
    service is the base state's business.
    """
    work = copy.deepcopy(net)
    for table in ("line", "trafo", "gen", "sgen", "ext_grid", "load", "bus"):
        df = getattr(work, table)
        if len(df):
            df["in_service"] = True
    if len(work.line):
        # pandapower's DC solve divides by the reactance; a zero-impedance line
        # gets a tiny one here and MIN_REACTANCE_PU in the compiled arrays
        zero_x = work.line["x_ohm_per_km"].astype(float) == 0.0
        work.line.loc[zero_x, "x_ohm_per_km"] = 1e-12
    if len(work.trafo):  # the same for a transformer without reactance (vk = vkr)
        vk, vkr = work.trafo["vk_percent"].astype(float), work.trafo["vkr_percent"].astype(float)
        work.trafo.loc[vk == vkr, "vk_percent"] = vkr[vk == vkr] + 1e-9
    sw = work.switch
    if len(sw):
        branch_switch = sw["et"].isin(["l", "t"]) & ~sw["closed"].astype(bool)
        sw.loc[branch_switch, "closed"] = True
    return work


def _base_out_of_service(net: object) -> set[tuple[str, int]]:
    """Elements out of service in the file, or cut by an open line/trafo switch."""
    out: set[tuple[str, int]] = set()
    for table in ("line", "trafo", "gen", "sgen", "ext_grid", "load"):
        df = getattr(net, table)
        out |= {(table, int(i)) for i in df.index[~df["in_service"].astype(bool)]}
    sw = net.switch  # type: ignore[attr-defined]
    if len(sw):
        for et, kind in (("l", "line"), ("t", "trafo")):
            opened = sw[(sw["et"] == et) & ~sw["closed"].astype(bool)]
            out |= {(kind, int(e)) for e in opened["element"]}
    return out


def _internal_case(work: object) -> tuple[dict, dict]:
    """pandapower's internal case (ppc) and lookups for the prepared copy."""
    import pandapower as pp

    if len(work.trafo3w):  # type: ignore[attr-defined]
        raise NetworkError(
            "three-winding transformers are not supported yet",
            field="trafo3w",
            allowed="networks with lines and two-winding transformers",
        )
    _give_every_island_a_reference(work)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pp.rundcpp(work)
    except Exception as exc:  # pandapower raises many kinds
        raise NetworkError(f"pandapower could not build the DC model: {exc}") from exc
    return work._ppc, work._pd2ppc_lookups  # type: ignore[attr-defined]


def _give_every_island_a_reference(work: Any) -> None:
    """Make every gen a slack and put an ext_grid on each island without a source.

    pandapower leaves islands without a slack out of its internal case (their
    loads vanish from the bus demand) and refuses a net with no slack at all.
    The internal case's branch and bus data do not depend on where the
    references are, and ``work`` is a private copy.
    """
    import pandapower as pp
    import pandapower.topology as top

    if len(work.gen):
        work.gen["slack"] = True
    sources = set(work.ext_grid["bus"].astype(int)) | set(work.gen["bus"].astype(int))
    graph = top.create_nxgraph(work, respect_switches=True)
    for component in top.connected_components(graph):
        buses = {int(b) for b in component}
        if not buses & sources:
            pp.create_ext_grid(work, min(buses))


def _file_ratings(net: object, kinds: list[str], indices: list[int]) -> np.ndarray:
    """Thermal ratings in MVA (used as MW limits in DC) as given in the file.

    Lines: ``sqrt(3) * vn_kv * max_i_ka * df * parallel``; transformers:
    ``sn_mva * parallel`` (times ``max_loading_percent / 100`` if given). A
    missing or non-positive rating means unrated (infinite).
    """
    out = np.full(len(kinds), np.inf)
    line, trafo, bus = net.line, net.trafo, net.bus  # type: ignore[attr-defined]
    pos = {(k, i): p for p, (k, i) in enumerate(zip(kinds, indices, strict=True))}
    if len(line):
        vn = bus.loc[line["from_bus"], "vn_kv"].to_numpy()
        df = line["df"].fillna(1.0).to_numpy() if "df" in line else 1.0
        rating = np.sqrt(3) * vn * line["max_i_ka"].to_numpy() * df * line["parallel"].to_numpy()
        for i, r in zip(line.index, rating, strict=True):
            if np.isfinite(r) and r > 0:
                out[pos[("line", int(i))]] = r
    if len(trafo):
        rating = trafo["sn_mva"].to_numpy() * trafo["parallel"].to_numpy()
        if "max_loading_percent" in trafo:
            mlp = trafo["max_loading_percent"].to_numpy(dtype=float)
            rating = np.where(np.isfinite(mlp) & (mlp > 0), rating * mlp / 100.0, rating)
        for i, r in zip(trafo.index, rating, strict=True):
            if np.isfinite(r) and r > 0:
                out[pos[("trafo", int(i))]] = r
    return out


def _base_dispatch(net: object) -> tuple[pd.Series, pd.Series]:
    """External-grid and generator output in the DC flow of the net as given (MW).

    Equal to the set points except for slack units, which balance the case.
    """
    import pandapower as pp

    base = copy.deepcopy(net)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pp.rundcpp(base)
        return (
            base.res_ext_grid["p_mw"].astype(float),  # type: ignore[attr-defined]
            base.res_gen["p_mw"].astype(float),  # type: ignore[attr-defined]
        )
    except Exception:  # an unsolvable base case: start from the set points
        return (
            pd.Series(0.0, index=net.ext_grid.index),  # type: ignore[attr-defined]
            pd.Series(np.nan, index=net.gen.index),  # type: ignore[attr-defined]
        )


def _units(net: object, ext_grid_p: pd.Series, gen_p: pd.Series) -> dict[str, list]:
    """Sources: ext_grid (base output from the intact DC flow), gen, sgen.

    Maximum output: ``max_p_mw`` where given and finite; otherwise a gen's
    ``sn_mva`` (or its set point), an ext_grid is unlimited, an sgen delivers
    its set point.
    """
    kinds: list[str] = []
    index: list[int] = []
    bus: list[int] = []
    forming: list[bool] = []
    p0: list[float] = []
    pmax: list[float] = []

    def col(df: pd.DataFrame, name: str) -> np.ndarray:
        return df[name].to_numpy(dtype=float) if name in df else np.full(len(df), np.nan)

    eg = net.ext_grid  # type: ignore[attr-defined]
    for i, b, mx, p in zip(
        eg.index, eg["bus"], col(eg, "max_p_mw"), ext_grid_p.reindex(eg.index), strict=True
    ):
        kinds.append("ext_grid")
        index.append(int(i))
        bus.append(int(b))
        forming.append(True)
        p0.append(float(p) if np.isfinite(p) else 0.0)
        pmax.append(float(mx) if np.isfinite(mx) and mx > 0 else np.inf)
    gen = net.gen  # type: ignore[attr-defined]
    scaling = col(gen, "scaling")
    solved = gen_p.reindex(gen.index).to_numpy(dtype=float)
    for i, b, p, sc, mx, sn, p_dc in zip(
        gen.index,
        gen["bus"],
        col(gen, "p_mw"),
        scaling,
        col(gen, "max_p_mw"),
        col(gen, "sn_mva"),
        solved,
        strict=True,
    ):
        setpoint = float(p) * (float(sc) if np.isfinite(sc) else 1.0)
        if np.isfinite(p_dc):
            setpoint = float(p_dc)
        cap = mx if np.isfinite(mx) else (sn if np.isfinite(sn) and sn > 0 else max(setpoint, 0.0))
        kinds.append("gen")
        index.append(int(i))
        bus.append(int(b))
        forming.append(True)
        p0.append(setpoint)
        pmax.append(float(max(cap, 0.0)))
    sgen = net.sgen  # type: ignore[attr-defined]
    sscaling = col(sgen, "scaling")
    for i, b, p, sc in zip(sgen.index, sgen["bus"], col(sgen, "p_mw"), sscaling, strict=True):
        setpoint = float(p) * (float(sc) if np.isfinite(sc) else 1.0)
        kinds.append("sgen")
        index.append(int(i))
        bus.append(int(b))
        forming.append(False)
        p0.append(setpoint)
        pmax.append(max(setpoint, 0.0))
    return {"kind": kinds, "index": index, "bus": bus, "forming": forming, "p0": p0, "pmax": pmax}


def _loads(grid: Grid) -> dict[str, list]:
    load = grid.net.load
    scaling = load["scaling"].to_numpy(dtype=float) if "scaling" in load else np.ones(len(load))
    p = load["p_mw"].to_numpy(dtype=float) * np.where(np.isfinite(scaling), scaling, 1.0)
    meta = grid.loads.reindex(load.index)
    region = grid.load_region().reindex(load.index)
    return {
        "index": [int(i) for i in load.index],
        "bus": [int(b) for b in load["bus"]],
        "p_mw": list(p),
        "customers": [int(c) for c in meta["customers"]],
        "priority": [int(c) for c in meta["priority"]],
        "region": [str(r) for r in region],
    }


def _fixed_consumption(
    ppc: dict, net: object, bus_lookup: dict[int, int], loads: dict, units: dict, base_mva: float
) -> np.ndarray:
    """Active power drawn at each internal bus by everything but loads and sgens.

    Shunt conductance, wards, storage and motors are not curtailable and not
    counted as customers' load; they are drawn whenever their bus is energised.
    """
    bus = ppc["bus"].real
    total = bus[:, 2] + bus[:, 4]  # PD + GS, MW at 1 pu voltage
    own = np.zeros(len(total))
    np.add.at(own, [bus_lookup[b] for b in loads["bus"]], np.asarray(loads["p_mw"], dtype=float))
    for kind, b, p in zip(units["kind"], units["bus"], units["p0"], strict=True):
        if kind == "sgen":
            own[bus_lookup[b]] -= p
    fixed = total - own
    fixed[np.abs(fixed) < 1e-9] = 0.0
    return fixed


def branch_incidence(compiled: CompiledGrid) -> sp.csr_matrix:
    """Branch-bus incidence matrix (+1 at the from bus, -1 at the to bus)."""
    n = compiled.n_branch
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([compiled.branch_from, compiled.branch_to])
    data = np.concatenate([np.ones(n), -np.ones(n)])
    return sp.csr_matrix((data, (rows, cols)), shape=(n, compiled.n_bus))


def _apply_ratings(compiled: CompiledGrid) -> CompiledGrid:
    """Apply the ratings mode using the intact base-case DC flows."""
    from gridmodel.engine import solve_state  # late import: engine depends on this module

    mode = compiled.options.ratings
    if mode == "file":
        return compiled
    base = solve_state(compiled, compiled.base, trip=False)
    flow = np.abs(base.branch_flow_mw)
    if compiled.options.mode == "ac":
        # AC loading is apparent power: a rating raised to the DC base flow
        # alone would trip branches of the intact grid on their reactive flow
        from gridmodel.acflow import ac_branch_mva

        mva = ac_branch_mva(compiled, compiled.base, base)
        if mva is not None:
            flow = np.maximum(flow, mva)
    limit = compiled.options.overload_limit_percent / 100.0
    rating = compiled.branch_rating_mw.copy()
    notes: list[str] = []
    margin = ratings_margin(mode)
    if margin is None:
        over = compiled.base.branch & (flow > rating * limit)
        if over.any():
            rating[over] = flow[over] * (1.0 + RAISE_BASE_HEADROOM) / limit
            names = [
                f"{k}:{i}"
                for k, i in zip(
                    compiled.branch_kind[over], compiled.branch_index[over], strict=True
                )
            ]
            shown = ", ".join(names[:10]) + (
                f" and {len(names) - 10} more" if len(names) > 10 else ""
            )
            notes.append(
                f"{len(names)} branches above their rating in the intact base case; "
                f"ratings raised to the base flow + {RAISE_BASE_HEADROOM:.0%}: {shown}"
            )
    else:
        rating = np.maximum((1.0 + margin) * flow, MIN_MARGIN_RATING_MW)
    return _replace(compiled, branch_rating_mw=rating, warnings=compiled.warnings + tuple(notes))


def _replace(compiled: CompiledGrid, **changes: object) -> CompiledGrid:
    import dataclasses

    return dataclasses.replace(compiled, **changes)  # type: ignore[arg-type]
