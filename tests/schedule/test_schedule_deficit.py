"""Deficit inputs: run timeline, deficit CSV, fraction, queues, Eskom stages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gridmodel.errors import OptionError
from gridmodel.schedule import (
    ScheduleOptions,
    build_groups,
    check_deficit,
    deficit_from_fraction,
    deficit_from_queues,
    deficit_from_stage,
    deficit_from_timeline,
    read_deficit_csv,
    read_queues,
    read_run_timeline,
    rotate,
)
from gridmodel.schedule.slots import day_start, hour_starts

TZ = "Europe/Kyiv"


def timeline_rows() -> pd.DataFrame:
    """Three hours of one region as a run writes them (times as ISO strings with offset)."""
    return pd.DataFrame(
        {
            "hour": [0, 1, 2],
            "time": [
                "2022-11-23T14:00:00+02:00",
                "2022-11-23T15:00:00+02:00",
                "2022-11-23T16:00:00+02:00",
            ],
            "region": ["Kyiv"] * 3,
            "demand_mw": [500.0, 520.0, 540.0],
            "served_mw": [450.0, 420.0, 540.0],
            "unserved_mw": [50.0, 100.0, 0.0],
            "dark_mw": [0.0, 20.0, 0.0],
            "network_limited_mw": [30.0, 0.0, 0.0],
            "supply_shortage_mw": [20.0, 80.0, 0.0],
            "ufls_mw": [0.0, 0.0, 0.0],
            "shed_mw": [50.0, 80.0, 0.0],
            "critical_mw": [100.0, 100.0, 100.0],
            "wave_h": [np.nan, np.nan, 2.0],
        }
    )


def test_timeline_gives_deficit_rotatable_and_emergency() -> None:
    table = deficit_from_timeline(timeline_rows(), tz=TZ)
    assert list(table.columns) == [
        "time",
        "region",
        "deficit_mw",
        "rotatable_mw",
        "emergency_share",
    ]
    # deficit = network-limited + supply shortage: 30+20, 0+80, 0+0;
    # rotatable = demand - dark - ufls - critical: 500-0-0-100, 520-20-0-100, 540-0-0-100
    assert table["deficit_mw"].tolist() == pytest.approx([50.0, 80.0, 0.0])
    assert table["rotatable_mw"].tolist() == pytest.approx([400.0, 400.0, 440.0])
    # hour 1 has 20 MW of 520 dark: that share is in emergency; hour 2 is 2 h after a
    # strike wave but the region's load is served: not in emergency
    assert table["emergency_share"].tolist() == pytest.approx([0.0, 20.0 / 520.0, 0.0])
    assert str(table["time"].iloc[0]) == "2022-11-23 14:00:00+02:00"


def test_timeline_leaves_out_a_region_without_demand() -> None:
    # A foreign equivalent: no demand in any hour, so no consumers and no groups.
    empty = timeline_rows().assign(region="Equivalent")
    for column in [c for c in empty.columns if c.endswith("_mw")]:
        empty[column] = 0.0
    table = deficit_from_timeline(pd.concat([timeline_rows(), empty]), tz=TZ)
    assert table["region"].unique().tolist() == ["Kyiv"]
    assert table["deficit_mw"].tolist() == pytest.approx([50.0, 80.0, 0.0])


def test_timeline_from_run_folder_parquet(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    rows = timeline_rows()
    rows["time"] = pd.to_datetime(rows["time"], utc=True).dt.tz_convert(TZ)  # tz-aware column
    rows.to_parquet(run / "timeline.parquet")
    timeline, path = read_run_timeline(run)
    assert path.name == "timeline.parquet"
    table = deficit_from_timeline(timeline, tz=TZ, file=path)
    assert table["deficit_mw"].tolist() == pytest.approx([50.0, 80.0, 0.0])


def test_ufls_is_emergency_and_not_rotated_network_and_supply_are_the_deficit() -> None:
    # Two hours, two regions, no strike wave. A: demand 1000, critical 100; B: demand 400,
    # critical 50. Hour 1: A loses 150 MW to under-frequency relays and 30 MW dark,
    # B has 40 MW dark.
    times = ["2022-12-17T00:00:00+02:00", "2022-12-17T01:00:00+02:00"]
    timeline = pd.DataFrame(
        {
            "hour": [0, 0, 1, 1],
            "time": [times[0], times[0], times[1], times[1]],
            "region": ["A", "B", "A", "B"],
            "demand_mw": [1000.0, 400.0, 1000.0, 400.0],
            "served_mw": [900.0, 375.0, 780.0, 355.0],
            "unserved_mw": [100.0, 25.0, 220.0, 45.0],
            "dark_mw": [0.0, 0.0, 30.0, 40.0],
            "network_limited_mw": [60.0, 0.0, 10.0, 5.0],
            "supply_shortage_mw": [40.0, 25.0, 30.0, 0.0],
            "ufls_mw": [0.0, 0.0, 150.0, 0.0],
            "critical_mw": [100.0, 50.0, 100.0, 50.0],
            "wave_h": np.nan,
        }
    )
    table = deficit_from_timeline(timeline, tz=TZ)
    assert table["region"].tolist() == ["A", "B", "A", "B"]
    # deficit = network-limited + supply shortage: 60+40, 0+25, 10+30, 5+0
    assert table["deficit_mw"].tolist() == pytest.approx([100.0, 25.0, 40.0, 5.0])
    # rotatable = demand - dark - ufls - critical:
    # 1000-0-0-100, 400-0-0-50, 1000-30-150-100, 400-40-0-50
    assert table["rotatable_mw"].tolist() == pytest.approx([900.0, 350.0, 720.0, 310.0])
    # any dark or UFLS load (default share 0) is an emergency outage, for its share:
    # A (30 + 150) / 1000, B 40 / 400
    assert table["emergency_share"].tolist() == pytest.approx([0.0, 0.0, 0.18, 0.1])
    # share 0.16: A's dark + UFLS 180 MW > 160 MW (neither alone is), B's 40 MW < 64 MW
    shared = deficit_from_timeline(timeline, tz=TZ, dark_emergency_share=0.16)
    assert shared["emergency_share"].tolist() == pytest.approx([0.0, 0.0, 0.18, 0.0])
    # share 0.1: B's 40 MW dark is exactly 0.1 of 400 MW, not above it
    assert deficit_from_timeline(timeline, tz=TZ, dark_emergency_share=0.1)[
        "emergency_share"
    ].tolist() == pytest.approx([0.0, 0.0, 0.18, 0.0])

    # The schedule: 1-h slots, 10 groups. Hour 0 A needs 100/900 of its rotatable load
    # (2 groups of 0.1), B 25/350 (1 group). Hour 1: A's 0.18 in emergency is 2 groups;
    # the other 8 hold its 720 MW rotatable load, 40 MW of which is 0.044 of A: 1 group.
    # B's 0.1 is 1 group; 5 MW of 310 is 1 more group off.
    groups = build_groups(pd.DataFrame({"region": ["A", "B"]}), groups=10)
    options = ScheduleOptions(slot_hours=1, days=1, possible_margin=0.0)
    states = rotate(table, groups, options=options, timezone=TZ).table
    first = states[states["start"] == states["start"].min()]
    second = states[states["start"] == sorted(states["start"].unique())[1]]
    assert first[first["state"] == "off"].groupby("region").size().to_dict() == {"A": 2, "B": 1}
    count = second.groupby(["region", "state"]).size().to_dict()
    assert count == {
        ("A", "emergency"): 2,
        ("A", "off"): 1,
        ("A", "on"): 7,
        ("B", "emergency"): 1,
        ("B", "off"): 1,
        ("B", "on"): 8,
    }


def test_timeline_without_category_columns_is_refused(tmp_path: Path) -> None:
    # A run folder written before the timeline had the unserved-load categories.
    run = tmp_path / "run"
    run.mkdir()
    old = timeline_rows().drop(columns=["network_limited_mw", "supply_shortage_mw", "ufls_mw"])
    old.to_parquet(run / "timeline.parquet")
    timeline, path = read_run_timeline(run)
    with pytest.raises(OptionError) as info:
        deficit_from_timeline(timeline, tz=TZ, file=path)
    assert info.value.field == "network_limited_mw"
    assert info.value.line().startswith(f"{path}: network_limited_mw: missing column")
    assert "ufls_mw" in (info.value.allowed or "")
    # shed_mw is not read: a timeline without it is accepted
    table = deficit_from_timeline(timeline_rows().drop(columns="shed_mw"), tz=TZ)
    assert table["deficit_mw"].tolist() == pytest.approx([50.0, 80.0, 0.0])
    with pytest.raises(OptionError, match="no timeline"):
        read_run_timeline(tmp_path)


def test_deficit_csv_hours_count_real_hours_across_dst(tmp_path: Path) -> None:
    path = tmp_path / "deficit.csv"
    path.write_text("hour,region,deficit_mw\n0,Kyiv,100\n4,Kyiv,50\n")
    groups = build_groups(pd.DataFrame({"region": ["Kyiv"], "load_mw": [600.0]}))
    origin = day_start(date(2022, 10, 30), TZ)
    table = read_deficit_csv(path, groups, origin=origin, tz=TZ)
    # midnight is 00:00+03:00 (21:00 UTC); 4 real hours later is 01:00 UTC, after the clocks
    # went back at 04:00 EEST: 03:00+02:00
    assert [t.isoformat() for t in table["time"]] == [
        "2022-10-30T00:00:00+03:00",
        "2022-10-30T03:00:00+02:00",
    ]
    assert table["rotatable_mw"].tolist() == [600.0, 600.0]  # from the region table


def test_deficit_csv_errors_name_file_and_field(tmp_path: Path) -> None:
    groups = build_groups(pd.DataFrame({"region": ["Kyiv"], "load_mw": [600.0]}))
    origin = day_start(date(2022, 12, 17), TZ)
    bad = tmp_path / "bad.csv"
    bad.write_text("hour,region,deficit_mw\n0,Kyiv,-5\n")
    with pytest.raises(OptionError) as info:
        read_deficit_csv(bad, groups, origin=origin, tz=TZ)
    assert info.value.field == "deficit_mw" and "bad.csv" in info.value.line()
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("hour,region,deficit_mw\n0,Kiev,5\n")
    with pytest.raises(OptionError, match="did you mean 'Kyiv'"):
        read_deficit_csv(unknown, groups, origin=origin, tz=TZ)
    ambiguous = tmp_path / "ambiguous.csv"  # 03:30 happens twice on 2022-10-30
    ambiguous.write_text("time,region,deficit_mw\n2022-10-30 03:30,Kyiv,5\n")
    with pytest.raises(OptionError, match="occurs twice or never"):
        read_deficit_csv(ambiguous, groups, origin=origin, tz=TZ)


def test_duplicate_rows_are_refused() -> None:
    t = pd.Timestamp("2022-12-17T18:00", tz=TZ)
    table = pd.DataFrame(
        {
            "time": [t, t],
            "region": ["A", "A"],
            "deficit_mw": [1.0, 2.0],
            "rotatable_mw": [10.0, 10.0],
            "emergency": [False, False],
        }
    )
    with pytest.raises(OptionError, match="two rows"):
        check_deficit(table)


def test_fraction_and_stage_need_known_load() -> None:
    hours = hour_starts(date(2022, 12, 17), 1, TZ)
    unknown = build_groups(pd.DataFrame({"region": ["A"]}))
    with pytest.raises(OptionError, match="--network"):
        deficit_from_fraction(0.2, unknown, hours)
    known = build_groups(pd.DataFrame({"region": ["A"], "load_mw": [100.0]}))
    with pytest.raises(OptionError):
        deficit_from_fraction(1.5, known, hours)
    table = deficit_from_fraction(0.2, known, hours)
    assert len(table) == 24 and table["deficit_mw"].eq(20.0).all()


def test_stage_spreads_national_mw_by_load() -> None:
    groups = build_groups(pd.DataFrame({"region": ["A", "B"], "load_mw": [3000.0, 1000.0]}))
    hours = hour_starts(date(2023, 2, 1), 1, "Africa/Johannesburg")
    table = deficit_from_stage(2, groups, hours, stage_mw=1000.0)
    # stage 2 = 2000 MW nationally; A holds 3/4 of the load, B 1/4
    first = table[table["time"] == hours[0]].set_index("region")["deficit_mw"]
    assert first.to_dict() == pytest.approx({"A": 1500.0, "B": 500.0})


def test_half_queue_is_one_subgroup_with_6x2_and_rounds_up_without() -> None:
    hours = hour_starts(date(2024, 6, 1), 1, TZ)
    queues = pd.DataFrame({"time": hours, "queues": 2.5})
    options = ScheduleOptions(slot_hours=1, days=1)
    for spec, expected_off in (("6x2", 5), ("6", 3)):
        groups = build_groups(pd.DataFrame({"region": ["Kyiv"], "load_mw": [1200.0]}), groups=spec)
        table = deficit_from_queues(queues, groups)
        # 2.5 of 6 queues = 2.5/6 of 1200 MW = 500 MW every hour
        assert table["deficit_mw"].to_numpy() == pytest.approx(np.full(24, 500.0))
        schedule = rotate(table, groups, options=options)
        off = schedule.table[schedule.table["state"] == "off"].groupby("start").size()
        # 6x2: 5 subgroups of 100 MW cover exactly; 6 groups of 200 MW need 3 (600 MW)
        assert off.eq(expected_off).all()


def test_queues_from_number_or_file(tmp_path: Path) -> None:
    groups = build_groups(pd.DataFrame({"region": ["A", "B"], "load_mw": [600.0, 300.0]}))
    hours = hour_starts(date(2022, 12, 17), 1, TZ)
    constant = read_queues("2", groups, hours=hours, tz=TZ)
    assert len(constant) == 48  # 24 hours x 2 regions
    # 2 of 6 queues: a third of each region's load
    assert constant.groupby("region")["deficit_mw"].first().to_dict() == pytest.approx(
        {"A": 200.0, "B": 100.0}
    )
    path = tmp_path / "queues.csv"
    path.write_text("hour,region,queues\n18,A,1.5\n19,A,3\n")
    table = read_queues(path, groups, hours=hours, tz=TZ)
    assert table["deficit_mw"].tolist() == pytest.approx([150.0, 300.0])
    path.write_text("hour,queues\n18,1.25\n")
    with pytest.raises(OptionError, match=r"steps of 0\.5"):
        read_queues(path, groups, hours=hours, tz=TZ)
