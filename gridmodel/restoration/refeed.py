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

Allocation, priority class by priority class (critical first, each class
taking what room the classes before it left): every damaged substation asks
its neighbours for its transferable load in proportion to their room; a
neighbour asked for more than its room gives each asker the same share of
what it asked (proportional rationing). The result does not depend on the
order of the substations.

The re-fed load is added to the neighbour's loads of the same priority class
(in proportion to their peak load; to all its loads if it has none of that
class), so the engine carries it over the transmission network and checks
every limit there: re-feeding can only be as good as the network allows.

The loops are compiled (:mod:`gridmodel.restoration.refeed_kernels`).
Afterwards :func:`attribute` gives each load back what it got: its own
part's share of what the engine served at its bus, and the moved part's
share of what was served at the neighbours' buses. The lost part that was
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
from gridmodel.restoration import refeed_kernels
from gridmodel.restoration.condition import Condition
from gridmodel.restoration.options import SwitchingOptions

#: Room or load below this (MW) counts as none.
ROOM_TOL_MW = 1e-9


@dataclass(frozen=True, eq=False)
class Feeding:
    """Loads per substation and neighbouring substations (built once per grid).

    Substations are numbered in name order (``index``); ``load_sub`` is each
    load's substation number (-1: none) and ``load_cls`` the position of its
    priority class in :data:`~gridmodel.engine.figures.PRIORITY_CLASSES` (0:
    critical); ``edge_from``/``edge_to`` list every ordered pair of
    neighbouring substations; the takers (``ptr``, ``take``, ``weight``: one
    CSR table per class) spread re-fed load of a class that a substation
    receives over its loads of that class by peak load (over all its loads
    with load at the peak if it has none of that class); ``peak_mw`` is each
    substation's evening-peak load.
    """

    index: dict[str, int]
    load_sub: np.ndarray
    load_cls: np.ndarray
    edge_from: np.ndarray
    edge_to: np.ndarray
    ptr: np.ndarray
    take: np.ndarray
    weight: np.ndarray
    peak_mw: np.ndarray

    @property
    def n_sub(self) -> int:
        return len(self.peak_mw)


def feeding(compiled: CompiledGrid, peak_mw: np.ndarray) -> Feeding:
    """The feeding structure of ``compiled`` with evening-peak demand ``peak_mw`` per load."""
    names = sorted(compiled.substation_buses)
    sub_of_bus = np.full(compiled.n_bus, -1, dtype=np.int64)
    for k, name in enumerate(names):
        sub_of_bus[compiled.substation_buses[name]] = k
    load_sub = sub_of_bus[compiled.load_bus]
    base = compiled.base.branch
    a, b = sub_of_bus[compiled.branch_from[base]], sub_of_bus[compiled.branch_to[base]]
    keep = (a >= 0) & (b >= 0) & (a != b)
    pairs = {(int(x), int(y)) for x, y in zip(a[keep], b[keep], strict=True)}
    edges = np.array(sorted(pairs | {(y, x) for x, y in pairs}), dtype=np.int64).reshape(-1, 2)
    positive = np.clip(peak_mw, 0.0, None)
    here = load_sub >= 0
    classes = {c: k for k, c in enumerate(PRIORITY_CLASSES)}
    load_cls = np.array([classes.get(int(c), -1) for c in compiled.load_priority], dtype=np.int64)
    ptr, take, weight = _takers(load_sub, load_cls, positive, len(names))
    return Feeding(
        index={name: k for k, name in enumerate(names)},
        load_sub=load_sub,
        load_cls=load_cls,
        edge_from=np.ascontiguousarray(edges[:, 0]),
        edge_to=np.ascontiguousarray(edges[:, 1]),
        ptr=ptr,
        take=take,
        weight=weight,
        peak_mw=np.bincount(load_sub[here], weights=positive[here], minlength=len(names)),
    )


def _takers(
    load_sub: np.ndarray, load_cls: np.ndarray, positive: np.ndarray, n_sub: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The CSR tables of takers per class (see :class:`Feeding`)."""
    n_cls = len(PRIORITY_CLASSES)
    ptr = np.zeros((n_cls, n_sub + 1), dtype=np.int64)
    take: list[int] = []
    weight: list[float] = []
    lit = (load_sub >= 0) & (positive > 0)
    for c in range(n_cls):
        same = lit & (load_cls == c)
        has_same = np.bincount(load_sub[same], minlength=n_sub) > 0
        pick = same | (lit & ~has_same[np.where(load_sub >= 0, load_sub, 0)])
        order = np.flatnonzero(pick)
        order = order[np.argsort(load_sub[order], kind="stable")]
        mass = np.bincount(load_sub[order], weights=positive[order], minlength=n_sub)
        start = len(take)
        take += order.tolist()
        weight += (positive[order] / mass[load_sub[order]]).tolist()
        counts = np.bincount(load_sub[order], minlength=n_sub)
        ptr[c] = start + np.concatenate([[0], np.cumsum(counts)])
    return ptr, np.array(take, dtype=np.int64), np.array(weight, dtype=float)


@dataclass(frozen=True, eq=False)
class Refeed:
    """How the demand of a condition is fed (MW per load unless said otherwise).

    ``own``: fed at its own bus; ``moved``: re-fed through neighbours;
    ``received``: re-fed load it takes for others; of the lost part,
    ``kept`` could not move (not transferable, or not switched yet) and
    ``limited`` could but found no room; ``out`` marks loads whose
    substation is out; ``flow`` is the MW per class and neighbour pair,
    ``granted`` per class and damaged substation.
    """

    demand: np.ndarray
    own: np.ndarray
    moved: np.ndarray
    received: np.ndarray
    kept: np.ndarray
    limited: np.ndarray
    out: np.ndarray
    flow: np.ndarray
    granted: np.ndarray

    @property
    def engine_demand(self) -> np.ndarray:
        """Demand per load as the engine sees it: own part plus what it receives."""
        return self.own + self.received


def refeed(
    feed: Feeding, condition: Condition, demand: np.ndarray, options: SwitchingOptions
) -> Refeed:
    """Split ``demand`` of ``condition`` into own parts and flows (see the module notes)."""
    n_sub = feed.n_sub
    lost_sub, out_sub = np.zeros(n_sub), np.zeros(n_sub, dtype=np.bool_)
    stage = np.zeros(n_sub, dtype=np.int64)
    for sub, x in condition.lost:
        k = feed.index.get(sub)
        if k is not None:
            lost_sub[k], out_sub[k] = x, Element("substation", sub) in condition.out
    for sub, s in condition.switched:
        if sub in feed.index:
            stage[feed.index[sub]] = s
    demand = np.ascontiguousarray(demand, dtype=float)
    own, moved, received, kept, limited, flow, granted = refeed_kernels.allocate(
        feed.load_sub, feed.load_cls, demand, lost_sub, out_sub, stage, feed.peak_mw,
        feed.edge_from, feed.edge_to, feed.ptr, feed.take, feed.weight,
        float(options.transferable_share), float(options.headroom), ROOM_TOL_MW,
    )  # fmt: skip
    out = np.zeros(len(demand), dtype=np.bool_)
    here = feed.load_sub >= 0
    out[here] = out_sub[feed.load_sub[here]]
    return Refeed(demand, own, moved, received, kept, limited, out, flow, granted)


def attribute(feed: Feeding, plan: Refeed, engine: LoadShares) -> LoadShares:
    """Each load's share of what the engine served, dark and short (see the module notes)."""
    figures = np.vstack([engine.served, engine.dark, engine.short, engine.network])
    gone = plan.out | engine.dead
    served, dark, short, network, refed = refeed_kernels.attribute(
        feed.load_sub, feed.load_cls, engine.demand, figures, plan.own, plan.moved, plan.kept,
        plan.limited, gone, plan.flow, plan.granted, feed.edge_from, feed.edge_to, feed.ptr,
        feed.take, feed.weight,
    )  # fmt: skip
    return LoadShares(
        demand=plan.demand,
        served=served,
        dark=dark,
        short=short,
        network=network,
        refed=refed,
        dead=engine.dead & (refed <= 0),
    )
