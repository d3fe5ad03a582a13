"""Monte Carlo samples whose slots are split at different instants, combined by hand."""

from __future__ import annotations

import itertools
from datetime import date

import pandas as pd
import pytest

from gridmodel.errors import OptionError
from gridmodel.schedule import Schedule, combine_samples
from gridmodel.schedule.slots import day_start
from tests.schedule.test_schedule_by_hand import by_slot
from tests.schedule.test_schedule_wave_minute import half_past_schedule

TZ = "Europe/Kyiv"
DAY = date(2022, 12, 17)


def one_group(off: list[tuple[str, str]], *, splits: tuple[str, ...] = ()) -> Schedule:
    """Region R, group 1, 4-hour slots of ``DAY`` split at ``splits`` (``"HH:MM"``);
    off in the slots ``(start, end)`` listed, on elsewhere."""
    start = day_start(DAY, TZ)
    grid = pd.date_range(start, periods=7, freq="4h")
    extra = pd.DatetimeIndex([pd.Timestamp(f"{DAY} {s}", tz=TZ) for s in splits])
    bounds = grid.union(extra)
    rows = [
        {
            "region": "R",
            "group": "1",
            "start": a,
            "end": b,
            "state": "off" if (f"{a:%H:%M}", f"{b:%H:%M}") in off else "on",
        }
        for a, b in itertools.pairwise(bounds)
    ]
    return Schedule(
        table=pd.DataFrame(rows),
        tz=TZ,
        slot_hours=4,
        policy="fair_rotation",
        days=(DAY,),
        issued=start,
    )


def test_split_slots_combine_on_the_union_of_their_boundaries() -> None:
    split = one_group([("06:30", "08:00")], splits=("06:30",))  # off from 06:30
    whole = one_group([("04:00", "08:00")])  # off the whole slot
    # two samples: 04:00-06:30 off in 1 of 2 (possible), 06:30-08:00 off in both
    assert by_slot(combine_samples([split, whole]), "R") == {
        "00:00-04:00": {},
        "04:00-06:30": {"possible": {"1"}},
        "06:30-08:00": {"off": {"1"}},
        "08:00-12:00": {},
        "12:00-16:00": {},
        "16:00-20:00": {},
        "20:00-00:00": {},
    }
    # three: 04:00-06:30 off in 2 of 3, so off on both sides of 06:30: the split goes
    combined = combine_samples([split, whole, whole])
    assert by_slot(combined, "R")["04:00-08:00"] == {"off": {"1"}}
    assert len(combined.table) == 6


def test_a_strike_at_half_past_seven_and_one_at_seven_combine() -> None:
    # The hand schedules of a strike at 07:30 (test_schedule_wave_minute) and at 07:00
    # (test_schedule_by_hand): at 07:00 the first has group 1 still off, the second
    # groups 2 and 3 in emergency and 4 off; from 07:30 both have 2 and 3 in
    # emergency and 4 off.
    from gridmodel.schedule import ScheduleOptions, build_groups, deficit_from_timeline, rotate
    from tests.schedule.test_schedule_by_hand import TZ as KYIV
    from tests.schedule.test_schedule_by_hand import strike_timeline

    _, half_past = half_past_schedule()
    seven = rotate(
        deficit_from_timeline(strike_timeline(), tz=KYIV, emergency_after_wave_h=4.0),
        build_groups(
            pd.DataFrame({"region": ["Struck", "Spared"], "load_mw": [1000.0, 1000.0]}), groups=6
        ),
        options=ScheduleOptions(slot_hours=4, days=1, possible_margin=0.0),
        timezone=KYIV,
    )
    combined = by_slot(combine_samples([half_past, seven]), "Struck")
    assert combined["04:00-07:00"] == {"off": {"1"}}
    # 1 of 2 samples dark is not most of them: possible
    assert combined["07:00-07:30"] == {"possible": {"1", "2", "3", "4"}}
    assert combined["07:30-08:00"] == {"emergency": {"2", "3"}, "off": {"4"}}
    assert combined["08:00-12:00"] == {"emergency": {"2", "3"}, "off": {"5"}}


def test_samples_of_other_days_are_refused() -> None:
    other = one_group([])
    other = Schedule(
        table=other.table,
        tz=TZ,
        slot_hours=2,
        policy="fair_rotation",
        days=(DAY,),
        issued=other.issued,
    )
    with pytest.raises(OptionError, match="samples differ"):
        combine_samples([one_group([]), other])
