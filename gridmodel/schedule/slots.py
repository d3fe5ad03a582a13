"""Local-time slot grids for rolling-outage schedules.

Published schedules are written on the local wall clock ("04:00-08:00"), so
slot boundaries are the instants whose local wall time is a multiple of the
slot length, starting at local midnight.

Daylight-saving days
--------------------
The rule "a boundary wherever the local wall clock reads a multiple of the slot
length" decides what happens on a daylight-saving change day:

- a skipped wall time gives no boundary: on 2023-03-26 in Europe/Kyiv (03:00
  EET jumps to 04:00 EEST) the 1-hour slot 02:00-04:00 lasts one real hour and
  the 4-hour slot 00:00-04:00 lasts three, the day has 23 real hours;
- a repeated wall time gives two boundaries: on 2022-10-30 (04:00 EEST falls
  back to 03:00 EET) 1-hour slots are 03:00+03:00-03:00+02:00 and
  03:00+02:00-04:00+02:00 (25 one-hour slots), while the 4-hour slot
  00:00-04:00 lasts five real hours.

Every slot therefore still starts and ends on the wall-clock grid a published
table shows, and the slots of a day always add up to its real length.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from numbers import Integral
from zoneinfo import ZoneInfo

import pandas as pd

from gridmodel.errors import OptionError
from gridmodel.schema import TIMEZONE_ALLOWED, is_timezone

#: Slot lengths (hours) a schedule may use.
SLOT_HOURS: tuple[int, ...] = (1, 2, 4)

#: Most days one schedule covers (a leap year).
MAX_DAYS = 366
#: Most group-slots (groups of all regions x slots) one schedule holds: a year of
#: 1-h slots for 22 groups, of 4-h slots for 91; 24 regions of 6x2 groups for 28
#: days of 1-h slots or 115 days of 4-h slots (written in well under a minute).
MAX_GROUP_SLOTS = 200_000


def zone(name: str) -> ZoneInfo:
    """Return the IANA time zone ``name``.

    Raises
    ------
    OptionError
        If the zone is unknown (for example ``"Europe/Kiev "`` with a space).
    """
    if not is_timezone(name):
        shown = name if not isinstance(name, str) or len(name) <= 60 else name[:57] + "..."
        raise OptionError(f"unknown time zone {shown!r}", field="tz", allowed=TIMEZONE_ALLOWED)
    return ZoneInfo(name)


def check_slot_hours(slot_hours: int) -> int:
    """Return ``slot_hours`` if it is an allowed slot length, else raise OptionError."""
    if slot_hours not in SLOT_HOURS:
        raise OptionError(
            f"slot length {slot_hours!r} h is not supported",
            field="slot_hours",
            allowed=", ".join(str(h) for h in SLOT_HOURS),
        )
    return slot_hours


def check_days(days: int) -> int:
    """Return ``days`` if it is a whole number of days from 1 to 366, else raise OptionError."""
    if isinstance(days, bool) or not isinstance(days, Integral) or not 1 <= days <= MAX_DAYS:
        raise OptionError(f"bad number of days {days!r}", field="days", allowed=f"1 to {MAX_DAYS}")
    return days


def day_start(day: date, tz: str) -> pd.Timestamp:
    """The instant of local midnight that starts ``day`` in zone ``tz``."""
    local = datetime.combine(day, time(0), tzinfo=zone(tz))
    return pd.Timestamp(local).tz_convert("UTC").tz_convert(tz)


def hour_starts(start: date, days: int, tz: str) -> pd.DatetimeIndex:
    """Start of every real hour from local midnight of ``start`` for ``days`` days.

    A day with a daylight-saving change has 23 or 25 entries.
    """
    check_days(days)
    first = day_start(start, tz)
    last = day_start(start + timedelta(days=days), tz)
    hours = pd.date_range(first.tz_convert("UTC"), last.tz_convert("UTC"), freq="h")
    return hours[:-1].tz_convert(tz)


def slot_bounds(start: date, days: int, slot_hours: int, tz: str) -> pd.DatetimeIndex:
    """Boundaries of the slots of ``days`` local days from ``start``.

    Parameters
    ----------
    start
        First local date.
    days
        Number of local days (>= 1).
    slot_hours
        Slot length in wall-clock hours (one of :data:`SLOT_HOURS`).
    tz
        IANA time zone name.

    Returns
    -------
    pandas.DatetimeIndex
        Strictly increasing tz-aware instants, first local midnight of
        ``start`` to local midnight after the last day; slot ``i`` is
        ``[bounds[i], bounds[i + 1])``. See the module notes for
        daylight-saving days.
    """
    check_slot_hours(slot_hours)
    check_days(days)
    first = day_start(start, tz)
    last = day_start(start + timedelta(days=days), tz)
    hours = pd.date_range(first.tz_convert("UTC"), last.tz_convert("UTC"), freq="h").tz_convert(tz)
    on_grid = (hours.hour % slot_hours == 0) & (hours.minute == 0)
    bounds = hours[on_grid].union(pd.DatetimeIndex([first, last]))
    return bounds.tz_convert(tz)


def wall_minutes(instant: pd.Timestamp, day: date, tz: str) -> int:
    """Wall-clock minutes of ``instant`` from the local midnight of ``day`` (0..1440).

    An instant on the next day's midnight gives 1440. Wall-clock minutes are
    what outage apps read: ``03:00`` is 180 on every day, including both
    03:00 hours of a fall-back day.
    """
    local = instant.tz_convert(tz)
    if local.date() > day:
        return 1440
    return local.hour * 60 + local.minute


def check_size(groups: int, days: int, slot_hours: int) -> None:
    """Refuse a schedule of more than :data:`MAX_GROUP_SLOTS` group-slots.

    Every group of every region has a row per slot in ``schedule.csv`` and an
    entry in the other exports, so the size of the schedule, not any one
    option, decides how long it takes (measured: 194,000 group-slots in 47 s
    on two busy cores, against 205 s for 1,000,000).

    Raises
    ------
    OptionError
        Naming the size and what to change.
    """
    cells = groups * days * (24 // slot_hours)
    if cells > MAX_GROUP_SLOTS:
        raise OptionError(
            f"the schedule would have {cells:,} group-slots ({groups:,} groups x {days} days "
            f"x {24 // slot_hours} slots a day)",
            field="days",
            allowed=f"at most {MAX_GROUP_SLOTS:,} group-slots: fewer days, longer slots "
            "or fewer groups",
        )
