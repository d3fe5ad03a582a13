"""Repair tasks: what the crews must fix after each strike wave, and for how long.

:func:`repair_tasks` turns a :class:`~gridmodel.strikes.damage.Damage` into one
:class:`Task` per damaged element and wave. Protection trips are not tasks:
a tripped element comes back ``resync_h`` hours after its trip without a crew
(:func:`trip_returns`).

Durations
---------
Each task draws one duration from the distribution of its element type and
multiplies it by the hit's severity (1 = destroyed: the full distribution;
0.5 = half the work), with a floor of :data:`MIN_DURATION_H`. The default
distributions are the public figures of ``shared/DOMAIN.md`` ("Repair"),
defined once in :data:`gridmodel.restoration.options.DEFAULT_DURATIONS` and
overridden by a scenario's ``[repair.durations.<type>]`` tables:

==================  ==========================================================
type                default (public figures, approximate)
==================  ==========================================================
``line``            lognormal, median 24 h, clipped to 4-96 h (hours to days)
``substation``      lognormal, median 72 h, clipped to 1-10 days (switchgear)
``trafo``           uniform 14-21 days (autotransformer, spare on hand)
``trafo_no_spare``  uniform 6-18 months (a new unit must be manufactured)
``gen``             lognormal, median 3 weeks, clipped to 1-13 weeks (plant)
==================  ==========================================================

Buses use the substation table, static generators the generator table.
Durations are drawn in task order from the generator passed in, one draw per
task, so every repair strategy of a sample sees the same durations (common
random numbers).

Spare transformers and waiting for parts
----------------------------------------
The scenario's ``spare_transformers`` is the stock on hand when the first
wave hits. Transformer tasks take a spare in task order (wave by wave, in the
order of the hits) while the stock lasts; later ones take the
``trafo_no_spare`` lead time. A spare is committed when the damage is known,
whatever order the crews later work in, so durations do not depend on the
strategy.

Waiting for a new unit does not hold a crew: a ``trafo_no_spare`` task's
drawn time is split into ``parts_h`` (the unit is manufactured and
delivered; no crew) and ``duration_h`` = :data:`INSTALL_H` of crew work once
it has arrived (moving and installing an autotransformer takes about 2-3
weeks, DOMAIN.md "Repair": the midpoint). A draw shorter than that is all
work. Crews can start a task only ``release_h + parts_h`` hours in; the
element is out from ``release_h``.

Substation hits and their autotransformers
------------------------------------------
In the bundled ``ua-oblasts`` network (and real 330/750 kV nodes, DOMAIN.md)
the autotransformers sit inside the substation: both of their buses belong to
it. The strikes of 2022 aimed at exactly these units. So a hit of severity
``s`` on a substation with ``n`` in-service transformers inside it also
damages ``ceil(s * n)`` of them (the first in table order), each a task of its
own with severity 1 (a damaged autotransformer is replaced, not patched) that
waits for the substation's switchgear task. A transformer hit explicitly in
the same wave is not counted twice. ``substation_transformers=False`` turns
this off: the substation task alone then brings back every transformer in it.

Repeated hits
-------------
Several hits on one element in one wave are one task (severities combined by
:func:`gridmodel.strikes.damage.combine_severity`). A hit in a later wave is a new
task released at that wave's time, whether the element was repaired by then
or not: the element is out until every released task on it is finished (a
crew already working on it carries on; the new damage is extra work, which
another crew may take on at the same time).

Precedence
----------
A task on an element attached to a damaged substation (a line or transformer
ending in it, a generator or load on its buses, one of its buses) waits until
that substation's task is finished; likewise for a damaged bus. Only
substation tasks released at or before the dependent task count, so a later
wave never blocks work that was already possible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridmodel.network.grid import Element, Grid
from gridmodel.restoration.options import DURATION_KIND, RepairOptions
from gridmodel.strikes.damage import Damage, Hit

#: Shortest repair (h): inspection and switching even for the lightest damage (assumption).
MIN_DURATION_H = 0.25
#: Crew hours to move and install a delivered autotransformer: about 2-3 weeks
#: with a spare on hand (public figures, DOMAIN.md "Repair"), the midpoint.
INSTALL_H = 17.5 * 24

#: Default repair settings: 10 crews working around the clock, 2 spare
#: transformers, nuclear units resynchronise in about a day (public figures).
DEFAULT_REPAIR = RepairOptions()

#: Tasks kinds that other tasks can wait for.
NODE_KINDS = ("substation", "bus")


@dataclass(frozen=True)
class Task:
    """One repair task.

    Attributes
    ----------
    id
        Position in the task list (0, 1, ...).
    element
        The damaged element; it stays out of service until the task is done.
    wave
        The strike wave that caused the damage.
    release_h
        Hours from the scenario start when the task can start (the wave's time).
    duration_h
        Crew hours needed.
    severity
        Damage severity in (0, 1] (several hits in one wave combined).
    region
        Region of the element's home substation (crews per region work there).
    kind
        The duration table used: ``substation``, ``line``, ``trafo``,
        ``trafo_no_spare`` or ``gen``.
    origin
        The scenario field that caused the damage.
    after
        Ids of tasks that must be finished before this one can start.
    parts_h
        Hours after ``release_h`` before crews can start: waiting for parts
        (a new transformer), which holds no crew.
    """

    id: int
    element: Element
    wave: int
    release_h: float
    duration_h: float
    severity: float
    region: str
    kind: str
    origin: str
    after: tuple[int, ...] = ()
    parts_h: float = 0.0

    @property
    def ready_h(self) -> float:
        """Hours from the scenario start when crews can start (released, parts on site)."""
        return self.release_h + self.parts_h

    @property
    def name(self) -> str:
        """The element as ``"kind:id"``."""
        return str(self.element)


@dataclass(frozen=True)
class TripReturn:
    """A protection trip: ``element`` is out from ``start_h`` until ``end_h``."""

    element: Element
    start_h: float
    end_h: float


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


def substation_transformers(grid: Grid, substation: str) -> list[int]:
    """In-service transformers with both buses in ``substation``, in table order."""
    trafo = grid.net.trafo
    if not len(trafo):
        return []
    sub_of = grid.bus_substation
    hv = trafo["hv_bus"].map(sub_of)
    lv = trafo["lv_bus"].map(sub_of)
    inside = (hv == substation) & (lv == substation)
    if "in_service" in trafo:
        inside &= trafo["in_service"].astype(bool)
    return sorted(int(i) for i in trafo.index[inside])


def repair_tasks(
    damage: Damage,
    grid: Grid,
    *,
    options: RepairOptions | None = None,
    rng: np.random.Generator,
    substation_transformers: bool = True,
) -> tuple[Task, ...]:
    """One repair task per damaged element and wave, with drawn durations.

    Parameters
    ----------
    damage
        The sample's damage (its ``hits``, ``severity(wave)``). Not modified.
    grid
        The network (for regions, substations and precedence).
    options
        The scenario's ``[repair]`` section (durations, spare stock).
    rng
        Generator for the durations: one draw per task, in task order.
    substation_transformers
        Whether a substation hit also damages the transformers inside it (see
        the module notes).

    Returns
    -------
    tuple of Task
        In the order of the hits (wave by wave), each substation's
        transformers right after it.
    """
    options = options if options is not None else DEFAULT_REPAIR
    drafts = _drafts(damage, grid, with_transformers=substation_transformers)
    spares = int(options.spare_transformers)
    tasks: list[Task] = []
    nodes = [element_nodes(grid, d[0]) for d in drafts]
    for i, (element, wave, time_h, severity, origin) in enumerate(drafts):
        kind = DURATION_KIND.get(element.kind, "substation")
        if kind == "trafo":
            if spares > 0:
                spares -= 1
            else:
                kind = "trafo_no_spare"
        table = options.durations.for_kind(element.kind, spare=kind != "trafo_no_spare")
        draw = float(table.draw(rng, 1)[0])
        duration = max(draw * severity, MIN_DURATION_H)
        parts = max(duration - INSTALL_H, 0.0) if kind == "trafo_no_spare" else 0.0
        after = _predecessors(i, drafts, nodes)
        tasks.append(
            Task(
                id=i,
                element=element,
                wave=wave,
                release_h=time_h,
                duration_h=duration - parts,
                severity=severity,
                region=home_region(grid, element),
                kind=kind,
                origin=origin,
                after=after,
                parts_h=parts,
            )
        )
    return tuple(tasks)


_Draft = tuple[Element, int, float, float, str]


def _drafts(damage: Damage, grid: Grid, *, with_transformers: bool) -> list[_Draft]:
    """(element, wave, time, severity, origin) per task, in hit order."""
    drafts: list[_Draft] = []
    for wave in sorted({h.wave for h in damage.hits}):
        hits = [h for h in damage.hits if h.wave == wave]
        severity = damage.severity(wave)
        first: dict[Element, Hit] = {}
        for hit in hits:
            first.setdefault(hit.element, hit)
        explicit = {e.id for e in first if e.kind == "trafo"}
        added: set[int] = set()
        for element, hit in first.items():
            sev = float(severity[element])
            drafts.append((element, wave, float(hit.time_h), sev, hit.origin))
            if not (with_transformers and element.kind == "substation"):
                continue
            inside = substation_transformers(grid, str(element.id))
            count = math.ceil(sev * len(inside) - 1e-9)
            for t in inside[:count]:
                if t in explicit or t in added:
                    continue
                added.add(t)
                drafts.append(
                    (Element("trafo", t), wave, float(hit.time_h), 1.0, f"{hit.origin} ({element})")
                )
    return drafts


def _predecessors(
    i: int, drafts: list[_Draft], nodes: list[tuple[frozenset[str], frozenset[int]]]
) -> tuple[int, ...]:
    element, _, time_h, _, _ = drafts[i]
    if element.kind == "substation":
        return ()
    subs, buses = nodes[i]
    after = []
    for j, (other, _, other_h, _, _) in enumerate(drafts):
        if j == i or other_h > time_h or other.kind not in NODE_KINDS:
            continue
        if (other.kind == "substation" and str(other.id) in subs) or (
            other.kind == "bus" and element.kind != "bus" and int(other.id) in buses
        ):
            after.append(j)
    return tuple(after)


def trip_returns(damage: Damage) -> tuple[TripReturn, ...]:
    """Protection trips as outage intervals: back after ``resync_h`` without a crew."""
    return tuple(
        TripReturn(t.element, float(t.time_h), float(t.time_h) + float(t.resync_h))
        for t in damage.trips
    )


def tasks_frame(tasks: tuple[Task, ...]) -> pd.DataFrame:
    """The tasks as a table (one row per task)."""
    columns = [
        "task",
        "element",
        "kind",
        "region",
        "wave",
        "release_h",
        "parts_h",
        "duration_h",
        "severity",
        "after",
        "origin",
    ]
    rows = [
        (
            t.id,
            t.name,
            t.kind,
            t.region,
            t.wave,
            t.release_h,
            t.parts_h,
            t.duration_h,
            t.severity,
            " ".join(str(a) for a in t.after),
            t.origin,
        )
        for t in tasks
    ]
    return pd.DataFrame(rows, columns=columns)
