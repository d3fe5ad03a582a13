"""Re-feeding the lost load of damaged substations through their neighbours.

The networks gridmodel models stop at the transmission substations: there is
no distribution layer behind them. What operators do after a hit (switch the
distribution network so that neighbouring substations take over part of the
lost load, DOMAIN.md "How supply actually came back") is modelled as a tie
from each damaged substation to its neighbours that is

* **sourced**: only ``transferable_share`` of the lost load can move at all
  (``[repair.switching]``), critical load (priority 1) first and at
  ``critical_h``, the rest at ``switching_h`` after the hit;
* **capacity-limited**: a neighbour (a substation joined to it by a branch of
  the intact grid, in service and not itself out) takes re-fed load only up
  to ``(1 + headroom)`` times its own evening-peak load, times the share of
  its own supply capacity still in service, minus its own load at the hour.

The re-fed load is added to the neighbour's load of the same priority class
(or to all its loads in proportion, if it has none of that class), so the
engine carries it over the transmission network and checks every limit
there: re-feeding can only be as good as the network allows. Allocation is
deterministic: class by class (critical first), damaged substations in name
order, each spreading its load over its neighbours in proportion to their
room.

Afterwards :func:`attribute` gives each load back what it got: its own
part's share of what the engine served at its bus, and the moved parts'
shares of what was served at the neighbours' buses. The lost part that was
not moved is ``dark`` where the substation is out (no path) and
``network_limited`` where it is in service (its transformers cannot carry
it) or where a neighbour's room was the limit (DESIGN.md categories).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gridmodel.engine import CompiledGrid
from gridmodel.engine.figures import PRIORITY_CLASSES, LoadShares
from gridmodel.network.grid import Element
from gridmodel.restoration.condition import ALL, CRITICAL, Condition
from gridmodel.restoration.options import SwitchingOptions

#: Room below this (MW) counts as none.
ROOM_TOL_MW = 1e-9


@dataclass(frozen=True, eq=False)
class Feeding:
    """Loads per substation and neighbouring substations (built once per grid).

    Substations are numbered in name order (``index``); ``load_sub`` gives
    each load's substation number (-1: none), ``class_loads`` each
    substation's loads by priority class, ``neighbours`` the numbers of its
    neighbours, ``takers`` the loads of a substation that take re-fed load of
    a priority class (its loads of that class with load at the peak, else all
    its loads with load at the peak), ``peak_mw`` each substation's
    evening-peak load.
    """

    index: dict[str, int]
    load_sub: np.ndarray
    class_loads: tuple[dict[int, tuple[int, ...]], ...]
    neighbours: tuple[tuple[int, ...], ...]
    takers: dict[tuple[int, int], tuple[int, ...]]
    peak_mw: np.ndarray


def feeding(compiled: CompiledGrid, peak_mw: np.ndarray) -> Feeding:
    """The feeding structure of ``compiled`` with evening-peak demand ``peak_mw`` per load."""
    names = sorted(compiled.substation_buses)
    sub_of_bus = np.full(compiled.n_bus, -1, dtype=np.int64)
    for k, name in enumerate(names):
        sub_of_bus[compiled.substation_buses[name]] = k
    load_sub = sub_of_bus[compiled.load_bus]
    loads_of = [np.flatnonzero(load_sub == k) for k in range(len(names))]
    base = compiled.base.branch
    a, b = sub_of_bus[compiled.branch_from[base]], sub_of_bus[compiled.branch_to[base]]
    near: list[set[int]] = [set() for _ in names]
    for x, y in zip(a, b, strict=True):
        if x >= 0 and y >= 0 and x != y:
            near[int(x)].add(int(y))
            near[int(y)].add(int(x))
    positive = np.clip(peak_mw, 0.0, None)
    priority = compiled.load_priority
    takers = {}
    for k, idx in enumerate(loads_of):
        lit = idx[positive[idx] > 0]
        for cls in PRIORITY_CLASSES:
            same = lit[priority[lit] == cls]
            takers[(k, cls)] = tuple(int(i) for i in (same if len(same) else lit))
    return Feeding(
        index={name: k for k, name in enumerate(names)},
        load_sub=load_sub,
        class_loads=tuple(
            {c: tuple(int(i) for i in idx[priority[idx] == c]) for c in PRIORITY_CLASSES}
            for idx in loads_of
        ),
        neighbours=tuple(tuple(sorted(n)) for n in near),
        takers=takers,
        peak_mw=np.array([positive[idx].sum() for idx in loads_of], dtype=float),
    )


@dataclass(frozen=True, eq=False)
class Refeed:
    """How the demand of a condition is fed: the engine's demand and the moves.

    ``own`` is each load's part fed at its own bus, ``moves`` the rows
    ``(donor load, recipient load, MW)``; of each load's lost part, ``kept``
    could not move (not transferable, or not switched yet) and ``limited``
    could but found no room; ``out`` marks loads whose substation is out.
    """

    demand: np.ndarray
    own: np.ndarray
    moves: np.ndarray
    kept: np.ndarray
    limited: np.ndarray
    out: np.ndarray

    @property
    def engine_demand(self) -> np.ndarray:
        """Demand per load as the engine sees it: own part plus what it receives."""
        received = np.zeros(len(self.own))
        if len(self.moves):
            np.add.at(received, self.moves[:, 1].astype(np.int64), self.moves[:, 2])
        return self.own + received


def refeed(
    compiled: CompiledGrid,
    feed: Feeding,
    condition: Condition,
    demand: np.ndarray,
    options: SwitchingOptions,
) -> Refeed:
    """Split ``demand`` of ``condition`` into own parts and moves (see the module notes)."""
    positive = np.clip(demand, 0.0, None)
    n_sub = len(feed.class_loads)
    lost_sub = np.zeros(n_sub)
    out_sub = np.zeros(n_sub, dtype=bool)
    for sub, x in condition.lost:
        k = feed.index.get(sub)
        if k is not None:
            lost_sub[k] = x
            out_sub[k] = Element("substation", sub) in condition.out
    here = feed.load_sub >= 0
    lost = np.where(here, lost_sub[feed.load_sub], 0.0) * positive
    own = demand - lost
    # room: (1 + headroom) x peak x share in service - own load now; none if out
    own_load = np.bincount(
        feed.load_sub[here], weights=np.clip(own[here], 0.0, None), minlength=n_sub
    )
    capacity = (1.0 + options.headroom) * feed.peak_mw * (1.0 - lost_sub)
    room = np.where(out_sub | (lost_sub >= 1.0), 0.0, np.maximum(capacity - own_load, 0.0))
    kept, limited, moves = _switch(feed, condition, lost, positive, room, options)
    out = out_sub[feed.load_sub] & here
    return Refeed(demand=demand, own=own, moves=moves, kept=kept, limited=limited, out=out)


def _switch(
    feed: Feeding,
    condition: Condition,
    lost: np.ndarray,
    positive: np.ndarray,
    room_mw: np.ndarray,
    options: SwitchingOptions,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Move lost load class by class, damaged substations in name order: (kept,
    limited, moves). Plain floats: a few loads per substation and class."""
    tau = options.transferable_share
    room = room_mw.tolist()
    lost_mw, weight = lost.tolist(), positive.tolist()
    kept, limited = list(lost_mw), [0.0] * len(lost_mw)
    rows: list[tuple[int, int, float]] = []
    stages = [(feed.index[s], stage) for s, stage in sorted(condition.switched) if s in feed.index]
    for cls in PRIORITY_CLASSES:
        for k, stage in stages:
            if stage != ALL and not (stage == CRITICAL and cls == PRIORITY_CLASSES[0]):
                continue
            donors = [d for d in feed.class_loads[k][cls] if lost_mw[d] > 0]
            want = [tau * lost_mw[d] for d in donors]
            for d, w in zip(donors, want, strict=True):
                kept[d] = lost_mw[d] - w
            total = sum(want)
            if total <= ROOM_TOL_MW:
                continue
            near = [m for m in feed.neighbours[k] if room[m] > ROOM_TOL_MW]
            space = sum(room[m] for m in near)
            amount = min(total, space)
            for d, w in zip(donors, want, strict=True):
                limited[d] += w * (1.0 - amount / total)
            for m in near if amount > 0 else ():
                portion = amount * room[m] / space
                room[m] -= portion
                rows += _spread(feed.takers[(m, cls)], weight, donors, want, portion / total)
    moves = np.asarray(rows, dtype=float).reshape(-1, 3)
    return np.asarray(kept), np.asarray(limited), moves


def _spread(
    takers: tuple[int, ...], weight: list[float], donors: list[int], want: list[float], f: float
) -> list[tuple[int, int, float]]:
    """Rows (donor, taker, MW): a share ``f`` of each donor's ``want`` spread over the
    takers in proportion to their load (equally if they have none now)."""
    mass = sum(weight[r] for r in takers)
    rows = []
    for r in takers:
        share = weight[r] / mass if mass > 0 else 1.0 / len(takers)
        rows += [(d, r, w * f * share) for d, w in zip(donors, want, strict=True)]
    return rows


def attribute(plan: Refeed, engine: LoadShares) -> LoadShares:
    """Each load's share of what the engine served, dark and short (see the module notes)."""
    fed = engine.demand
    mine = fed > 0  # else nothing moved in: its own figures as they are
    safe = np.where(mine, fed, 1.0)
    fraction = {
        name: np.where(mine, getattr(engine, name) / safe, 0.0)
        for name in ("served", "dark", "short", "network")
    }
    parts = {
        name: np.where(mine, fraction[name] * plan.own, getattr(engine, name)) for name in fraction
    }
    refed = np.zeros(len(fed))
    if len(plan.moves):
        d, r = plan.moves[:, 0].astype(np.int64), plan.moves[:, 1].astype(np.int64)
        x = plan.moves[:, 2]
        for name in ("dark", "short", "network"):
            np.add.at(parts[name], d, fraction[name][r] * x)
        np.add.at(refed, d, fraction["served"][r] * x)
    # the lost part that did not move: no room (network-limited), else dark
    # where the substation is out and network-limited where it is in service
    unmoved = plan.kept
    gone = plan.out | engine.dead
    return LoadShares(
        demand=plan.demand,
        served=parts["served"] + refed,
        dark=parts["dark"] + np.where(gone, unmoved, 0.0),
        short=parts["short"],
        network=parts["network"] + plan.limited + np.where(gone, 0.0, unmoved),
        refed=refed,
        dead=engine.dead & (refed <= 0),
    )
