"""A strike at 07:30 with 4-hour slots, worked out by hand (issue 17): the emergency
starts at the wave's minute, and every output file carries that minute."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridmodel.schedule import (
    ScheduleOptions,
    build_groups,
    deficit_from_timeline,
    group_table,
    rotate,
    write_schedule,
)
from gridmodel.schedule.dtek import dtek_presets
from gridmodel.schedule.slots import hour_starts
from gridmodel.schedule.waves import waves_from_timeline
from tests.schedule.test_schedule_by_hand import DAY, TZ, by_slot, strike_timeline

STRIKE = pd.Timestamp("2022-11-23 07:30", tz=TZ)


def half_past_timeline() -> pd.DataFrame:
    """The 07:00 strike of ``strike_timeline`` moved to 07:30, as a run writes it.

    The timeline holds means over each hour: 04:00-07:30 150 MW supply shortage;
    from 07:30 to 12:00 300 MW dark and 100 MW short. The 07:00 hour is half
    before and half after the wave: 150 MW dark, (150 + 100) / 2 = 125 MW short.
    ``wave_h`` (hours since the wave at each hour's start, 0 in its own hour) is
    0.5 at 08:00.
    """
    frame = strike_timeline()
    struck = frame["region"] == "Struck"
    h = frame["hour"].to_numpy()
    at_seven = struck & (h == 7)
    frame.loc[at_seven, "dark_mw"] = 150.0
    frame.loc[at_seven, "supply_shortage_mw"] = 125.0
    frame["wave_h"] = np.where(h >= 7, np.maximum(h - 7.5, 0.0), np.nan)
    frame["unserved_mw"] = frame["dark_mw"] + frame["supply_shortage_mw"]
    frame["served_mw"] = frame["demand_mw"] - frame["unserved_mw"]
    return frame


def half_past_schedule(waves: list[pd.Timestamp] | None = None, tz: str = TZ):  # type: ignore[no-untyped-def]
    """The deficit and 4-hour schedule of :func:`half_past_timeline` on the wall clock of
    ``tz``."""
    timeline = half_past_timeline()
    if tz != TZ:  # the same wall-clock hours in another zone
        timeline["time"] = hour_starts(DAY, 1, tz).tolist() * 2
    deficit = deficit_from_timeline(timeline, tz=tz, emergency_after_wave_h=4.0, waves=waves)
    groups = build_groups(
        pd.DataFrame({"region": ["Struck", "Spared"], "load_mw": [1000.0, 1000.0]}), groups=6
    )
    options = ScheduleOptions(slot_hours=4, days=1, possible_margin=0.0)
    return deficit, rotate(deficit, groups, options=options, timezone=tz)


def test_the_wave_minute_is_read_back_from_the_timeline() -> None:
    timeline = half_past_timeline()
    times = pd.DatetimeIndex(hour_starts(DAY, 1, TZ).tolist() * 2)
    assert list(waves_from_timeline(timeline, times)) == [STRIKE]
    # a wave on the hour needs no split
    assert len(waves_from_timeline(strike_timeline(), times)) == 0


def test_the_strike_hour_is_split_at_the_wave() -> None:
    deficit, _ = half_past_schedule()
    struck = deficit[deficit["region"] == "Struck"].set_index("time")
    seven, half_past = pd.Timestamp("2022-11-23 07:00", tz=TZ), STRIKE
    # before the wave: as the hour before (150 MW short, nothing dark)
    assert struck.loc[seven, ["deficit_mw", "emergency_share"]].tolist() == pytest.approx(
        [150.0, 0.0]
    )
    # after it: the means of the hour need 0.3 dark ((0.15 - 0.5 x 0) / 0.5) and
    # 100 MW short ((125 - 0.5 x 150) / 0.5), rotatable 1000 - 300 = 700 MW
    assert struck.loc[half_past, ["deficit_mw", "rotatable_mw", "emergency_share"]].tolist() == (
        pytest.approx([100.0, 700.0, 0.3])
    )
    # held at 0.3 in the 4 h after the wave (08:00-11:00 read 0.5 .. 3.5 h)
    assert struck["emergency_share"].iloc[8:13].tolist() == pytest.approx([0.3] * 5)


def test_a_strike_at_half_past_seven_starts_the_emergency_at_half_past_seven() -> None:
    _, schedule = half_past_schedule()
    # The 07:00 hand schedule with the strike 30 minutes later: 04:00-07:30 one group of
    # 1/6 covers the 150 MW short; 07:30 two groups hold the 0.3 dark (2 and 3: group 1
    # has been off), one more (4) the 100 of 700 MW rotatable; 08:00-12:00 group 1 came
    # back at 07:30 (minimum on-time 4 h) and 4 has been off, so group 5 is off.
    assert by_slot(schedule, "Struck") == {
        "00:00-04:00": {},
        "04:00-07:30": {"off": {"1"}},
        "07:30-08:00": {"emergency": {"2", "3"}, "off": {"4"}},
        "08:00-12:00": {"emergency": {"2", "3"}, "off": {"5"}},
        "12:00-16:00": {},
        "16:00-20:00": {},
        "20:00-00:00": {},
    }
    assert by_slot(schedule, "Spared") == {
        f"{h:02d}:00-{(h + 4) % 24:02d}:00": {} for h in range(0, 24, 4)
    }
    # the scenario's wave time given explicitly makes the same schedule
    _, explicit = half_past_schedule([STRIKE])
    assert explicit.table.equals(schedule.table)


def test_a_zone_half_an_hour_off_utc_splits_at_the_same_wall_clock_minute() -> None:
    # Asia/Kolkata is UTC+05:30: its hours start at half past in UTC
    kolkata = "Asia/Kolkata"
    wave = pd.Timestamp("2022-11-23 07:30", tz=kolkata)
    for waves in (None, [wave]):
        _, schedule = half_past_schedule(waves, tz=kolkata)
        assert list(by_slot(schedule, "Struck")) == [
            "00:00-04:00",
            "04:00-07:30",
            "07:30-08:00",
            "08:00-12:00",
            "12:00-16:00",
            "16:00-20:00",
            "20:00-00:00",
        ]
        assert by_slot(schedule, "Struck")["07:30-08:00"] == {
            "emergency": {"2", "3"},
            "off": {"4"},
        }


def test_every_output_carries_the_minute(tmp_path: Path) -> None:
    _, schedule = half_past_schedule()
    write_schedule(schedule, tmp_path)
    table = pd.read_csv(tmp_path / "schedule.csv", dtype=str)
    two = table[(table["region"] == "Struck") & (table["group"] == "2")]
    assert two[two["state"] == "emergency"]["start"].tolist() == [
        "2022-11-23T07:30:00+02:00",
        "2022-11-23T08:00:00+02:00",
    ]
    # the calendar: one emergency event 07:30-12:00 local (05:30-10:00 UTC)
    ics = (tmp_path / "schedule.ics").read_bytes().decode()
    assert "DTSTART:20221123T053000Z\r\nDTEND:20221123T100000Z" in ics
    # Yasno: group 2 dark from minute 450 (07:30) to 720 (12:00)
    yasno = json.loads((tmp_path / "schedule.json").read_text())
    slots = yasno["Struck"]["2"]["today"]["slots"]
    assert [(s["start"], s["end"]) for s in slots if s["type"] != "NotPlanned"] == [(450, 720)]
    # groups.csv: 0.5 + 4 h in emergency; group 1 off 04:00-07:30, 3.5 h
    days = group_table(schedule).set_index(["region", "group"])
    assert days.loc[("Struck", "2"), "emergency_h"] == pytest.approx(4.5)
    assert days.loc[("Struck", "1"), "off_h"] == pytest.approx(3.5)
    # DTEK, hour 8 (07:00-08:00): group 2 (queues 2.1, 2.2) on then dark ('second');
    # group 1 (1.1, 1.2) off then on ('first')
    preset = dtek_presets(schedule)["Struck"]["data"]
    weekday = str(DAY.isoweekday())
    assert preset["2.1"][weekday]["8"] == "second" and preset["2.2"][weekday]["8"] == "second"
    assert preset["1.1"][weekday]["8"] == "first"
    assert preset["2.1"][weekday]["9"] == "no" and preset["1.1"][weekday]["7"] == "no"
