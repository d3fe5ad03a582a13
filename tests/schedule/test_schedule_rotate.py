"""Rotation: coverage, fairness, minimum on-time, states, policies, daylight-saving days."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridmodel.errors import OptionError
from gridmodel.schedule import (
    Groups,
    Schedule,
    ScheduleOptions,
    build_groups,
    combine_samples,
    deficit_from_fraction,
    names,
    rotate,
)
from gridmodel.schedule.policies import stage_columns
from gridmodel.schedule.slots import hour_starts

TZ = "Europe/Kyiv"


def one_region(spec: str = "6", load_mw: float = 600.0) -> Groups:
    return build_groups(pd.DataFrame({"region": ["Kyiv"], "load_mw": [load_mw]}), groups=spec)


def constant(groups: Groups, fraction: float, day: date, days: int = 1) -> pd.DataFrame:
    return deficit_from_fraction(fraction, groups, hour_starts(day, days, TZ))


def schedule_options(**fields: Any) -> ScheduleOptions:
    """Schedule options that cover the deficit's days (``days=None``) unless ``days`` is given.

    The ``[schedule]`` section's default is 2 days; these tests build the
    deficit for exactly the days they check.
    """
    return ScheduleOptions(**{"days": None, **fields})


def states(schedule: Schedule) -> pd.DataFrame:
    """Slots x groups table of states (one region)."""
    return schedule.table.pivot(index="start", columns="group", values="state")


def uncovered_hours(schedule: Schedule, groups: Groups, deficit: pd.DataFrame) -> pd.DataFrame:
    """Hours whose deficit the off groups do not cover and that are not emergency.

    Computed from the schedule table alone: an hour belongs to the slot with
    start <= hour < end; the MW off is the off groups' share of the groups not
    in emergency times the hour's rotatable load.
    """
    table = schedule.table.merge(groups.table[["region", "group", "share"]], on=["region", "group"])
    bad = []
    for row in deficit.itertuples(index=False):
        here = table[
            (table["region"] == row.region)
            & (table["start"] <= row.time)
            & (table["end"] > row.time)
        ]
        if here.empty:  # outside the schedule's days
            continue
        if (here["state"] == "emergency").all():
            continue
        # the rotatable load is the load of the groups not in emergency
        scheduled = here.loc[here["state"] != "emergency", "share"].sum()
        off_mw = here.loc[here["state"] == "off", "share"].sum() / scheduled * row.rotatable_mw
        if off_mw < row.deficit_mw - 1e-6:
            bad.append(row)
    return pd.DataFrame(bad)


def gaps_between_outages_h(schedule: Schedule) -> list[float]:
    """On-time between two consecutive outages of the same group, in real hours."""
    gaps = []
    for _, rows in schedule.table.groupby(["region", "group"]):
        off = rows[rows["state"] == "off"].sort_values("start")
        starts, ends = list(off["start"]), list(off["end"])
        for end, nxt in zip(ends[:-1], starts[1:], strict=True):
            if nxt > end:  # a gap (consecutive off slots are one outage)
                gaps.append((nxt - end) / pd.Timedelta(hours=1))
    return gaps


def test_three_groups_one_off_rotates_by_hand() -> None:
    # 3 groups, 1/3 of the load short, 4-h slots: one group off per slot in turn,
    # so group 1 is off 00-04 and 12-16, group 2 04-08 and 16-20, group 3 08-12 and 20-24.
    groups = one_region("3", 900.0)
    schedule = rotate(
        constant(groups, 1 / 3, date(2022, 12, 17)), groups, options=schedule_options()
    )
    table = states(schedule)
    hours = [t.hour for t in table.index]
    assert hours == [0, 4, 8, 12, 16, 20]
    assert [h for h, s in zip(hours, table["1"], strict=True) if s == "off"] == [0, 12]
    assert [h for h, s in zip(hours, table["2"], strict=True) if s == "off"] == [4, 16]
    assert [h for h, s in zip(hours, table["3"], strict=True) if s == "off"] == [8, 20]
    assert schedule.warnings == ()


@pytest.mark.parametrize(
    ("spec", "slot_hours", "fraction"),
    [
        ("3", 4, 1 / 3),  # Kyiv autumn 2022
        ("6", 1, 2 / 6),
        ("6", 2, 3 / 6),
        ("6", 4, 4 / 6),  # more than half off: some outages span two slots
        ("6x2", 4, 5 / 12),
        ("6x2", 1, 0.3),  # 0.3 of 12 subgroups: 4 off (3.6 rounded up)
    ],
)
def test_fair_over_each_day_under_constant_deficit(
    spec: str, slot_hours: int, fraction: float
) -> None:
    groups = one_region(spec)
    deficit = constant(groups, fraction, date(2022, 12, 12), days=7)
    schedule = rotate(deficit, groups, options=schedule_options(slot_hours=slot_hours))
    assert uncovered_hours(schedule, groups, deficit).empty
    table = schedule.table.assign(
        day=[t.date() for t in schedule.table["start"]],
        hours=(schedule.table["end"] - schedule.table["start"]) / pd.Timedelta(hours=1),
    )
    per_day = table[table["state"] == "off"].groupby(["day", "group"])["hours"].sum()
    per_day = per_day.unstack(fill_value=0.0).reindex(columns=groups.labels("Kyiv"), fill_value=0.0)
    spread = per_day.max(axis=1) - per_day.min(axis=1)
    # within one slot of each other, every day
    assert (spread <= slot_hours + 1e-9).all(), per_day
    # default minimum on-time is one slot, and it holds
    assert min(gaps_between_outages_h(schedule), default=np.inf) >= slot_hours


def test_minimum_on_time_is_kept() -> None:
    # 6 groups, a third off, 1-h slots, at least 4 h on between outages. Feasible: each group
    # can be off 2 h then on 4 h (6 groups x 2 h = 12 group-hours per 6 h = 2 groups per hour).
    groups = one_region("6")
    deficit = constant(groups, 2 / 6, date(2022, 12, 12), days=3)
    schedule = rotate(deficit, groups, options=schedule_options(slot_hours=1, min_on_h=4))
    assert schedule.warnings == ()
    assert uncovered_hours(schedule, groups, deficit).empty
    assert min(gaps_between_outages_h(schedule)) >= 4.0


def test_possible_marks_the_next_groups_within_the_margin() -> None:
    groups = one_region("6")  # groups of 1/6 = 0.1667 of the load
    day = date(2022, 12, 17)
    # need 0.25: 2 groups off (0.333); need + 10 % = 0.35 > 0.333: one more is possible
    schedule = rotate(constant(groups, 0.25, day), groups, options=schedule_options())
    counts = schedule.table.groupby("start")["state"].value_counts().unstack(fill_value=0)
    assert counts["off"].eq(2).all() and counts["possible"].eq(1).all()
    # need 0.20: 2 groups off; 0.30 <= 0.333 is still covered, so nothing is possible
    schedule = rotate(constant(groups, 0.20, day), groups, options=schedule_options())
    assert "possible" not in set(schedule.table["state"])
    # no deficit: no possible outages either, whatever the margin
    schedule = rotate(constant(groups, 0.0, day), groups, options=schedule_options())
    assert set(schedule.table["state"]) == {"on"}


def test_emergency_when_flagged_or_too_large() -> None:
    groups = one_region("6")
    deficit = constant(groups, 0.5, date(2022, 11, 23))
    # the whole region dark at 08:00 and 09:00
    deficit.loc[deficit["time"].dt.hour.isin([8, 9]), "emergency_share"] = 1.0
    deficit.loc[deficit["time"].dt.hour == 18, "deficit_mw"] = 700.0  # more than the 600 MW load
    schedule = rotate(deficit, groups, options=schedule_options())
    by_slot = schedule.table.groupby("start")["state"].agg(set)
    hours = {t.hour: s for t, s in by_slot.items()}
    # the 08-12 slot is split where the emergency ends: 08-10 emergency, 10-12 rotated
    assert sorted(hours) == [0, 4, 8, 10, 12, 16, 20]
    assert hours[8] == {"emergency"}
    assert "emergency" not in hours[10]
    assert hours[16] == {"emergency"}  # 16-20 holds the 700 MW hour
    assert hours[0] == {"off", "on", "possible"}
    assert any("larger than rotation can switch" in w for w in schedule.warnings)
    assert uncovered_hours(schedule, groups, deficit).empty


def test_stage_table_is_a_fixed_rotation() -> None:
    assert stage_columns(6) == [0, 3, 1, 4, 2, 5]
    assert stage_columns(3) == [0, 2, 1]
    groups = one_region("6")
    options = schedule_options(policy="stage_table")
    # stage 1 of 6 (one group), 4-h slots: each group exactly once a day ...
    first = rotate(constant(groups, 1 / 6, date(2023, 1, 9), days=2), groups, options=options)
    off = first.table[first.table["state"] == "off"]
    per_day = off.groupby([off["start"].map(lambda t: t.date()), "group"]).size()
    assert per_day.eq(1).all() and len(per_day) == 12
    # ... and the table shifts by one group from day to day (so the night slot changes hands)
    night = off[off["start"].map(lambda t: t.hour) == 0]["group"].tolist()
    assert int(night[1]) == int(night[0]) % 6 + 1
    # the same dates give the same table whatever the schedule's start
    later = rotate(constant(groups, 1 / 6, date(2023, 1, 10)), groups, options=options)
    day2 = first.table[first.table["start"].map(lambda t: t.date()) == date(2023, 1, 10)]
    assert day2["state"].tolist() == later.table["state"].tolist()


def test_priority_never_rotates_protected_groups() -> None:
    groups = one_region("6")
    options = schedule_options(policy="priority", protected_groups=("Kyiv:1",))
    schedule = rotate(constant(groups, 0.5, date(2022, 12, 17)), groups, options=options)
    protected = schedule.table[schedule.table["group"] == "1"]
    assert set(protected["state"]) == {"on"}
    # 5 unprotected groups cannot cover 0.9 of the load: emergency, never group 1 off
    schedule = rotate(constant(groups, 0.9, date(2022, 12, 17)), groups, options=options)
    assert set(schedule.table["state"]) == {"emergency"}
    with pytest.raises(OptionError, match="protected group"):
        rotate(
            constant(groups, 0.5, date(2022, 12, 17)),
            groups,
            options=schedule_options(policy="priority", protected_groups=("7",)),
        )


def test_unknown_policy_lists_the_valid_ones() -> None:
    groups = one_region("3")
    with pytest.raises(OptionError) as info:
        rotate(
            constant(groups, 0.3, date(2022, 12, 17)), groups, options=schedule_options(policy="x")
        )
    assert info.value.allowed == "fair_rotation, priority, stage_table"


@pytest.mark.parametrize("policy", names())
def test_every_policy_covers_or_declares_emergency(policy: str) -> None:
    """Contract of the registry: whatever the policy, no hour is left uncovered."""
    groups = build_groups(
        pd.DataFrame({"region": ["A", "B"], "load_mw": [600.0, 300.0], "groups": ["6", "3"]})
    )
    hours = hour_starts(date(2022, 12, 17), 2, TZ)
    rng = np.random.default_rng(5)
    deficit = deficit_from_fraction(0.0, groups, hours)
    deficit["deficit_mw"] = rng.uniform(0, 1.1, len(deficit)) * deficit["rotatable_mw"]
    schedule = rotate(deficit, groups, options=schedule_options(policy=policy, slot_hours=2))
    assert uncovered_hours(schedule, groups, deficit).empty
    assert set(schedule.table["state"]) <= {"on", "off", "possible", "emergency"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shares=st.lists(st.floats(0.0, 1.3), min_size=24, max_size=24),
    dark=st.lists(st.sampled_from([0.0, 0.1, 0.3, 0.5, 1.0]), min_size=24, max_size=24),
    spec=st.sampled_from(["3", "6", "6x2"]),
    slot_hours=st.sampled_from([1, 2, 4]),
    policy=st.sampled_from(["fair_rotation", "stage_table", "priority"]),
)
def test_random_deficits_are_covered_or_emergency(
    shares: list[float], dark: list[float], spec: str, slot_hours: int, policy: str
) -> None:
    groups = one_region(spec)
    deficit = constant(groups, 0.0, date(2022, 10, 30))  # a 25-hour day
    fractions = np.array(shares + shares[:1])
    deficit["deficit_mw"] = fractions * 600.0
    deficit["emergency_share"] = np.array(dark + dark[:1])
    protected = ("2.1",) if spec == "6x2" else ("2",)
    options = schedule_options(policy=policy, slot_hours=slot_hours, protected_groups=protected)
    schedule = rotate(deficit, groups, options=options)
    assert uncovered_hours(schedule, groups, deficit).empty
    # the groups in emergency hold at least the hour's dark share, and emergency is
    # never shown in an hour without it unless the deficit is too large to rotate
    table = schedule.table.merge(groups.table[["region", "group", "share"]])
    for row in deficit.itertuples(index=False):
        here = table[(table["start"] <= row.time) & (table["end"] > row.time)]
        in_emergency = here.loc[here["state"] == "emergency", "share"].sum()
        assert in_emergency >= row.emergency_share - 1e-9
        if row.emergency_share == 0 and in_emergency > 0:
            assert in_emergency == pytest.approx(1.0)


def test_dst_fall_back_day_has_25_hours() -> None:
    groups = one_region("3")
    day = date(2022, 10, 30)  # Kyiv: 04:00 EEST (+03:00) becomes 03:00 EET (+02:00)
    hourly = rotate(
        constant(groups, 1 / 3, day), groups, options=schedule_options(slot_hours=1, days=1)
    )
    slots = hourly.slots()
    assert len(slots) == 25
    starts = [t.isoformat() for t in slots["start"]]
    assert starts[2:6] == [
        "2022-10-30T02:00:00+03:00",
        "2022-10-30T03:00:00+03:00",
        "2022-10-30T03:00:00+02:00",
        "2022-10-30T04:00:00+02:00",
    ]
    assert slots["end"].iloc[-1].isoformat() == "2022-10-31T00:00:00+02:00"
    blocks = rotate(constant(groups, 1 / 3, day), groups, options=schedule_options(days=1)).slots()
    lengths = ((blocks["end"] - blocks["start"]) / pd.Timedelta(hours=1)).tolist()
    # the wall-clock block 00:00-04:00 lasts five real hours
    assert lengths == [5, 4, 4, 4, 4, 4]
    assert blocks["end"].iloc[0].isoformat() == "2022-10-30T04:00:00+02:00"


def test_dst_spring_forward_day_has_23_hours() -> None:
    groups = one_region("3")
    day = date(2023, 3, 26)  # Kyiv: 03:00 EET (+02:00) becomes 04:00 EEST (+03:00)
    hourly = rotate(
        constant(groups, 1 / 3, day), groups, options=schedule_options(slot_hours=1, days=1)
    ).slots()
    assert len(hourly) == 23
    skipped = hourly[hourly["start"].map(lambda t: t.hour) == 2].iloc[0]
    assert skipped["start"].isoformat() == "2023-03-26T02:00:00+02:00"
    assert skipped["end"].isoformat() == "2023-03-26T04:00:00+03:00"
    assert skipped["end"] - skipped["start"] == timedelta(hours=1)
    blocks = rotate(
        constant(groups, 1 / 3, day), groups, options=schedule_options(slot_hours=2, days=1)
    ).slots()
    lengths = ((blocks["end"] - blocks["start"]) / pd.Timedelta(hours=1)).tolist()
    assert lengths == [2, 1] + [2] * 10


def test_combine_samples_majority_and_grey_zone() -> None:
    groups = one_region("3", 900.0)
    day = date(2022, 12, 17)
    options = schedule_options(days=1, possible_margin=0.0)
    samples = [
        rotate(constant(groups, f, day), groups, options=options) for f in (1 / 3, 1 / 3, 0.0)
    ]
    combined = combine_samples(samples)
    first = samples[0].table["state"].to_numpy()
    # off in 2 of 3 samples -> off; on where every sample is on
    assert (combined.table["state"].to_numpy() == first).all()
    samples = [rotate(constant(groups, f, day), groups, options=options) for f in (1 / 3, 0.0, 0.0)]
    combined = combine_samples(samples)
    # off in 1 of 3 -> possible
    expected = np.where(samples[0].table["state"] == "off", "possible", "on")
    assert (combined.table["state"].to_numpy() == expected).all()
    other = rotate(constant(groups, 0.0, day), groups, options=schedule_options(days=2))
    with pytest.raises(OptionError, match="samples differ"):
        combine_samples([samples[0], other])
