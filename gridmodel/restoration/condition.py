"""The condition of the grid at one moment of a restoration.

A :class:`Condition` is what the engine needs to evaluate a moment: the
elements out of service, the share of each damaged substation's load-supply
capacity that is lost, and how far operators have switched its lost load to
neighbouring substations (:mod:`gridmodel.restoration.refeed`).
:class:`Clock` derives it from the tasks finished so far and the time: the
crews' clock (repairs, days to months) and the operators' clock (isolation
and switching, hours after each hit).

The operators' clock, per substation hit at time ``t0`` (``[repair.switching]``):

* ``[t0, t0 + isolate_h)``: the whole substation is out (protection tripped
  it); a destroyed one stays out until its switchgear is repaired;
* from ``t0 + critical_h``: the transferable share of its lost critical load
  is re-fed through neighbours (switching stage 1);
* from ``t0 + switching_h``: the transferable share of all its lost load is
  (stage 2). A new hit on the substation starts its clock again.

A substation that is out has lost all of its load-supply capacity; one that
is in service has lost ``k / supply_units`` with ``k`` of its supply
transformers under repair.

The units' clock (:mod:`gridmodel.restoration.units`) adds the units tripped,
starting or ramping after a trip, a separation or a blackout, and the
frequency rule (:mod:`gridmodel.restoration.frequency`) the load shed by
under-frequency relays until operators reconnect it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from gridmodel.network.grid import Element
from gridmodel.restoration.options import SwitchingOptions
from gridmodel.restoration.tasks import Task, TripReturn
from gridmodel.restoration.units import Units

#: Switching stages: nothing switched, critical load re-fed, all load re-fed.
NONE, CRITICAL, ALL = 0, 1, 2


@dataclass(frozen=True)
class Condition:
    """Elements out, lost load-supply shares and switching stages (hashable).

    ``lost`` and ``switched`` are sorted ``(substation, value)`` pairs: the
    share of the substation's load-supply capacity lost (in (0, 1]) and its
    switching stage (:data:`CRITICAL` or :data:`ALL`; absent: nothing
    switched). ``units`` are ``(unit, share)`` pairs of units ramping up (their
    share of rated output, in (0, 1); units out are in ``out``), ``ufls``
    ``(load, share)`` pairs of the load shed by under-frequency relays and
    ``free`` the energy-limited units free of their daily limit.
    """

    out: frozenset[Element]
    lost: tuple[tuple[str, float], ...] = ()
    switched: tuple[tuple[str, int], ...] = ()
    units: tuple[tuple[int, float], ...] = ()
    ufls: tuple[tuple[int, float], ...] = ()
    free: tuple[int, ...] = ()

    @classmethod
    def intact(cls) -> Condition:
        return cls(frozenset())


class Clock:
    """Conditions of one sample's restoration over time.

    Parameters
    ----------
    tasks, returns
        The repair tasks and the protection trips.
    struck
        ``(substation, time_h)`` of every substation hit.
    switching
        The ``[repair.switching]`` options (``None``: no isolation, no switching).
    supply_units
        Load-supply transformers per substation.
    units
        The units' clock (``None``: units give their rating at once).
    ufls
        Under-frequency load shedding: ``(start_h, end_h, ((load, share), ...))``.
    """

    def __init__(
        self,
        tasks: tuple[Task, ...],
        returns: tuple[TripReturn, ...],
        struck: Iterable[tuple[str, float]],
        switching: SwitchingOptions | None,
        supply_units: int,
        units: Units | None = None,
        ufls: tuple[tuple[float, float, tuple[tuple[int, float], ...]], ...] = (),
    ) -> None:
        self.units = units
        self.ufls = ufls
        self.tasks = tasks
        self.returns = returns
        self.struck = tuple(sorted(set(struck), key=lambda s: (s[1], s[0])))
        self.switching = switching
        self.supply_units = supply_units

    def events(self) -> list[float]:
        """Times at which the condition changes whatever the crews do."""
        points = {t.release_h for t in self.tasks}
        for r in self.returns:
            points |= {r.start_h, r.end_h}
        if self.units is not None:
            points |= {p for p in self.units.events() if math.isfinite(p)}
        for a, b, _ in self.ufls:
            points |= {a, b}
        sw = self.switching
        if sw is not None:
            for _, t0 in self.struck:
                points |= {t0, t0 + sw.isolate_h}
                if sw.enabled:
                    points |= {t0 + sw.critical_h, t0 + sw.switching_h}
        return sorted(points)

    def at(self, time_h: float, done: frozenset[int], *, settled: bool = False) -> Condition:
        """The condition at ``time_h`` with the tasks in ``done`` finished.

        ``settled``: as if every hit were long past (isolation over, switching
        complete, protection trips resynchronised, units back, no
        under-frequency shedding); used to rank tasks by what they restore.
        """
        out: set[Element] = set()
        units: dict[str, int] = {}
        for t in self.tasks:
            if t.release_h <= time_h and t.id not in done:
                out.update(t.holds)
                if t.supply is not None:
                    units[t.supply] = units.get(t.supply, 0) + 1
        ramping: tuple[tuple[int, float], ...] = ()
        ufls: tuple[tuple[int, float], ...] = ()
        free: tuple[int, ...] = ()
        if not settled:
            out.update(r.element for r in self.returns if r.start_h <= time_h < r.end_h)
            if self.units is not None:
                units_out, ramping = self.units.at(time_h)
                out.update(units_out)
                free = self.units.free_at(time_h)
            ufls = next((s for a, b, s in self.ufls if a <= time_h < b), ())
        latest: dict[str, float] = {}
        for sub, t0 in self.struck:
            if t0 <= time_h:
                latest[sub] = t0
        sw = self.switching
        if sw is not None and not settled:
            out.update(
                Element("substation", sub)
                for sub, t0 in latest.items()
                if time_h < t0 + sw.isolate_h
            )
        lost = {s: min(1.0, k / self.supply_units) for s, k in units.items()}
        for sub in latest:
            if Element("substation", sub) in out:
                lost[sub] = 1.0
        switched = {}
        if sw is not None and sw.enabled:
            for sub in lost:
                since = time_h - latest.get(sub, time_h)
                if settled or since >= sw.switching_h:
                    switched[sub] = ALL
                elif since >= sw.critical_h:
                    switched[sub] = CRITICAL
        return Condition(
            frozenset(out),
            tuple(sorted(lost.items())),
            tuple(sorted(switched.items())),
            ramping,
            ufls,
            free,
        )
