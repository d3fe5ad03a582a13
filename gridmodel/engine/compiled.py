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

import importlib.util
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import scipy.sparse as sp

from gridmodel.errors import NetworkError, OptionError, unknown_name
from gridmodel.network.grid import Element, Grid
from gridmodel.engine.injections import base_dispatch, fixed_consumption, load_columns, source_units
from gridmodel.engine.internal_case import base_out_of_service, internal_case, prepared_copy
from gridmodel.engine.ratings import (  # noqa: F401  (re-exported: importable from here as before)
    MIN_MARGIN_RATING_MW,
    RAISE_BASE_HEADROOM,
    apply_ratings,
    file_ratings,
    ratings_margin,
)

#: Branches with a smaller series reactance (per unit) are given this value, so a
#: zero-impedance branch couples its buses very tightly instead of dividing by zero.
MIN_REACTANCE_PU = 1e-6

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
        ``"auto"`` (lightsim2grid when it is installed, else pandapower),
        ``"pandapower"`` (``runpp`` per state) or ``"lightsim2grid"`` (a
        lightsim2grid model built once per grid; grids or states it cannot
        represent fall back to ``runpp``). ``"auto"`` is resolved when the
        options are made, so ``ac_backend`` names the backend in use.
    """

    mode: Literal["dc", "ac"] = "dc"
    overload: Literal["trip", "shed"] = "trip"
    ratings: str = "raise-base"
    overload_limit_percent: float = 100.0
    ac_backend: Literal["auto", "pandapower", "lightsim2grid"] = "auto"

    def __post_init__(self) -> None:
        if self.ac_backend == "auto":
            fast = importlib.util.find_spec("lightsim2grid") is not None
            object.__setattr__(self, "ac_backend", "lightsim2grid" if fast else "pandapower")
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
                allowed="auto, pandapower, lightsim2grid",
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
    work = prepared_copy(net)
    base_out = base_out_of_service(net)
    ppc, lookups = internal_case(work)
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
    rating_file = file_ratings(net, kinds, indices)

    units = source_units(net, *base_dispatch(net))
    loads = load_columns(grid)
    fixed = fixed_consumption(ppc, net, bus_lookup, loads, units, base_mva)

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
    return apply_ratings(compiled)


def branch_incidence(compiled: CompiledGrid) -> sp.csr_matrix:
    """Branch-bus incidence matrix (+1 at the from bus, -1 at the to bus)."""
    n = compiled.n_branch
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([compiled.branch_from, compiled.branch_to])
    data = np.concatenate([np.ones(n), -np.ones(n)])
    return sp.csr_matrix((data, (rows, cols)), shape=(n, compiled.n_bus))
