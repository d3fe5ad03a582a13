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

Spare transformers, donations and waiting for parts
---------------------------------------------------
The scenario's ``spare_transformers`` is the stock on hand when the first
wave hits; ``[[repair.donations]]`` add units delivered later (partners
donated equipment, DOMAIN.md). Transformer tasks (autotransformers and
supply transformers) take a unit on hand in task order (wave by wave, in the
order of the hits) while there is one; later ones wait: for the next donated
unit not yet promised to an earlier task, if it comes before a new unit
could be made (the ``trafo_no_spare`` lead time), else for the new unit. A
unit is committed when the damage is known, whatever order the crews later
work in, so durations do not depend on the strategy.

Waiting for a new unit does not hold a crew: a ``trafo_no_spare`` task's
drawn time is split into ``parts_h`` (the unit is manufactured and
delivered; no crew) and ``duration_h`` = :data:`INSTALL_H` of crew work once
it has arrived (moving and installing an autotransformer takes about 2-3
weeks, DOMAIN.md "Repair": the midpoint). A draw shorter than that is all
work. Crews can start a task only ``release_h + parts_h`` hours in; the
element is out from ``release_h``.

Substation hits
---------------
A substation hit is split into the parts it damages: switchgear (bays),
transformers between its voltage levels and the transformers that supply its
load, each a task of its own (:mod:`gridmodel.restoration.drafts`). A task
``holds`` the elements that stay out until it is finished; a supply task
takes ``1/supply_units`` of its substation's load-supply capacity while it is
not finished. ``substation_transformers=False`` leaves the transformers
between voltage levels out of it.

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
A task waits for the switchgear task of a damaged substation it is attached
to (:mod:`gridmodel.restoration.drafts`); ``after`` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridmodel.network.grid import Element, Grid
from gridmodel.restoration.drafts import (
    Equipment,
    drafts,
    element_nodes,
    home_region,
    predecessors,
    substation_transformers,
)
from gridmodel.restoration.options import DURATION_KIND, RepairOptions
from gridmodel.strikes.damage import Damage

__all__ = [
    "DEFAULT_REPAIR",
    "INSTALL_H",
    "MIN_DURATION_H",
    "Task",
    "TripReturn",
    "home_region",
    "repair_tasks",
    "substation_transformers",
    "tasks_frame",
    "trip_returns",
]

#: Shortest repair (h): inspection and switching even for the lightest damage (assumption).
MIN_DURATION_H = 0.25
#: Crew hours to move and install a delivered autotransformer: about 2-3 weeks
#: with a spare on hand (public figures, DOMAIN.md "Repair"), the midpoint.
INSTALL_H = 17.5 * 24

#: Default repair settings: 10 crews working around the clock, 2 spare
#: transformers, nuclear units resynchronise in about a day (public figures).
DEFAULT_REPAIR = RepairOptions()


@dataclass(frozen=True)
class Task:
    """One repair task.

    Attributes
    ----------
    id
        Position in the task list (0, 1, ...).
    element
        The damaged element (for a substation's parts, the substation).
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
    part
        ``""`` (an element hit) or the part of a substation hit:
        ``switchgear``, ``transformer`` or ``supply``.
    holds
        Elements out of service until the task is finished.
    supply
        The substation whose load-supply transformer this is (else ``None``).
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
    part: str = ""
    holds: tuple[Element, ...] = ()
    supply: str | None = None

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


class Stock:
    """Transformer units for the tasks, in task order (see the module notes).

    ``spares`` are on hand from the start; ``donated`` are the arrival times
    of donated units (one entry per unit).
    """

    def __init__(self, spares: int, donated: list[float]) -> None:
        self.spares = spares
        self.donated = sorted(donated)

    def take(self, time_h: float) -> bool:
        """Take a unit on hand at ``time_h`` (a spare, or a donated unit already
        delivered); ``False`` if there is none."""
        if self.spares > 0:
            self.spares -= 1
            return True
        if self.donated and self.donated[0] <= time_h:
            self.donated.pop(0)
            return True
        return False

    def delivery(self, time_h: float, lead_h: float) -> float:
        """Hours from ``time_h`` until a unit arrives: the next donated unit, if it
        comes before a new one made in ``lead_h``, else ``lead_h``."""
        if self.donated and self.donated[0] < time_h + lead_h:
            return self.donated.pop(0) - time_h
        return lead_h


def repair_tasks(
    damage: Damage,
    grid: Grid,
    *,
    options: RepairOptions | None = None,
    rng: np.random.Generator,
    substation_transformers: bool = True,
    kit: Equipment | None = None,
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
    kit
        The grid's :func:`~gridmodel.restoration.drafts.equipment`, if already
        built (a Monte Carlo run builds it once).

    Returns
    -------
    tuple of Task
        In the order of the hits (wave by wave), each substation's
        transformers right after it.
    """
    options = options if options is not None else DEFAULT_REPAIR
    items = drafts(
        damage,
        grid,
        partial=options.partial_damage,
        transformers=substation_transformers,
        supply_units=options.supply_units,
        kit=kit,
    )
    donated = [d.time_h for d in options.donations for _ in range(d.units)]
    stock = Stock(int(options.spare_transformers), donated)
    tasks: list[Task] = []
    nodes = [element_nodes(grid, d.element) for d in items]
    for i, draft in enumerate(items):
        element, severity = draft.element, draft.severity
        kind = "trafo" if draft.part == "supply" else DURATION_KIND.get(element.kind, "substation")
        if kind == "trafo" and not stock.take(draft.time_h):
            kind = "trafo_no_spare"
        table = options.durations.for_kind(
            "trafo" if kind.startswith("trafo") else element.kind, spare=kind != "trafo_no_spare"
        )
        draw = float(table.draw(rng, 1)[0])
        duration = max(draw * severity, MIN_DURATION_H)
        parts = 0.0
        if kind == "trafo_no_spare":
            parts = stock.delivery(draft.time_h, max(duration - INSTALL_H, 0.0))
            duration = min(duration, parts + INSTALL_H)
        tasks.append(
            Task(
                id=i,
                element=element,
                wave=draft.wave,
                release_h=draft.time_h,
                duration_h=duration - parts,
                severity=severity,
                region=home_region(grid, element),
                kind=kind,
                origin=draft.origin,
                after=predecessors(i, items, nodes),
                parts_h=parts,
                part=draft.part,
                holds=draft.holds,
                supply=draft.supply,
            )
        )
    return tuple(tasks)


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
        "part",
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
            t.part,
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
