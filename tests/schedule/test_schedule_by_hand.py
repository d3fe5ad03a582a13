"""Schedules worked out by hand (issue 17): a strike at 07:00 with 4-hour slots, a
3-group region under 2.5 queues, and an outage that crosses midnight."""

from __future__ import annotations

import warnings
from datetime import date

import numpy as np
import pandas as pd
import pytest

from gridmodel.schedule import (
    Schedule,
    ScheduleOptions,
    build_groups,
    deficit_from_queues,
    deficit_from_timeline,
    group_table,
    rotate,
)
from gridmodel.schedule.slots import day_start, hour_starts

TZ = "Europe/Kyiv"
DAY = date(2022, 11, 23)


def strike_timeline() -> pd.DataFrame:
    """One day of two regions of 1000 MW, no critical load; a strike wave at 07:00.

    Struck: 150 MW supply shortage 04:00-07:00; from the strike 300 MW dark and
    100 MW short until 12:00. Spared: struck by nothing, all served.
    """
    hours = hour_starts(DAY, 1, TZ)
    h = np.arange(24)
    struck = (h >= 7) & (h < 12)
    frame = pd.DataFrame(
        {
            "hour": h,
            "time": hours,
            "region": "Struck",
            "demand_mw": 1000.0,
            "dark_mw": np.where(struck, 300.0, 0.0),
            "network_limited_mw": 0.0,
            "supply_shortage_mw": np.where(struck, 100.0, np.where(h >= 4, 150.0, 0.0) * (h < 7)),
            "ufls_mw": 0.0,
            "critical_mw": 0.0,
            "wave_h": np.where(h >= 7, h - 7.0, np.nan),
        }
    )
    frame["unserved_mw"] = frame["dark_mw"] + frame["supply_shortage_mw"]
    frame["served_mw"] = frame["demand_mw"] - frame["unserved_mw"]
    spared = frame.assign(region="Spared", served_mw=1000.0)
    for column in ("unserved_mw", "dark_mw", "supply_shortage_mw"):
        spared[column] = 0.0
    return pd.concat([frame, spared], ignore_index=True)


def by_slot(schedule: Schedule, region: str) -> dict[str, dict[str, set[str]]]:
    """``{"HH:MM-HH:MM": {state: groups}}`` of one region (states other than on)."""
    rows = schedule.table[schedule.table["region"] == region]
    out: dict[str, dict[str, set[str]]] = {}
    for row in rows.itertuples(index=False):
        key = f"{row.start:%H:%M}-{row.end:%H:%M}"
        states = out.setdefault(key, {})
        if row.state != "on":
            states.setdefault(row.state, set()).add(row.group)
    return out


def test_strike_at_seven_splits_the_four_hour_slot_and_covers_only_the_dark_share() -> None:
    deficit = deficit_from_timeline(strike_timeline(), tz=TZ, emergency_after_wave_h=4.0)
    # dark 300 of 1000 MW from 07:00 to 12:00 (the 4-h window after the wave lies inside)
    struck = deficit[deficit["region"] == "Struck"]
    struck = struck.set_index(struck["time"].dt.hour)
    assert struck["emergency_share"].to_dict() == {
        h: pytest.approx(0.3 if 7 <= h < 12 else 0.0) for h in range(24)
    }
    groups = build_groups(
        pd.DataFrame({"region": ["Struck", "Spared"], "load_mw": [1000.0, 1000.0]}), groups=6
    )
    options = ScheduleOptions(slot_hours=4, days=1, possible_margin=0.0)
    schedule = rotate(deficit, groups, options=options, timezone=TZ)
    # 04:00-07:00: 150 of 1000 MW short, one group of 1/6 off (groups rank 1, 2, ... on a tie).
    # 07:00: 0.3 dark is two groups of 1/6 in emergency (the fairest: 2 and 3, group 1 has
    # been off); the other four hold the 700 MW rotatable load, 100 MW of it is one more
    # group (4). 08:00-12:00: groups 2 and 3 stay in emergency; group 4 has been off, group 1
    # came back at 07:00 (minimum on-time 4 h), so group 5 is off.
    assert by_slot(schedule, "Struck") == {
        "00:00-04:00": {},
        "04:00-07:00": {"off": {"1"}},
        "07:00-08:00": {"emergency": {"2", "3"}, "off": {"4"}},
        "08:00-12:00": {"emergency": {"2", "3"}, "off": {"5"}},
        "12:00-16:00": {},
        "16:00-20:00": {},
        "20:00-00:00": {},
    }
    # the region whose load is served is neither split nor in emergency
    assert by_slot(schedule, "Spared") == {
        f"{h:02d}:00-{(h + 4) % 24:02d}:00": {} for h in range(0, 24, 4)
    }


def test_groups_dark_after_a_wave_stay_in_emergency_for_the_window() -> None:
    # The struck region's 300 MW come back at 08:00: with a 4-h window after the 07:00
    # wave the share stays 0.3 until 11:00, then drops to the hour's own (0).
    timeline = strike_timeline()
    timeline.loc[timeline["hour"] >= 8, "dark_mw"] = 0.0
    deficit = deficit_from_timeline(timeline, tz=TZ, emergency_after_wave_h=4.0)
    share = deficit[deficit["region"] == "Struck"]
    share = share.set_index(share["time"].dt.hour)
    assert share["emergency_share"].iloc[6:13].tolist() == pytest.approx(
        [0.0, 0.3, 0.3, 0.3, 0.3, 0.0, 0.0]
    )


def test_three_group_region_under_two_and_a_half_queues() -> None:
    groups = build_groups(pd.DataFrame({"region": ["Kyiv city"], "load_mw": [900.0]}), groups=3)
    queues = pd.DataFrame({"time": hour_starts(DAY, 1, TZ), "queues": 2.5})
    deficit = deficit_from_queues(queues, groups)
    # 2.5 of 6 queues: 2.5/6 of 900 MW = 375 MW (1.25 of the 3 groups' load), not 2.5 groups
    assert deficit["deficit_mw"].to_numpy() == pytest.approx(np.full(24, 375.0))
    schedule = rotate(deficit, groups, options=ScheduleOptions(slot_hours=4, days=1), timezone=TZ)
    # Whole groups of 300 MW: two off in every slot (600 MW), taking turns by hours off,
    # then least recently off: {1,2}, {3,1}, {2,3}, and again. No possible groups (two
    # groups already cover 375 MW + the 10 % margin).
    table = schedule.table.pivot(index="start", columns="group", values="state")
    off = [sorted(g for g in "123" if table.loc[t, g] == "off") for t in table.index]
    assert off == [["1", "2"], ["1", "3"], ["2", "3"], ["1", "2"], ["1", "3"], ["2", "3"]]
    assert set(schedule.table["state"]) == {"on", "off"}
    # every group has 8 h of guaranteed power a day, none is off 24 h
    days = group_table(schedule).set_index("group")
    assert days["off_h"].to_dict() == {"1": 16.0, "2": 16.0, "3": 16.0}
    # group 1 off 00-08 and 12-20; group 2 00-04, 08-16, 20-24; group 3 04-12, 16-24
    assert days["outages"].to_dict() == {"1": 2, "2": 3, "3": 2}
    assert days["longest_off_h"].to_dict() == {"1": 8.0, "2": 8.0, "3": 8.0}


def test_six_groups_have_guaranteed_power_every_day_under_two_and_a_half_queues() -> None:
    # 2.5 of 6 queues with 6 groups: 3 groups off, 1 possible (the 10 % margin) per slot.
    # The possible slot rotates too, so no group is off and possible by turns all day.
    groups = build_groups(pd.DataFrame({"region": ["Lviv"], "load_mw": [600.0]}), groups=6)
    queues = pd.DataFrame({"time": hour_starts(DAY, 2, TZ), "queues": 2.5})
    schedule = rotate(
        deficit_from_queues(queues, groups),
        groups,
        options=ScheduleOptions(slot_hours=4, days=2),
        timezone=TZ,
    )
    table = schedule.table.assign(day=schedule.table["start"].dt.date)
    on_h = table[table["state"] == "on"].groupby(["group", "day"]).size() * 4
    assert len(on_h) == 12  # every group, both days
    assert (on_h == 8).all()  # 6 slots: 3 off, 1 possible, 2 on


def test_an_outage_across_midnight_counts_on_both_days() -> None:
    # Group 1 is off 20:00 on the 17th to 08:00 on the 18th (12 h), group 2 never.
    first, second = date(2022, 12, 17), date(2022, 12, 18)
    bounds = pd.date_range(day_start(first, TZ), day_start(date(2022, 12, 19), TZ), freq="4h")
    starts, ends = bounds[:-1], bounds[1:]
    off = {(first, 20), (second, 0), (second, 4)}
    rows = [
        {
            "region": "Kyiv",
            "group": group,
            "start": s,
            "end": e,
            "state": "off" if group == "1" and (s.date(), s.hour) in off else "on",
        }
        for group in ("1", "2")
        for s, e in zip(starts, ends, strict=True)
    ]
    schedule = Schedule(
        table=pd.DataFrame(rows),
        tz=TZ,
        slot_hours=4,
        policy="fair_rotation",
        days=(first, second),
        issued=bounds[0],
    )
    days = group_table(schedule).set_index(["group", "date"])
    one = days.loc["1"]
    assert one.loc["2022-12-17", ["off_h", "outages", "longest_off_h"]].tolist() == [4, 1, 12]
    # the day the outage continues: 8 h off, in one outage that lasts 12 h in all
    assert one.loc["2022-12-18", ["off_h", "outages", "longest_off_h"]].tolist() == [8, 1, 12]
    two = days.loc["2"]
    assert two[["off_h", "outages", "longest_off_h"]].to_numpy().sum() == 0


def test_a_dark_share_that_rounds_up_to_every_group_is_emergency_without_a_warning() -> None:
    # 95 % of a 6-group region dark for one hour: ceil(0.95 x 6) = 6 groups in
    # emergency; no group is left to rotate, so nothing is "uncovered" either
    hours = hour_starts(DAY, 1, TZ)
    h = np.arange(24)
    timeline = pd.DataFrame(
        {
            "hour": h,
            "time": hours,
            "region": "Dark",
            "demand_mw": 1000.0,
            "dark_mw": np.where(h == 10, 950.0, 0.0),
            "network_limited_mw": np.where(h == 10, 50.0, 0.0),
            "supply_shortage_mw": 0.0,
            "ufls_mw": 0.0,
            "critical_mw": 0.0,
            "wave_h": np.nan,
        }
    )
    timeline["unserved_mw"] = timeline["dark_mw"] + timeline["network_limited_mw"]
    timeline["served_mw"] = timeline["demand_mw"] - timeline["unserved_mw"]
    deficit = deficit_from_timeline(timeline, tz=TZ, emergency_after_wave_h=0.0)
    groups = build_groups(pd.DataFrame({"region": ["Dark"], "load_mw": [1000.0]}), groups=6)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from inf x 0
        schedule = rotate(
            deficit, groups, options=ScheduleOptions(slot_hours=1, days=1), timezone=TZ
        )
    states = by_slot(schedule, "Dark")
    assert states["10:00-11:00"] == {"emergency": {"1", "2", "3", "4", "5", "6"}}
    assert not any("larger than" in w for w in schedule.warnings)
