"""What each hit leaves to repair: the draft tasks of a damage, before durations.

:func:`drafts` turns the hits of a :class:`~gridmodel.strikes.damage.Damage`
into :class:`Draft` tasks, in hit order, wave by wave. An element hit
(line, transformer, generator, bus) is one draft. A substation hit is split
into the parts it damages (DOMAIN.md: "a hit rarely destroys a whole
substation: typically some autotransformers or bays, the rest keeps
working"), with ``s`` the hit's severity, the share of each kind of
equipment it damages: ``lost(s, n)`` of ``n`` units is ``s * n`` rounded to
the nearest whole unit (halves up), at least one (a hit damages something)
and at most ``n``:

``switchgear``
    The damaged bays. A destroyed substation (``s = 1``) is out with
    everything attached until this is repaired. A partly damaged one
    (``s < 1``) keeps working; ``lost(s, n)`` of its ``n`` line bays are
    damaged (the lines ending in it, in table order) and those lines are out
    until the switchgear is repaired. A substation without line bays has no
    switchgear task when partly damaged.
``transformer``
    ``lost(s, n)`` of the ``n`` in-service transformers with both buses
    inside the substation (the autotransformers between its voltage levels:
    its transfer capacity), the first in table order, each a task of its own
    with severity 1: a damaged autotransformer is replaced, not patched.
``supply``
    ``lost(s, m)`` of the ``m`` transformers that feed the substation's load
    (``supply_units``; the network has no distribution layer, so they are not
    elements of it): each a task with severity 1, and while ``k`` of them are
    out the substation can supply only ``1 - k/m`` of its load. Substations
    without load have none.

With ``partial_damage`` off, a substation hit is one switchgear task that
holds the whole substation out (its transformers as above).

Precedence: a draft on an element attached to a damaged substation (a line
or transformer ending in it, a generator or load on its buses, its supply
transformers) waits for that substation's switchgear task, likewise for a
damaged bus; only switchgear tasks released at or before the draft count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridmodel.network.grid import Element, Grid
from gridmodel.strikes.damage import Damage, Hit

#: Severity from which a substation hit destroys it (everything attached out).
WHOLE = 1.0 - 1e-9


def lost(severity: float, units: int) -> int:
    """Units of ``units`` a hit of ``severity`` damages (see the module notes)."""
    if units <= 0:
        return 0
    return min(units, max(1, math.floor(severity * units + 0.5 + 1e-9)))


@dataclass(frozen=True)
class Draft:
    """One task before its duration is drawn.

    ``holds``: elements out until it is finished; ``supply``: the substation
    whose load-supply transformer it is (``None`` otherwise); ``part``:
    ``""`` (an element hit), ``switchgear``, ``transformer`` or ``supply``.
    """

    element: Element
    wave: int
    time_h: float
    severity: float
    origin: str
    part: str
    holds: tuple[Element, ...]
    supply: str | None = None

    @property
    def waits_for_others(self) -> bool:
        """Whether other tasks on its node wait for it (a switchgear or bus task)."""
        return self.part == "switchgear" or (self.part == "" and self.element.kind == "bus")


def element_nodes(grid: Grid, element: Element) -> tuple[frozenset[str], frozenset[int]]:
    """Substations and buses ``element`` is attached to."""
    net = grid.net
    kind = element.kind
    if kind == "substation":
        return frozenset({str(element.id)}), frozenset()
    if kind == "bus":
        buses = [int(element.id)]
    elif kind == "line":
        row = net.line.loc[int(element.id)]
        buses = [int(row["from_bus"]), int(row["to_bus"])]
    elif kind == "trafo":
        row = net.trafo.loc[int(element.id)]
        buses = [int(row["hv_bus"]), int(row["lv_bus"])]
    else:
        buses = [int(getattr(net, kind).loc[int(element.id), "bus"])]
    subs = {str(grid.bus_substation.get(b)) for b in buses if b in grid.bus_substation.index}
    return frozenset(subs), frozenset(buses)


def home_region(grid: Grid, element: Element) -> str:
    """Region of the element's home substation (a line's from-bus, a trafo's HV bus)."""
    net = grid.net
    kind = element.kind
    if kind == "substation":
        sub = str(element.id)
    else:
        if kind == "bus":
            bus = int(element.id)
        elif kind == "line":
            bus = int(net.line.at[int(element.id), "from_bus"])
        elif kind == "trafo":
            bus = int(net.trafo.at[int(element.id), "hv_bus"])
        else:
            bus = int(getattr(net, kind).at[int(element.id), "bus"])
        sub = str(grid.bus_substation.get(bus))
    if sub in grid.substations.index:
        return str(grid.substations.at[sub, "region"])
    return str(grid.regions.index[0]) if len(grid.regions) else "all"


def _in_service(table: pd.DataFrame) -> np.ndarray:
    if "in_service" in table:
        return table["in_service"].astype(bool).to_numpy()
    return np.ones(len(table), dtype=bool)


@dataclass(frozen=True, eq=False)
class Equipment:
    """Per substation: its in-service line bays (lines with exactly one end in
    it), its in-service transformers (both buses in it), in table order, and
    its positive in-service load (MW). Built once per grid by :func:`equipment`."""

    bays: dict[str, tuple[int, ...]]
    transformers: dict[str, tuple[int, ...]]
    load_mw: dict[str, float]


def equipment(grid: Grid) -> Equipment:
    """The :class:`Equipment` of every substation of ``grid``."""
    net, sub_of = grid.net, grid.bus_substation
    bays: dict[str, list[int]] = {}
    for i, x, y in _ends(net.line, "from_bus", "to_bus", sub_of):
        if x != y:
            for sub in (x, y):
                bays.setdefault(str(sub), []).append(i)
    inside: dict[str, list[int]] = {}
    for i, x, y in _ends(net.trafo, "hv_bus", "lv_bus", sub_of):
        if x == y:
            inside.setdefault(str(x), []).append(i)
    load_mw: dict[str, float] = {}
    load = net.load
    if len(load):
        p = np.clip((load["p_mw"] * load.get("scaling", 1.0)).to_numpy(dtype=float), 0.0, None)
        subs = load["bus"].map(sub_of).to_numpy(dtype=object)
        for sub, mw, ok in zip(subs, p, _in_service(load), strict=True):
            if ok:
                load_mw[str(sub)] = load_mw.get(str(sub), 0.0) + float(mw)
    return Equipment(
        bays={s: tuple(sorted(v)) for s, v in bays.items()},
        transformers={s: tuple(sorted(v)) for s, v in inside.items()},
        load_mw=load_mw,
    )


def _ends(
    table: pd.DataFrame, a: str, b: str, sub_of: pd.Series
) -> list[tuple[int, object, object]]:
    """(index, substation of end ``a``, substation of end ``b``) of every in-service row."""
    if not len(table):
        return []
    ends = zip(
        table.index,
        table[a].map(sub_of).to_numpy(dtype=object),
        table[b].map(sub_of).to_numpy(dtype=object),
        _in_service(table),
        strict=True,
    )
    return [(int(i), x, y) for i, x, y, ok in ends if ok]


def substation_transformers(grid: Grid, substation: str) -> list[int]:
    """In-service transformers with both buses in ``substation``, in table order."""
    return list(equipment(grid).transformers.get(substation, ()))


def substation_bays(grid: Grid, substation: str) -> list[int]:
    """In-service lines with exactly one end in ``substation`` (its line bays), in table order."""
    return list(equipment(grid).bays.get(substation, ()))


def drafts(
    damage: Damage,
    grid: Grid,
    *,
    partial: bool,
    transformers: bool,
    supply_units: int,
    kit: Equipment | None = None,
) -> list[Draft]:
    """The drafts of every hit, in hit order (see the module notes); ``kit``: the
    grid's :func:`equipment`, if already built."""
    kit = kit if kit is not None else equipment(grid)
    out: list[Draft] = []
    for wave in sorted({h.wave for h in damage.hits}):
        severity = damage.severity(wave)
        first: dict[Element, Hit] = {}
        for hit in damage.hits:
            if hit.wave == wave:
                first.setdefault(hit.element, hit)
        explicit = {int(e.id) for e in first if e.kind == "trafo"}
        added: set[int] = set()
        for element, hit in first.items():
            sev = float(severity[element])
            if element.kind != "substation":
                out.append(Draft(element, wave, float(hit.time_h), sev, hit.origin, "", (element,)))
                continue
            switchgear = _switchgear(kit, element, hit, sev, partial=partial)
            if switchgear is not None:
                out.append(switchgear)
            if transformers:
                for t in _inside(kit, element, sev, explicit | added):
                    added.add(t)
                    unit = Element("trafo", t)
                    out.append(_unit(unit, hit, "transformer", (unit,)))
            if partial and kit.load_mw.get(str(element.id), 0.0) > 0:
                count = lost(sev, supply_units)
                out += [_unit(element, hit, "supply", ()) for _ in range(count)]
    return out


def _inside(kit: Equipment, element: Element, severity: float, skip: set[int]) -> list[int]:
    inside = kit.transformers.get(str(element.id), ())
    count = lost(severity, len(inside))
    return [t for t in inside[:count] if t not in skip]


def _unit(element: Element, hit: Hit, part: str, holds: tuple[Element, ...]) -> Draft:
    """A replaced unit (severity 1) damaged by a substation hit."""
    origin = f"{hit.origin} ({hit.element})"
    supply = str(hit.element.id) if part == "supply" else None
    return Draft(element, hit.wave, float(hit.time_h), 1.0, origin, part, holds, supply)


def _switchgear(
    kit: Equipment, element: Element, hit: Hit, severity: float, *, partial: bool
) -> Draft | None:
    """The switchgear draft of a substation hit (``None``: no bay damaged)."""
    if not partial or severity >= WHOLE:
        holds: tuple[Element, ...] = (element,)
    else:
        bays = kit.bays.get(str(element.id), ())
        holds = tuple(Element("line", i) for i in bays[: lost(severity, len(bays))])
    if not holds:
        return None
    return Draft(element, hit.wave, float(hit.time_h), severity, hit.origin, "switchgear", holds)


Nodes = tuple[frozenset[str], frozenset[int]]


def predecessors(i: int, items: list[Draft], nodes: list[Nodes]) -> tuple[int, ...]:
    """Ids of the switchgear (or bus) drafts draft ``i`` waits for."""
    draft = items[i]
    if draft.waits_for_others:
        return ()
    subs, buses = nodes[i]
    after = []
    for j, other in enumerate(items):
        if j == i or other.time_h > draft.time_h or not other.waits_for_others:
            continue
        kind, ident = other.element.kind, other.element.id
        if (kind == "substation" and str(ident) in subs) or (
            kind == "bus" and draft.element.kind != "bus" and int(ident) in buses
        ):
            after.append(j)
    return tuple(after)
