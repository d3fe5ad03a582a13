"""Compile a :class:`~gridmodel.network.grid.Grid` into arrays for fast evaluation.

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

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gridmodel.engine.injections import base_dispatch, fixed_consumption, load_columns, source_units
from gridmodel.engine.internal_case import base_out_of_service, internal_case, prepared_copy
from gridmodel.engine.lowrank import ReferenceFactor
from gridmodel.engine.options import EngineOptions
from gridmodel.engine.structure import Adjacency, Pattern, adjacency, pattern, unit_rank
from gridmodel.errors import NetworkError, unknown_name
from gridmodel.network.grid import Element, Grid

#: Branches with a smaller series reactance (per unit) are given this value, so a
#: zero-impedance branch couples its buses very tightly instead of dividing by zero.
MIN_REACTANCE_PU = 1e-6


@dataclass(frozen=True, eq=False)
class State:
    """In-service masks over the compiled index spaces (``True`` = in service).

    ``pmax`` optionally limits each unit's output in this state (MW, in unit
    order): a unit starting up, ramping, derated or short of energy. ``None``:
    the compiled limits. It changes the supply balance, not the topology.
    """

    bus: np.ndarray
    branch: np.ndarray
    unit: np.ndarray
    load: np.ndarray
    pmax: np.ndarray | None = None

    def key(self) -> bytes:
        """A compact hashable signature of the topology (buses, branches, units)."""
        return b"".join(np.packbits(m).tobytes() for m in (self.bus, self.branch, self.unit))


@dataclass(frozen=True, eq=False)
class CompiledGrid:
    """Arrays of a grid, built once by :func:`~gridmodel.engine.compile_grid`; never mutated."""

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
    # structures of the intact grid (engine.structure), built once
    adjacency: Adjacency
    pattern: Pattern
    unit_rank: np.ndarray
    #: factorisation of the base state's DC matrix (None if it needs pivoting)
    base_factor: ReferenceFactor | None = None
    warnings: tuple[str, ...] = ()
    positions: dict[str, dict[int, int]] = field(default_factory=dict, repr=False)

    @property
    def n_branch(self) -> int:
        return len(self.branch_kind)

    def unit_limits(self, state: State) -> np.ndarray:
        """Each unit's maximum output in ``state`` (MW)."""
        return self.unit_pmax_mw if state.pmax is None else state.pmax

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
        table = self.positions[kind]
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


def compile_arrays(grid: Grid, *, options: EngineOptions) -> CompiledGrid:
    """The arrays of ``grid`` with the file's ratings (no base factorisation yet).

    :func:`gridmodel.engine.compile_grid` adds the base factorisation and
    applies the ratings mode.

    Notes
    -----
    The branch model is pandapower's DC model: series susceptance
    :math:`b = 1 / (x \\cdot \\tau)` with tap ratio :math:`\\tau`, and phase
    shift injections :math:`P_{f,inj} = -b\\,\\varphi` (pandapower ``makeBdc``).
    """
    net = grid.net
    ppc, lookups = internal_case(prepared_copy(net))
    base_mva = float(ppc["baseMVA"])
    bus_lookup_arr = np.asarray(lookups["bus"])
    n_bus = int(ppc["bus"].shape[0])
    bus_lookup = {int(b): int(bus_lookup_arr[b]) for b in net.bus.index}
    branches = _branch_arrays(grid, ppc, lookups)
    units = source_units(net, *base_dispatch(net))
    loads = load_columns(grid)
    fixed = fixed_consumption(ppc, net, bus_lookup, loads, units, base_mva)
    unit_bus = np.asarray([bus_lookup[int(b)] for b in units["bus"]], dtype=np.int64)
    unit_p0 = np.asarray(units["p0"], dtype=float)
    # a unit dispatched above its stated maximum keeps its set point as maximum
    unit_pmax = np.maximum(np.asarray(units["pmax"], dtype=float), unit_p0)
    unit_kind = np.asarray(units["kind"], dtype=object)
    region_names = tuple(str(r) for r in grid.regions.index)
    region_code = {r: n for n, r in enumerate(region_names)}
    return CompiledGrid(
        grid=grid,
        options=options,
        base_mva=base_mva,
        n_bus=n_bus,
        bus_lookup=bus_lookup,
        bus_pp=bus_members(bus_lookup, n_bus),
        bus_fixed_mw=fixed,
        branch_kind=np.asarray(branches["kind"], dtype=object),
        branch_index=np.asarray(branches["index"], dtype=np.int64),
        branch_from=branches["from"],
        branch_to=branches["to"],
        branch_b_pu=branches["b"],
        branch_shift_rad=branches["shift"],
        branch_rating_mw=file_ratings(net, branches["kind"], branches["index"]),
        unit_kind=unit_kind,
        unit_index=np.asarray(units["index"], dtype=np.int64),
        unit_bus=unit_bus,
        unit_forming=np.asarray(units["forming"], dtype=bool),
        unit_p0_mw=unit_p0,
        unit_pmax_mw=unit_pmax,
        load_index=np.asarray(loads["index"], dtype=np.int64),
        load_bus=np.asarray([bus_lookup[int(b)] for b in loads["bus"]], dtype=np.int64),
        load_p_mw=np.asarray(loads["p_mw"], dtype=float),
        load_customers=np.asarray(loads["customers"], dtype=np.int64),
        load_priority=np.asarray(loads["priority"], dtype=np.int64),
        load_region=np.asarray([region_code[r] for r in loads["region"]], dtype=np.int64),
        region_names=region_names,
        base=_base_state(net, n_bus, bus_lookup, branches, units, loads),
        substation_buses=substation_buses(grid, bus_lookup),
        adjacency=adjacency(n_bus, branches["from"], branches["to"]),
        pattern=pattern(n_bus, branches["from"], branches["to"], branches["b"]),
        unit_rank=unit_rank(unit_kind, unit_pmax),
        positions=element_positions(bus_lookup, branches, units, loads),
    )


def substation_buses(grid: Grid, bus_lookup: dict[int, int]) -> dict[str, np.ndarray]:
    """The internal buses of every substation (sorted, unique), in one pass over the buses."""
    members: dict[str, list[int]] = {str(s): [] for s in grid.substations.index}
    buses = grid.bus_substation
    for bus, substation in zip(buses.index.tolist(), buses.tolist(), strict=True):
        found = members.get(str(substation))
        if found is not None:
            found.append(bus_lookup[int(bus)])
    return {s: np.unique(np.asarray(b, dtype=np.int64)) for s, b in members.items()}


def _branch_arrays(grid: Grid, ppc: dict[str, Any], lookups: dict[str, Any]) -> dict[str, Any]:
    """Lines then transformers, in pandapower table order, from the internal case."""
    from pandapower.pypower.idx_brch import BR_X, F_BUS, SHIFT, T_BUS, TAP  # only when compiling

    net = grid.net
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
    branch = ppc["branch"]
    rows_arr = np.asarray(rows, dtype=np.int64)
    br = branch[rows_arr].real if len(rows_arr) else np.zeros((0, branch.shape[1]))
    x = br[:, BR_X]
    if not np.isfinite(x).all():  # e.g. a transformer with vkr_percent > vk_percent
        bad = int(np.flatnonzero(~np.isfinite(x))[0])
        raise NetworkError(
            f"{kinds[bad]} {indices[bad]} has no valid series reactance",
            file=grid.source,
            field=f"{kinds[bad]}.x_ohm_per_km" if kinds[bad] == "line" else "trafo.vk_percent",
            allowed="a finite reactance (transformers: vk_percent >= vkr_percent >= 0)",
        )
    x = np.where(np.abs(x) < MIN_REACTANCE_PU, MIN_REACTANCE_PU, x)
    tap = np.where(br[:, TAP] == 0, 1.0, br[:, TAP])
    return {
        "kind": kinds,
        "index": indices,
        "from": br[:, F_BUS].astype(np.int64),
        "to": br[:, T_BUS].astype(np.int64),
        "b": 1.0 / (x * tap),
        "shift": np.deg2rad(br[:, SHIFT]),
    }


def _base_state(
    net: Any,
    n_bus: int,
    bus_lookup: dict[int, int],
    branches: dict[str, Any],
    units: dict[str, list[Any]],
    loads: dict[str, list[Any]],
) -> State:
    """Elements in service in the file (and not cut by an open branch switch)."""
    base_out = base_out_of_service(net)
    bus_mask = np.ones(n_bus, dtype=bool)
    for b in net.bus.index[~net.bus["in_service"].astype(bool)]:
        bus_mask[bus_lookup[int(b)]] = False
    pairs = zip(branches["kind"], branches["index"], strict=True)
    return State(
        bus=bus_mask,
        branch=np.array([(k, i) not in base_out for k, i in pairs], dtype=bool),
        unit=np.array(
            [
                (k, int(i)) not in base_out
                for k, i in zip(units["kind"], units["index"], strict=True)
            ],
            dtype=bool,
        ),
        load=np.array([("load", int(i)) not in base_out for i in loads["index"]], dtype=bool),
    )


def bus_members(bus_lookup: dict[int, int], n_bus: int) -> tuple[tuple[int, ...], ...]:
    """The pandapower buses of each internal bus, sorted."""
    members: list[list[int]] = [[] for _ in range(n_bus)]
    for b, pos in bus_lookup.items():
        members[pos].append(b)
    return tuple(tuple(sorted(m)) for m in members)


def element_positions(
    bus_lookup: dict[int, int],
    branches: dict[str, Any],
    units: dict[str, list[Any]],
    loads: dict[str, list[Any]],
) -> dict[str, dict[int, int]]:
    """Position of every element in its index space, by kind and pandapower index."""
    positions: dict[str, dict[int, int]] = {
        "bus": bus_lookup,
        "load": {int(i): p for p, i in enumerate(loads["index"])},
    }
    for kind in ("line", "trafo"):
        pairs = zip(branches["kind"], branches["index"], strict=True)
        positions[kind] = {int(i): p for p, (k, i) in enumerate(pairs) if k == kind}
    for kind in ("ext_grid", "gen", "sgen"):
        pairs = zip(units["kind"], units["index"], strict=True)
        positions[kind] = {int(i): p for p, (k, i) in enumerate(pairs) if k == kind}
    return positions


def file_ratings(net: Any, kinds: list[str], indices: list[int]) -> np.ndarray:
    """Thermal ratings in MVA (used as MW limits in DC) as given in the file.

    Lines: ``sqrt(3) * vn_kv * max_i_ka * df * parallel``; transformers:
    ``sn_mva * parallel`` (times ``max_loading_percent / 100`` if given). A
    missing or non-positive rating means unrated (infinite).
    """
    out = np.full(len(kinds), np.inf)
    line, trafo, bus = net.line, net.trafo, net.bus
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
