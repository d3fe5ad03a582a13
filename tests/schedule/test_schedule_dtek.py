"""DTEK weekly presets (``dtek/<region>.json``): cells by hand, the reference's shape, files."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridmodel.errors import OutputError
from gridmodel.schedule import Schedule
from gridmodel.schedule.dtek import (
    QUEUES,
    VALUES,
    dtek_presets,
    file_names,
    hour_cells,
    queue_groups,
    write_dtek,
)

TZ = "Europe/Kyiv"
REFERENCE = Path(__file__).parent / "data" / "dtek-preset" / "kyiv.json"
SATURDAY = date(2022, 12, 17)  # weekday "6"; the second day is Sunday, "7"


def half_hour_schedule(
    events: dict[str, list[tuple[int, str, str, str]]],
    *,
    region: str = "Kyiv city",
    start: date = SATURDAY,
    days: int = 2,
) -> Schedule:
    """Half-hour slots, ``on`` except the events ``(day, "HH:MM", "HH:MM", state)``."""
    first = pd.Timestamp(start, tz=TZ)
    bounds = pd.date_range(first, periods=48 * days + 1, freq="30min")
    rows = []
    for group, group_events in events.items():
        states = ["on"] * (48 * days)
        for day, a, b, state in group_events:
            lo = day * 48 + int(a[:2]) * 2 + int(a[3:]) // 30
            hi = day * 48 + int(b[:2]) * 2 + int(b[3:]) // 30
            states[lo:hi] = [state] * (hi - lo)
        for i, state in enumerate(states):
            rows.append((region, group, bounds[i], bounds[i + 1], state))
    table = pd.DataFrame(rows, columns=["region", "group", "start", "end", "state"])
    dates = tuple(start + timedelta(days=d) for d in range(days))
    return Schedule(table, TZ, 1, "by hand", dates, first)


def cells(preset: dict, queue: str, weekday: int) -> list[str]:
    day = preset["data"][queue][str(weekday)]
    assert list(day) == [str(h) for h in range(1, 25)]
    return list(day.values())


def expected_day(**marked: str) -> list[str]:
    """24 cells ``yes`` except hours given as ``h8="no"`` (hour 8 is 07:00-08:00)."""
    out = ["yes"] * 24
    for key, value in marked.items():
        out[int(key[1:]) - 1] = value
    return out


def test_two_days_of_half_hour_slots_cell_by_cell() -> None:
    schedule = half_hour_schedule(
        {
            "1": [
                (0, "07:00", "09:30", "off"),  # hours 8, 9 off; 09:00-09:30 off: hour 10 "first"
                (0, "12:30", "13:00", "possible"),  # second half of hour 13
                (0, "18:00", "18:30", "emergency"),  # emergency next to possible: "no"
                (0, "18:30", "19:00", "possible"),
                (1, "23:30", "24:00", "off"),  # last half hour of Sunday
            ],
            "2": [
                (1, "00:00", "02:00", "possible"),  # hours 1, 2 "maybe"
                (1, "10:00", "10:30", "off"),  # two off halves of hour 11: "no"
                (1, "10:30", "11:00", "off"),
            ],
        }
    )
    preset = dtek_presets(schedule)["Kyiv city"]
    group1_sat = expected_day(h8="no", h9="no", h10="first", h13="second", h19="no")
    group1_sun = expected_day(h24="second")
    group2_sun = expected_day(h1="maybe", h2="maybe", h11="no")
    # two groups over twelve queues: group 1 is queues 1.1-3.2, group 2 queues 4.1-6.2
    for queue in QUEUES:
        group1 = queue < "4"
        assert cells(preset, queue, 6) == (group1_sat if group1 else expected_day()), queue
        assert cells(preset, queue, 7) == (group1_sun if group1 else group2_sun), queue
        # Monday to Friday are not in the schedule: possible outage all day
        for weekday in range(1, 6):
            assert cells(preset, queue, weekday) == ["maybe"] * 24, (queue, weekday)


def test_hour_cells_from_half_hours() -> None:
    # on, possible, off, emergency, not covered (-1)
    halves = np.zeros(48, dtype=int)
    pairs = [(0, 0), (2, 2), (1, 1), (3, 3), (2, 0), (0, 2), (1, 0), (0, 1), (3, 0), (2, 1)]
    pairs += [(1, 3), (-1, -1), (-1, 0)]
    for hour, (a, b) in enumerate(pairs):
        halves[2 * hour : 2 * hour + 2] = (a, b)
    expected = ["yes", "no", "maybe", "no", "first", "second", "first", "second", "first", "no"]
    expected += ["no", "maybe", "first"] + ["yes"] * 11
    assert hour_cells(halves) == expected


def test_a_slot_split_inside_a_half_hour_darkens_that_half() -> None:
    first = pd.Timestamp(SATURDAY, tz=TZ)
    cuts = [
        first,
        first + pd.Timedelta("7h20min"),
        first + pd.Timedelta("8h"),
        first + pd.Timedelta("1D"),
    ]
    table = pd.DataFrame(
        {
            "region": "R",
            "group": "1",
            "start": cuts[:-1],
            "end": cuts[1:],
            "state": ["on", "emergency", "on"],
        }
    )
    schedule = Schedule(table, TZ, 1, "by hand", (SATURDAY,), first)
    preset = dtek_presets(schedule)["R"]
    # 07:00-07:30 holds 07:20-07:30 of emergency: the whole hour 8 is dark
    assert cells(preset, "1.1", 6) == expected_day(h8="no")


def test_twelve_six_and_three_groups_map_as_documented() -> None:
    twelve = queue_groups([f"{i}.{j}" for i in range(1, 7) for j in (1, 2)])
    assert twelve == {q: (q,) for q in QUEUES}
    six = queue_groups([str(g) for g in range(1, 7)])
    assert six == {f"{g}.{s}": (str(g),) for g in range(1, 7) for s in (1, 2)}
    three = queue_groups(["1", "2", "3"])
    # group g -> queues (2g-1).1, (2g-1).2, 2g.1, 2g.2
    assert three == {f"{q}.{s}": (str((q + 1) // 2),) for q in range(1, 7) for s in (1, 2)}
    plain_twelve = queue_groups([str(g) for g in range(1, 13)])
    assert [v for v in plain_twelve.values()] == [(str(g),) for g in range(1, 13)]
    # four groups: three queues each; five: overlapping twelfths show both groups
    assert [v[0] for v in queue_groups(["a", "b", "c", "d"]).values()] == list("aaabbbcccddd")
    assert queue_groups(list("abcde"))["2.1"] == ("a", "b")
    # 24 groups: two to a queue
    assert queue_groups([str(g) for g in range(1, 25)])["1.1"] == ("1", "2")


def test_a_queue_of_several_groups_shows_their_darkest_half_hours() -> None:
    groups = {str(g): [] for g in range(1, 25)}
    groups["1"] = [(0, "07:00", "07:30", "possible")]
    groups["2"] = [(0, "07:30", "08:00", "possible"), (0, "09:00", "09:30", "off")]
    preset = dtek_presets(half_hour_schedule(groups))["Kyiv city"]
    # queue 1.1 = groups 1 and 2: possible in both halves of hour 8; hour 10 first half off
    assert cells(preset, "1.1", 6) == expected_day(h8="maybe", h10="first")
    assert cells(preset, "1.2", 6) == expected_day()


def test_preset_has_the_reference_shape_and_vocabulary() -> None:
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    schedule = half_hour_schedule({"1": [(0, "07:00", "09:30", "off")], "2": []})
    preset = dtek_presets(schedule)["Kyiv city"]
    assert list(preset) == list(reference)  # days, days_mini, sch_names, time_zone, ...
    for key in ("days", "days_mini", "sch_names", "time_zone", "time_type"):
        assert preset[key] == reference[key], key  # labels verbatim, keys in order
    assert list(preset["data"]) == list(reference["data"]) == list(QUEUES)
    vocabulary = set(reference["time_type"])
    assert set(VALUES) == vocabulary
    for queue, days in preset["data"].items():
        assert list(days) == list(reference["data"][queue])
        for weekday, hours in days.items():
            assert list(hours) == list(reference["data"][queue][weekday])
            assert set(hours.values()) <= vocabulary
    # the reference itself only uses the documented values
    assert {v for q in reference["data"].values() for d in q.values() for v in d.values()} <= (
        vocabulary
    )


def test_file_names_are_safe_and_distinct() -> None:
    regions = ["Kyiv city", "KYIV CITY", "../../etc/passwd", "=HYPERLINK(1)", "Київ", "", "CON"]
    regions += ["index", "a" * 300, "Kyiv city-2", "Львів/Lviv"]
    names = file_names(regions)
    assert list(names) == regions
    assert names["Kyiv city"] == "kyiv-city.json" and names["KYIV CITY"] == "kyiv-city-2.json"
    assert names["Kyiv city-2"] == "kyiv-city-2-2.json"
    assert names["../../etc/passwd"] == "etc-passwd.json"
    assert names["Київ"] == "київ.json" and names[""] == "region.json"
    assert names["CON"] == "con-region.json" and names["index"] == "index-2.json"
    stems = [n.removesuffix(".json") for n in names.values()]
    assert len({s.casefold() for s in stems} | {"index"}) == len(stems) + 1
    for stem in stems:
        assert 0 < len(stem) <= 64 and all(c.isalnum() or c == "-" for c in stem), stem
        assert not stem.startswith("-") and not stem.endswith("-")


def test_write_dtek_writes_one_file_per_region_and_an_index(tmp_path: Path) -> None:
    one = half_hour_schedule({"1": [(0, "07:00", "08:00", "off")]}, region="Kyiv city")
    two = half_hour_schedule({"1": [], "2": []}, region="=Lviv/West")
    table = pd.concat([one.table, two.table], ignore_index=True)
    schedule = Schedule(table, TZ, 1, "by hand", one.days, one.issued)
    paths = write_dtek(schedule, tmp_path / "run")
    folder = tmp_path / "run" / "dtek"
    assert [p.name for p in paths] == ["kyiv-city.json", "lviv-west.json", "index.json"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in paths)
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    assert index == {
        "regions": {"Kyiv city": "kyiv-city.json", "=Lviv/West": "lviv-west.json"},
        "weekdays": {"6": "2022-12-17", "7": "2022-12-18"},
    }
    kyiv = json.loads((folder / "kyiv-city.json").read_text(encoding="utf-8"))
    assert kyiv == dtek_presets(schedule)["Kyiv city"]
    assert kyiv["data"]["6.2"]["6"]["8"] == "no"  # one group: every queue is group 1


def test_write_dtek_names_the_folder_it_cannot_write(tmp_path: Path) -> None:
    blocker = tmp_path / "run"
    blocker.mkdir()
    (blocker / "dtek").write_text("a file where the folder goes")
    with pytest.raises(OutputError, match="DTEK"):
        write_dtek(half_hour_schedule({"1": []}), blocker)
