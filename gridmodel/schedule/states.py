"""Slot states of a rolling-outage schedule and the Schedule they make up.

States
------
``on``         power on
``off``        definite outage: the group is switched off to cover the deficit
``possible``   the grey zone of published schedules: the group is next in line
               and goes off if the deficit grows by the schedule's margin (or,
               over Monte Carlo samples, it is off in some samples but not most)
``emergency``  the schedule is not in effect for the group ("emergency
               shutdowns"): it holds part of the region's load that is
               de-energised or shed by under-frequency relays, or the
               region's deficit is larger than rotation can switch (then
               all its groups)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

ON, OFF, POSSIBLE, EMERGENCY = "on", "off", "possible", "emergency"
#: All states, in code order (code ``i`` is ``STATES[i]``).
STATES: tuple[str, ...] = (ON, OFF, POSSIBLE, EMERGENCY)
#: Columns of :attr:`Schedule.table`.
SCHEDULE_COLUMNS: tuple[str, ...] = ("region", "group", "start", "end", "state")


@dataclass(frozen=True, eq=False)
class Schedule:
    """A rolling-outage schedule: the state of every group in every slot.

    Attributes
    ----------
    table
        One row per region, group and slot, sorted by region, group (natural
        order) and start: ``region``, ``group`` (str), ``start`` and ``end``
        (tz-aware local times), ``state`` (one of :data:`STATES`).
    tz
        IANA time zone of the local times.
    slot_hours
        Slot length in wall-clock hours. A region's slot is split where
        its emergency share changes, at a strike wave's minute (a strike at
        07:30 in 4-hour slots: 04:00-07:30 and 07:30-08:00), so regions may
        have different slots.
    policy
        Name of the rotation policy that made it.
    days
        The local dates the schedule covers, in order (the Yasno ``today``
        and ``tomorrow`` are the first two).
    issued
        When the schedule is published: the start of its first day. Exports
        use it for ``updatedOn`` and ``DTSTAMP``, so the same inputs always
        give the same files.
    warnings
        Places where the policy could not keep a rule (minimum on-time
        shortened, deficit too large), in words.
    """

    table: pd.DataFrame
    tz: str
    slot_hours: int
    policy: str
    days: tuple[date, ...]
    issued: pd.Timestamp
    warnings: tuple[str, ...] = ()

    def regions(self) -> list[str]:
        """Region names in order."""
        return list(dict.fromkeys(self.table["region"]))

    def slots(self) -> pd.DataFrame:
        """The distinct slots (``start``, ``end``) in time order."""
        slots = self.table[["start", "end"]].drop_duplicates()
        return slots.sort_values("start").reset_index(drop=True)


def outage_runs(schedule: Schedule) -> pd.DataFrame:
    """Consecutive slots of one group in the same non-``on`` state, merged.

    Returns
    -------
    pandas.DataFrame
        Columns ``region``, ``group``, ``start``, ``end``, ``state``,
        ``duration_h`` (real hours), in schedule order. An outage running over
        midnight is one run.
    """
    table = schedule.table
    key = ["region", "group"]
    same_group = (table[key] == table[key].shift()).all(axis=1)
    joined = (
        same_group
        & (table["state"] == table["state"].shift())
        & (table["start"] == table["end"].shift())
    )
    run_id = (~joined).cumsum()
    runs = table.groupby(run_id, sort=False).agg(
        region=("region", "first"),
        group=("group", "first"),
        start=("start", "first"),
        end=("end", "last"),
        state=("state", "first"),
    )
    runs = runs[runs["state"] != ON].reset_index(drop=True)
    runs["duration_h"] = duration_h(runs)
    return runs


def duration_h(table: pd.DataFrame) -> np.ndarray:
    """Real hours from ``start`` to ``end`` of every row."""
    return (table["end"] - table["start"]).dt.total_seconds().to_numpy(dtype=float) / 3600.0
