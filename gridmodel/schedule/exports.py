"""Schedule files other programs read: CSV, Yasno JSON, iCalendar, per-group table.

``schedule.csv``
    ``region, group, start, end, state``: one row per group and slot, ISO 8601
    local times with their UTC offset. A cell that a spreadsheet would run as
    a formula (starting with ``= + - @``, tab or carriage return) gets a
    leading apostrophe.
``schedule.json``
    ``{region: {group: {"today", "tomorrow", "updatedOn"}}}``, each day in the
    Yasno planned-outages shape (DOMAIN.md), see :func:`yasno_json`.
``schedule.ics``
    RFC 5545 calendar, one event per outage (:mod:`gridmodel.schedule.calendar`).
``groups.csv``
    Per region, group and day: hours off, possible and emergency, number of
    outages under way that day (one that began the evening before counts too)
    and the longest one, whole (:func:`group_table`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridmodel.contract import GROUPS_FILE, SCHEDULE_CSV, SCHEDULE_ICS, SCHEDULE_JSON
from gridmodel.errors import OutputError
from gridmodel.outputs import safe_cell, safe_csv
from gridmodel.schedule.calendar import to_ics
from gridmodel.schedule.slots import day_start, wall_minutes
from gridmodel.schedule.states import (
    EMERGENCY,
    OFF,
    ON,
    POSSIBLE,
    Schedule,
    duration_h,
    outage_runs,
)

#: Yasno slot type of each state. The planned-outages format knows only
#: ``Definite`` and ``NotPlanned``: an emergency hour is ``Definite`` (the
#: power may be off at any moment, and the day's status says
#: ``EmergencyShutdowns``), a possible outage is ``NotPlanned`` (not planned
#: unless the shortage grows; Yasno publishes those separately).
YASNO_TYPE: dict[str, str] = {
    ON: "NotPlanned",
    POSSIBLE: "NotPlanned",
    OFF: "Definite",
    EMERGENCY: "Definite",
}
FILES: tuple[str, ...] = (SCHEDULE_CSV, SCHEDULE_JSON, SCHEDULE_ICS, GROUPS_FILE)
# When two slots share wall-clock minutes (the repeated hour of a fall-back
# day), the darker state wins.
_DARKNESS = {ON: 0, POSSIBLE: 1, OFF: 2, EMERGENCY: 3}


def csv_table(schedule: Schedule) -> pd.DataFrame:
    """The schedule as written to ``schedule.csv`` (all cells strings)."""
    table = schedule.table
    return pd.DataFrame(
        {
            "region": [safe_cell(str(v)) for v in table["region"]],
            "group": [safe_cell(str(v)) for v in table["group"]],
            "start": _each(table["start"], pd.Timestamp.isoformat),
            "end": _each(table["end"], pd.Timestamp.isoformat),
            "state": table["state"].astype(str).to_numpy(),
        }
    )


def yasno_json(schedule: Schedule) -> dict[str, dict[str, dict[str, Any]]]:
    """The schedule in the Yasno planned-outages shape, per region.

    Returns
    -------
    dict
        ``{region: {group: {"today": day, "tomorrow": day, "updatedOn": iso}}}``
        where ``today`` and ``tomorrow`` are the schedule's first two days and
        a day is ``{"date": iso local midnight, "status": ..., "slots": [...]}``.
        Slots cover the day from minute 0 to 1440 of the *wall clock*
        (``03:00`` is 180, as apps rebuild times with ``hour = minutes // 60``),
        adjacent slots of the same type merged; on a fall-back day the
        repeated hour shows its darker state. ``type`` follows
        :data:`YASNO_TYPE`. ``status``: ``EmergencyShutdowns`` if the group
        has an emergency slot that day, else ``ScheduleApplies`` if it has an
        outage or possible outage, else ``NoOutages``; a day beyond the
        schedule is ``WaitingForSchedule`` with no slots. ``updatedOn`` is
        the schedule's issue time.
    """
    days = list(schedule.days[:2])
    while len(days) < 2:
        days.append(days[-1] + timedelta(days=1))
    covered = set(schedule.days)
    updated = schedule.issued.isoformat()
    table = schedule.table.assign(day=_each(schedule.table["start"], pd.Timestamp.date))
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for (region, group), rows in table.groupby(["region", "group"], sort=False):
        entry: dict[str, Any] = {}
        for key, day in zip(("today", "tomorrow"), days, strict=True):
            if day in covered:
                entry[key] = _yasno_day(rows[rows["day"] == day], day, schedule.tz)
            else:
                entry[key] = {
                    "date": day_start(day, schedule.tz).isoformat(),
                    "status": "WaitingForSchedule",
                    "slots": [],
                }
        entry["updatedOn"] = updated
        out.setdefault(str(region), {})[str(group)] = entry
    return out


def group_table(schedule: Schedule) -> pd.DataFrame:
    """Per region, group and local day: how much each group is off.

    Returns
    -------
    pandas.DataFrame
        ``region``, ``group``, ``date`` (ISO), ``off_h``, ``possible_h``,
        ``emergency_h`` (real hours in that state that day), ``outages``
        (definite outages under way that day, consecutive off slots counted
        once: an outage from 20:00 to 08:00 counts on both days) and
        ``longest_off_h`` (the longest of them, its whole length, the hours
        before and after midnight included; 0 without outages).
    """
    table = schedule.table
    keys = ["region", "group", "date"]
    base = table.assign(date=_each(table["start"], _iso_date), hours=duration_h(table))
    sums = base.pivot_table(
        index=keys, columns="state", values="hours", aggfunc="sum", fill_value=0.0, sort=False
    )
    per_day = sums.reindex(columns=[OFF, POSSIBLE, EMERGENCY], fill_value=0.0).astype(float)
    per_day.columns = pd.Index(["off_h", "possible_h", "emergency_h"])
    runs = outage_runs(schedule)
    runs = runs[runs["state"] == OFF]
    # one row per run and local day it touches: from its start's date to its last instant's
    last = runs["end"] - pd.Timedelta(microseconds=1)
    days = [
        [(first + timedelta(days=i)).isoformat() for i in range((end - first).days + 1)]
        for first, end in zip(
            _each(runs["start"], pd.Timestamp.date), _each(last, pd.Timestamp.date), strict=True
        )
    ]
    runs = runs.assign(date=pd.Series(days, index=runs.index, dtype=object)).explode("date")
    stats = runs.groupby(keys, sort=False)["duration_h"].agg(outages="count", longest_off_h="max")
    per_day = per_day.join(stats).fillna({"outages": 0, "longest_off_h": 0.0})
    per_day["outages"] = per_day["outages"].astype(int)
    return per_day.reset_index()


def write_schedule(schedule: Schedule, out_dir: str | Path) -> list[Path]:
    """Write ``schedule.csv``, ``schedule.json``, ``schedule.ics`` and ``groups.csv``.

    The folder is created if needed; existing files of these names are
    replaced. For an all-or-nothing folder, write into
    :func:`gridmodel.outputs.atomic_output_dir`.

    Returns
    -------
    list of Path
        The files written.
    """
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / name for name in FILES]
        csv_table(schedule).to_csv(paths[0], index=False)
        text = json.dumps(yasno_json(schedule), ensure_ascii=False, indent=1)
        paths[1].write_text(text + "\n", encoding="utf-8")
        paths[2].write_bytes(to_ics(schedule).encode("utf-8"))
        groups = group_table(schedule)
        groups["region"] = groups["region"].astype(str)
        groups["group"] = groups["group"].astype(str)
        safe_csv(groups, paths[3], float_format="%.6g")
    except OSError as exc:
        raise OutputError(f"cannot write schedule: {exc.strerror or exc}", file=folder) from None
    return paths


def _each(times: pd.Series, convert: Callable[[pd.Timestamp], Any]) -> list[Any]:
    """``convert`` applied to every time, computed once per distinct time (slots repeat)."""
    done = {t: convert(t) for t in pd.unique(times)}
    return [done[t] for t in times]


def _iso_date(instant: pd.Timestamp) -> str:
    return instant.date().isoformat()


def _yasno_day(rows: pd.DataFrame, day: date, tz: str) -> dict[str, Any]:
    """One day of one group in the Yasno shape."""
    darkness = np.zeros(1440, dtype=int)
    for start, end, state in zip(rows["start"], rows["end"], rows["state"], strict=True):
        a = wall_minutes(start, day, tz)
        b = wall_minutes(end, day, tz)
        if b <= a:  # first pass of a repeated wall-clock hour: 03:00+03:00 to 03:00+02:00
            b = min(a + int((end - start) / pd.Timedelta(minutes=1)), 1440)
        darkness[a:b] = np.maximum(darkness[a:b], _DARKNESS[state])
    dark_types = np.array([YASNO_TYPE[s] for s in sorted(_DARKNESS, key=_DARKNESS.__getitem__)])
    types = dark_types[darkness]
    cuts = [0, *(np.flatnonzero(types[1:] != types[:-1]) + 1).tolist(), 1440]
    slots = [{"start": a, "end": b, "type": str(types[a])} for a, b in itertools.pairwise(cuts)]
    states = set(rows["state"])
    if EMERGENCY in states:
        status = "EmergencyShutdowns"
    elif states & {OFF, POSSIBLE}:
        status = "ScheduleApplies"
    else:
        status = "NoOutages"
    return {"date": day_start(day, tz).isoformat(), "status": status, "slots": slots}
