"""Exports: schedule.csv, Yasno JSON, iCalendar, groups.csv, and that they agree."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date
from pathlib import Path

import pandas as pd
import pytest

from gridmodel.schedule import (
    Schedule,
    ScheduleOptions,
    build_groups,
    deficit_from_fraction,
    group_table,
    rotate,
    write_schedule,
    yasno_json,
)
from gridmodel.schedule.calendar import escape_text, fold
from gridmodel.schedule.slots import hour_starts

icalendar = pytest.importorskip("icalendar", reason="icalendar is a dev dependency")

TZ = "Europe/Kyiv"
YASNO_TYPES = {"Definite", "NotPlanned"}
YASNO_STATUS = {"ScheduleApplies", "WaitingForSchedule", "EmergencyShutdowns", "NoOutages"}


def make_schedule(
    day: date = date(2022, 12, 17),
    *,
    fraction: float = 1 / 3,
    spec: str = "3",
    region: str = "Kyiv city",
    slot_hours: int = 4,
    days: int = 2,
    emergency_hours: tuple[int, ...] = (),
) -> Schedule:
    groups = build_groups(pd.DataFrame({"region": [region], "load_mw": [900.0]}), groups=spec)
    deficit = deficit_from_fraction(fraction, groups, hour_starts(day, days, TZ))
    deficit["emergency_share"] = deficit["time"].map(
        lambda t: float(t.date() == day and t.hour in emergency_hours)
    )
    return rotate(deficit, groups, options=ScheduleOptions(slot_hours=slot_hours, days=days))


def definite_minutes(day_entry: dict) -> set[int]:
    return {
        m
        for slot in day_entry["slots"]
        if slot["type"] == "Definite"
        for m in range(slot["start"], slot["end"])
    }


def test_csv_has_offsets_and_no_formula_cells(tmp_path: Path) -> None:
    schedule = make_schedule(region="=HYPERLINK(1)", fraction=0.5)
    write_schedule(schedule, tmp_path)
    text = (tmp_path / "schedule.csv").read_text()
    lines = text.splitlines()
    assert lines[0] == "region,group,start,end,state"
    assert lines[1] == "'=HYPERLINK(1),1,2022-12-17T00:00:00+02:00,2022-12-17T04:00:00+02:00,off"
    assert not any(line.startswith(("=", "+", "-", "@")) for line in lines)
    groups_csv = (tmp_path / "groups.csv").read_text().splitlines()
    assert groups_csv[1].startswith("'=HYPERLINK(1),")
    # 3 groups x 12 four-hour slots
    assert len(lines) == 1 + 36


def test_yasno_json_shape_round_trips(tmp_path: Path) -> None:
    schedule = make_schedule(days=1)  # one day: tomorrow is still waiting for its schedule
    write_schedule(schedule, tmp_path)
    data = json.loads((tmp_path / "schedule.json").read_text(encoding="utf-8"))
    assert data == json.loads(json.dumps(yasno_json(schedule)))
    assert list(data) == ["Kyiv city"]
    assert list(data["Kyiv city"]) == ["1", "2", "3"]
    for entry in data["Kyiv city"].values():
        assert set(entry) == {"today", "tomorrow", "updatedOn"}
        assert entry["updatedOn"] == "2022-12-17T00:00:00+02:00"
        today = entry["today"]
        assert today["date"] == "2022-12-17T00:00:00+02:00"
        assert today["status"] == "ScheduleApplies"
        # slots tile the day: 0 .. 1440 minutes, contiguous, known types
        edges = [(s["start"], s["end"]) for s in today["slots"]]
        assert edges[0][0] == 0 and edges[-1][1] == 1440
        assert all(a[1] == b[0] for a, b in itertools.pairwise(edges))
        assert {s["type"] for s in today["slots"]} <= YASNO_TYPES
        assert entry["tomorrow"] == {
            "date": "2022-12-18T00:00:00+02:00",
            "status": "WaitingForSchedule",
            "slots": [],
        }
    # by hand: group 1 is off 00-04 and 12-16 (see the rotation test)
    assert data["Kyiv city"]["1"]["today"]["slots"] == [
        {"start": 0, "end": 240, "type": "Definite"},
        {"start": 240, "end": 720, "type": "NotPlanned"},
        {"start": 720, "end": 960, "type": "Definite"},
        {"start": 960, "end": 1440, "type": "NotPlanned"},
    ]


def test_json_statuses_for_emergency_and_quiet_days() -> None:
    emergency = yasno_json(make_schedule(emergency_hours=(9,)))["Kyiv city"]["2"]
    assert emergency["today"]["status"] == "EmergencyShutdowns"
    assert emergency["tomorrow"]["status"] == "ScheduleApplies"
    # the emergency hour 09-10 (the 08-12 slot is split at it) counts as an outage in the
    # Yasno slots (power may go any time)
    assert set(range(540, 600)) <= definite_minutes(emergency["today"])
    quiet = yasno_json(make_schedule(fraction=0.0))["Kyiv city"]["1"]["today"]
    assert quiet["status"] == "NoOutages"
    assert quiet["slots"] == [{"start": 0, "end": 1440, "type": "NotPlanned"}]
    for entry in (emergency["today"], emergency["tomorrow"], quiet):
        assert entry["status"] in YASNO_STATUS


def test_json_uses_wall_clock_minutes_on_dst_days() -> None:
    # 2022-10-30: the 00-04 block lasts 5 real hours but is minutes 0-240 on the wall clock
    fall = yasno_json(make_schedule(date(2022, 10, 30), slot_hours=4))["Kyiv city"]["1"]["today"]
    assert fall["date"] == "2022-10-30T00:00:00+03:00"
    assert fall["slots"][0] == {"start": 0, "end": 240, "type": "Definite"}
    # 1-hour slots: the repeated 03:00 hour is one wall-clock span, 180-240; the day still
    # ends at 1440 and the darker of the two hours is shown
    hourly = make_schedule(date(2022, 10, 30), slot_hours=1)
    data = yasno_json(hourly)["Kyiv city"]
    table = hourly.table
    for group, entry in data.items():
        rows = table[(table["group"] == group) & (table["start"].map(lambda t: t.hour) == 3)]
        rows = rows[rows["start"].map(lambda t: t.date()) == date(2022, 10, 30)]
        assert len(rows) == 2  # 03:00+03:00 and 03:00+02:00
        dark = set(range(180, 240)) <= definite_minutes(entry["today"])
        assert dark == (rows["state"] == "off").any()
        assert entry["today"]["slots"][-1]["end"] == 1440
    # spring forward: the 02:00 slot ends at 04:00 wall clock (minute 240)
    spring = yasno_json(make_schedule(date(2023, 3, 26), slot_hours=1, spec="2", fraction=0.5))
    slots = spring["Kyiv city"]["1"]["today"]["slots"]
    assert slots[-1]["end"] == 1440
    assert all(s["start"] != 180 for s in slots[1:])  # no slot starts at the skipped 03:00


def test_ics_parses_and_agrees_with_csv_and_json(tmp_path: Path) -> None:
    schedule = make_schedule(spec="6x2", fraction=0.3, emergency_hours=(21,), region="Kyiv; city")
    write_schedule(schedule, tmp_path)
    raw = (tmp_path / "schedule.ics").read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n")  # every line ends in CRLF
    assert max(len(line) for line in raw.split(b"\r\n")) <= 75
    calendar = icalendar.Calendar.from_ical(raw)
    events = list(calendar.walk("VEVENT"))

    csv = pd.read_csv(tmp_path / "schedule.csv", dtype={"region": str, "group": str})
    csv["start"] = pd.to_datetime(csv["start"], utc=True)
    csv["end"] = pd.to_datetime(csv["end"], utc=True)
    # runs of equal non-on states, merged by hand from the CSV
    expected = set()
    for (region, group), rows in csv.groupby(["region", "group"], sort=False):
        run = None
        for row in rows.itertuples(index=False):
            if run and row.state == run[2] and row.start == run[1]:
                run = (run[0], row.end, run[2])
                continue
            if run and run[2] != "on":
                expected.add((str(region), str(group), run[0], run[1], run[2]))
            run = (row.start, row.end, row.state)
        if run and run[2] != "on":
            expected.add((str(region), str(group), run[0], run[1], run[2]))

    found = set()
    uids = set()
    for event in events:
        state = str(event.get("categories").cats[0])
        summary = str(event.get("summary"))
        region, rest = summary.split(", group ")
        group = rest.split(":")[0]
        start = pd.Timestamp(event.get("dtstart").dt)
        end = pd.Timestamp(event.get("dtend").dt)
        assert start.tzinfo is not None and start.utcoffset().total_seconds() == 0
        found.add((region, group, start, end, state))
        uids.add(str(event.get("uid")))
        assert event.get("dtstamp").dt == schedule.issued.to_pydatetime().astimezone(UTC)
    assert found == expected
    assert len(uids) == len(events)
    assert {e[4] for e in found} == {"off", "possible", "emergency"}
    assert any(e[0] == "Kyiv; city" for e in found)  # escaped ';' and ',' come back intact

    # JSON agrees: Definite minutes of today = off or emergency hours in the CSV
    data = json.loads((tmp_path / "schedule.json").read_text())
    local = csv.assign(start=csv["start"].dt.tz_convert(TZ), end=csv["end"].dt.tz_convert(TZ))
    for group, entry in data["Kyiv; city"].items():
        rows = local[(local["group"] == group) & (local["start"].dt.date == date(2022, 12, 17))]
        dark = rows[rows["state"].isin(["off", "emergency"])]
        minutes = {
            m
            for a, b in zip(dark["start"], dark["end"], strict=True)
            for m in range(a.hour * 60, (b.hour or 24) * 60)
        }
        assert definite_minutes(entry["today"]) == minutes


def test_ics_is_reproducible(tmp_path: Path) -> None:
    write_schedule(make_schedule(), tmp_path / "a")
    write_schedule(make_schedule(), tmp_path / "b")
    for name in ("schedule.ics", "schedule.json", "schedule.csv", "groups.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_text_escaping_and_folding() -> None:
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    line = "SUMMARY:" + "Київ " * 30  # Cyrillic letters are 2 octets in UTF-8
    folded = fold(line)
    pieces = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert all(p.startswith(" ") for p in pieces[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(pieces)) == line


def test_group_table_by_hand() -> None:
    table = group_table(make_schedule()).set_index(["group", "date"])
    # 3 groups, one off per 4-h slot: 8 h off a day in two 4-h outages; possible 8 h
    assert table["off_h"].tolist() == [8.0] * 6
    assert table["outages"].tolist() == [2] * 6
    assert table["longest_off_h"].tolist() == [4.0] * 6
    assert table["possible_h"].tolist() == [8.0] * 6
    # 2/3 off with 3 groups: group 1 off 00-08, 12-20 (round robin of pairs) -> 16 h a day
    heavy = group_table(make_schedule(fraction=2 / 3, days=1)).set_index("group")
    assert heavy["off_h"].tolist() == [16.0, 16.0, 16.0]
    assert heavy["longest_off_h"].max() == 8.0
