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
    """Loads per substation and neighbouring substations (built once per grid)."""

    loads_of: dict[str, np.ndarray]
    neighbours: dict[str, tuple[str, ...]]
    peak_mw: dict[str, float]
    load_peak_mw: np.ndarray


def feeding(compiled: CompiledGrid, peak_mw: np.ndarray) -> Feeding:
    """The feeding structure of ``compiled`` with evening-peak demand ``peak_mw`` per load."""
    sub_of_bus = np.full(compiled.n_bus, -1, dtype=np.int64)
    names = sorted(compiled.substation_buses)
    for k, name in enumerate(names):
        sub_of_bus[compiled.substation_buses[name]] = k
    load_sub = sub_of_bus[compiled.load_bus]
    loads_of = {names[k]: np.flatnonzero(load_sub == k) for k in np.unique(load_sub) if k >= 0}
    base = compiled.base.branch
    a, b = sub_of_bus[compiled.branch_from[base]], sub_of_bus[compiled.branch_to[base]]
    pairs = {(int(x), int(y)) for x, y in zip(a, b, strict=True) if x >= 0 and y >= 0 and x != y}
    near: dict[str, set[str]] = {}
    for x, y in pairs:
        near.setdefault(names[x], set()).add(names[y])
        near.setdefault(names[y], set()).add(names[x])
    positive = np.clip(peak_mw, 0.0, None)
    return Feeding(
        loads_of=loads_of,
        neighbours={s: tuple(sorted(n)) for s, n in near.items()},
        peak_mw={s: float(positive[idx].sum()) for s, idx in loads_of.items()},
        load_peak_mw=positive,
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
    n = len(demand)
    positive = np.clip(demand, 0.0, None)
    share = np.zeros(n)
    out = np.zeros(n, dtype=bool)
    for sub, x in condition.lost:
        idx = feed.loads_of.get(sub, np.zeros(0, dtype=np.int64))
        share[idx] = x
        out[idx] = Element("substation", sub) in condition.out
    lost = share * positive
    own = demand - lost
    room = _room(feed, condition, own, options)
    moves: list[tuple[int, int, float]] = []
    limited = np.zeros(n)
    kept = lost.copy()
    stages = dict(condition.switched)
    for cls in PRIORITY_CLASSES:
        for sub in sorted(stages):
            if not (stages[sub] == ALL or (stages[sub] == CRITICAL and cls == PRIORITY_CLASSES[0])):
                continue
            idx = feed.loads_of.get(sub, np.zeros(0, dtype=np.int64))
            idx = idx[(compiled.load_priority[idx] == cls) & (lost[idx] > 0)]
            want = options.transferable_share * lost[idx]
            kept[idx] = lost[idx] - want
            total = float(want.sum())
            if total <= ROOM_TOL_MW:
                continue
            near = [m for m in feed.neighbours.get(sub, ()) if room.get(m, 0.0) > ROOM_TOL_MW]
            space = sum(room[m] for m in near)
            amount = min(total, space)
            limited[idx] += want * (1.0 - amount / total)
            for m in near:
                portion = amount * room[m] / space
                room[m] -= portion
                split = want / total * portion
                for r, w in _recipients(compiled, feed, m, cls, positive):
                    moves += [(int(d), r, float(x)) for d, x in zip(idx, split * w, strict=True)]
    table = np.asarray(moves, dtype=float).reshape(-1, 3)
    return Refeed(demand=demand, own=own, moves=table, kept=kept, limited=limited, out=out)


def _room(
    feed: Feeding, condition: Condition, own: np.ndarray, options: SwitchingOptions
) -> dict[str, float]:
    """Room (MW) each substation has for re-fed load now."""
    lost = dict(condition.lost)
    room = {}
    for sub, idx in feed.loads_of.items():
        if Element("substation", sub) in condition.out or lost.get(sub, 0.0) >= 1.0:
            continue
        capacity = (1.0 + options.headroom) * feed.peak_mw[sub] * (1.0 - lost.get(sub, 0.0))
        room[sub] = max(capacity - float(np.clip(own[idx], 0.0, None).sum()), 0.0)
    return room


def _recipients(
    compiled: CompiledGrid, feed: Feeding, sub: str, cls: int, positive: np.ndarray
) -> list[tuple[int, float]]:
    """Loads of ``sub`` that take re-fed load of class ``cls``, with their weights."""
    idx = feed.loads_of[sub]
    idx = idx[feed.load_peak_mw[idx] > 0]
    same = idx[(compiled.load_priority[idx] == cls)]
    pick = same if len(same) else idx
    weight = positive[pick]
    if weight.sum() <= 0:
        weight = np.ones(len(pick))
    return [(int(r), float(w)) for r, w in zip(pick, weight / weight.sum(), strict=True)]


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
