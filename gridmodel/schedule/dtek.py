"""The schedule as DTEK weekly presets (``DisconSchedule.preset``), one file per region.

DTEK's shutdowns pages embed a weekly preset that Ukrainian outage bots and
calendar generators read: twelve queues ``"1.1" .. "6.2"``, weekdays ``"1"``
(Monday) .. ``"7"`` (Sunday), hours ``"1"`` (00-01) .. ``"24"`` (23-24), each
hour one of

``yes``     power on
``no``      power off
``maybe``   possible outage
``first``   possible outage in the first half hour (power on in the second)
``second``  possible outage in the second half hour (power on in the first)

next to the labels ``days``, ``days_mini``, ``sch_names``, ``time_zone`` and
``time_type`` (Ukrainian, as DTEK publishes them). :func:`dtek_preset`
mirrors that object key for key; the reference is DTEK Kyiv's published
preset of December 2024 as kept by andrewjswan/dtek-blackout-schedule-calendars
(MIT licence), copied with its licence to ``tests/schedule/data/dtek-preset/``.

From schedule states to cells
-----------------------------
Each hour is read as two half hours on the wall clock. A half hour takes the
darkest state in it (``emergency`` > ``off`` > ``possible`` > ``on``; a slot
split at 07:20 darkens the whole 07:00-07:30 half), mapped ``on`` -> ``yes``,
``off`` -> ``no``, ``possible`` -> ``maybe``, ``emergency`` -> ``no``. Two
equal halves give that value; a dark half next to a ``yes`` half gives
``first`` or ``second`` (the format has no definite half-hour outage, so a
half hour ``off`` is shown as its possible outage); ``no`` next to ``maybe``
gives ``no``. On a fall-back day the repeated hour shows its darker state.

Days and queues
---------------
The schedule's first seven days fill the weekdays they fall on; a weekday
the schedule does not reach (a two-day schedule) is ``maybe`` all day: the
format has no "not yet published". Queue ``k`` (``k = 0 .. 11`` in the order
``1.1, 1.2, .., 6.2``) of a region with ``n`` groups in order shows the
groups ``floor(k n / 12) .. max(floor(k n / 12), ceil((k + 1) n / 12) - 1)``,
the darkest of them where there are several; a region whose groups are
named ``1.1 .. 6.2`` maps them by name. So 12 groups map one to one, 6 groups
``g`` to queues ``g.1`` and ``g.2``, 3 groups ``g`` to ``(2g-1).1, (2g-1).2,
2g.1, 2g.2``, 4 groups to three queues each, 24 groups two to a queue.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridmodel.contract import DTEK_DIR, DTEK_INDEX, write_json
from gridmodel.errors import OutputError
from gridmodel.schedule.slots import wall_minutes
from gridmodel.schedule.states import EMERGENCY, OFF, ON, POSSIBLE, Schedule

YES, NO, MAYBE, FIRST, SECOND = "yes", "no", "maybe", "first", "second"
#: Cell values of the format.
VALUES: tuple[str, ...] = (YES, NO, MAYBE, FIRST, SECOND)
#: The twelve queues, in order.
QUEUES: tuple[str, ...] = tuple(f"{i}.{j}" for i in range(1, 7) for j in (1, 2))
#: Cell value of each schedule state.
CELL: dict[str, str] = {ON: YES, OFF: NO, POSSIBLE: MAYBE, EMERGENCY: NO}
#: Labels as DTEK publishes them (the reference preset's, verbatim).
DAY_NAMES = ("Понеділок", "Вівторок", "Середа", "Четвер", "П'ятниця", "Субота", "Неділя")
DAY_SHORT = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Нд")
VALUE_NAMES: dict[str, str] = {
    YES: "Світло є",
    MAYBE: "Можливо відключення",
    NO: "Світла немає",
    FIRST: "Світла можливо не буде перші 30 хв.",
    SECOND: "Світла можливо не буде другі 30 хв",
}

_DARKNESS = {ON: 0, POSSIBLE: 1, OFF: 2, EMERGENCY: 3}
_HALF_VALUE = np.array([YES, MAYBE, NO, NO])  # by darkness
_UNKNOWN = -1  # a half hour no slot covers
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{i}" for p in ("com", "lpt") for i in range(10)}
_MAX_STEM = 64


def queue_groups(groups: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Which of a region's groups each of the twelve queues shows.

    Parameters
    ----------
    groups
        The region's group names in order.

    Returns
    -------
    dict
        ``{queue: (group, ...)}`` for the queues ``1.1 .. 6.2``, by the rule
        of the module notes (by name for groups named ``1.1 .. 6.2``).
    """
    if set(groups) == set(QUEUES):
        return {q: (q,) for q in QUEUES}
    n = len(groups)
    out = {}
    for k, queue in enumerate(QUEUES):
        low = k * n // 12
        high = max(low + 1, -(-(k + 1) * n // 12))
        out[queue] = tuple(groups[low:high])
    return out


def hour_cells(halves: np.ndarray) -> list[str]:
    """The 24 cells of a day from the darkness of its 48 half hours.

    ``halves`` holds 0 (on), 1 (possible), 2 (off), 3 (emergency) or -1
    (not covered: shown as possible) per half hour from local midnight.
    """
    values = _HALF_VALUE[np.where(halves < 0, _DARKNESS[POSSIBLE], halves)]
    cells = []
    for first, second in zip(values[0::2], values[1::2], strict=True):
        if first == second:
            cells.append(str(first))
        elif second == YES:
            cells.append(FIRST)
        elif first == YES:
            cells.append(SECOND)
        else:
            cells.append(NO)
    return cells


def half_hours(rows: pd.DataFrame, day: date, tz: str) -> np.ndarray:
    """Darkness of the 48 wall-clock half hours of ``day`` from one group's slots that day."""
    halves = np.full(48, _UNKNOWN, dtype=int)
    for start, end, state in zip(rows["start"], rows["end"], rows["state"], strict=True):
        a = wall_minutes(start, day, tz)
        b = wall_minutes(end, day, tz)
        if b <= a:  # first pass of a repeated wall-clock hour
            b = min(a + int((end - start) / pd.Timedelta(minutes=1)), 1440)
        first, last = a // 30, -(-b // 30)
        halves[first:last] = np.maximum(halves[first:last], _DARKNESS[str(state)])
    return halves


def dtek_presets(schedule: Schedule) -> dict[str, dict[str, Any]]:
    """Every region's schedule as a DTEK weekly preset.

    Returns
    -------
    dict
        ``{region: preset}``, regions in schedule order; a preset is
        ``{"days", "days_mini", "sch_names", "time_zone", "time_type",
        "data"}`` with ``data[queue][weekday][hour]`` one of :data:`VALUES`
        (module notes).
    """
    days = {day.isoweekday(): day for day in schedule.days[:7]}
    table = schedule.table
    starts = {t: t.date() for t in pd.unique(table["start"])}
    table = table.assign(day=[starts[t] for t in table["start"]])
    unknown = np.full(48, _UNKNOWN, dtype=int)
    out = {}
    for region, rows in table.groupby("region", sort=False):
        halves: dict[str, dict[int, np.ndarray]] = {}
        for group, group_rows in rows.groupby("group", sort=False):
            by_day = dict(tuple(group_rows.groupby("day", sort=False)))
            halves[str(group)] = {
                weekday: half_hours(by_day[day], day, schedule.tz)
                for weekday, day in days.items()
                if day in by_day
            }
        data = {}
        for queue, members in queue_groups(list(halves)).items():
            data[queue] = {
                str(weekday): _cells(
                    np.max([halves[g].get(weekday, unknown) for g in members], axis=0)
                )
                for weekday in range(1, 8)
            }
        out[str(region)] = _preset(data)
    return out


def file_names(regions: Sequence[str]) -> dict[str, str]:
    """A safe, distinct file name (``<slug>.json``) for every region name.

    The slug keeps letters and digits (Unicode NFKC, case-folded) and turns
    every other run of characters into ``-``, at most 64 characters; an
    empty or device-like slug (``con``, ``nul``, ..) becomes ``region`` or
    ``con-region``. Names that would collide (``Kyiv`` and ``KYIV``, or
    ``index``) get ``-2``, ``-3``, .. in region order.
    """
    taken = {DTEK_INDEX.removesuffix(".json")}
    out = {}
    for region in regions:
        stem = _slug(region)
        name, n = stem, 2
        while name in taken:
            name, n = f"{stem}-{n}", n + 1
        taken.add(name)
        out[region] = f"{name}.json"
    return out


def write_dtek(schedule: Schedule, out_dir: str | Path) -> list[Path]:
    """Write ``dtek/<region>.json`` per region and ``dtek/index.json`` into ``out_dir``.

    ``index.json`` is ``{"regions": {region: file name}, "weekdays":
    {weekday: ISO date}}``: which file holds which region, and which date
    each weekday of the presets stands for.

    Returns
    -------
    list of Path
        The files written, index last.
    """
    folder = Path(out_dir) / DTEK_DIR
    presets = dtek_presets(schedule)
    names = file_names(list(presets))
    weekdays = {str(d.isoweekday()): d.isoformat() for d in schedule.days[:7]}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for region, preset in presets.items():
            paths.append(folder / names[region])
            write_json(paths[-1], preset)
        paths.append(folder / DTEK_INDEX)
        write_json(paths[-1], {"regions": names, "weekdays": dict(sorted(weekdays.items()))})
    except OSError as exc:
        raise OutputError(
            f"cannot write DTEK presets: {exc.strerror or exc}", file=folder
        ) from None
    return paths


def _cells(halves: np.ndarray) -> dict[str, str]:
    """``{"1": cell, .., "24": cell}`` of a day's 48 half hours."""
    return {str(h): v for h, v in enumerate(hour_cells(halves), start=1)}


def _preset(data: dict[str, dict[str, dict[str, str]]]) -> dict[str, Any]:
    """One preset object with the reference's labels around ``data``."""
    return {
        "days": {str(i): name for i, name in enumerate(DAY_NAMES, start=1)},
        "days_mini": {str(i): name for i, name in enumerate(DAY_SHORT, start=1)},
        "sch_names": {q: f"Черга {q}" for q in QUEUES},
        "time_zone": {str(h + 1): f"{h:02d}-{h + 1:02d}" for h in range(24)},
        "time_type": dict(VALUE_NAMES),
        "data": data,
    }


def _slug(name: str) -> str:
    """Letters and digits of ``name``, case-folded, other runs as ``-`` (see file_names)."""
    text = unicodedata.normalize("NFKC", str(name)).casefold()
    chars = [c if c.isalnum() else "-" for c in text]
    stem = "-".join(part for part in "".join(chars).split("-") if part)[:_MAX_STEM].strip("-")
    if not stem:
        return "region"
    return f"{stem}-region" if stem in _RESERVED else stem
