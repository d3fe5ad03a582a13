"""Crews: regional crews, mutual aid with mobilisation, shared tasks, the task table.

Hand-computed on the radial star of ``restoration_cases`` (unlimited source:
each load is dark exactly until its line is back), flat demand.
"""

from __future__ import annotations

import pandas as pd
import pytest
from restoration_cases import line_tasks, radial_grid, run

from gridmodel.errors import GridModelError
from gridmodel.restoration.options import RepairOptions

TOL = 1e-9


def two_regions():
    """Line 0 feeds 10 MW in the north, line 1 20 MW in the south (each line's home
    is its load's region)."""
    grid = radial_grid([10.0, 20.0], regions=["north", "south"])
    net = grid.net
    net.line["from_bus"], net.line["to_bus"] = (
        net.line["to_bus"].copy(),
        net.line["from_bus"].copy(),
    )
    damage, tasks = line_tasks(grid, [4.0, 6.0])
    assert [t.region for t in tasks] == ["north", "south"]
    return grid, damage, tasks


def test_a_crew_sent_to_another_region_arrives_after_its_mobilisation_time() -> None:
    # One crew, based in the north. It repairs line 0 in [0, 4) h, then has
    # nothing left at home: mutual aid sends it south, 12 h on the road, so it
    # works on line 1 in [16, 22) h. ENS = 10 x 4 + 20 x 22 = 480 MWh.
    grid, damage, tasks = two_regions()
    timeline = run(grid, damage, tasks, crews=0, crews_per_region={"north": 1})
    table = timeline.tasks
    assert table["pool"].tolist() == ["north", "north"]
    assert table["start_h"].tolist() == pytest.approx([0.0, 16.0], abs=TOL)
    assert table["end_h"].tolist() == pytest.approx([4.0, 22.0], abs=TOL)
    # waiting for a crew, travel and work, apart
    assert table["wait_h"].tolist() == pytest.approx([0.0, 4.0], abs=TOL)
    assert table["travel_h"].tolist() == pytest.approx([0.0, 12.0], abs=TOL)
    assert table["work_h"].tolist() == pytest.approx([4.0, 6.0], abs=TOL)
    assert timeline.frame["unserved_mw"].sum() == pytest.approx(480.0, abs=1e-6)
    # a shorter mobilisation brings the south back sooner, by the difference
    quick = run(grid, damage, tasks, crews=0, crews_per_region={"north": 1}, mobilisation_h=2.0)
    assert quick.tasks["end_h"].tolist() == pytest.approx([4.0, 12.0], abs=TOL)
    assert quick.frame["unserved_mw"].sum() == pytest.approx(40.0 + 20.0 * 12.0, abs=1e-6)
    # without mutual aid the southern line waits past the 24 h horizon
    alone = run(grid, damage, tasks, crews=0, crews_per_region={"north": 1}, mutual_aid=False)
    assert alone.tasks["done"].tolist() == [True, False]
    assert alone.frame["unserved_mw"].sum() == pytest.approx(40.0 + 20.0 * 24.0, abs=1e-6)


def test_national_crews_move_without_mobilisation() -> None:
    # One national crew: line 0 in [0, 4), line 1 in [4, 10) h, no travel.
    grid, damage, tasks = two_regions()
    timeline = run(grid, damage, tasks, crews=1)
    assert timeline.tasks["travel_h"].tolist() == [0.0, 0.0]
    assert timeline.tasks["end_h"].tolist() == pytest.approx([4.0, 10.0], abs=TOL)


def test_two_crews_share_a_large_task_up_to_the_limit() -> None:
    # One 8 h task (10 MW) and three crews. With up to two crews per task it
    # takes 4 h (ENS 40 MWh); with one crew per task, 8 h (80 MWh). The third
    # crew never joins: the limit is two.
    grid = radial_grid([10.0])
    damage, tasks = line_tasks(grid, [8.0])
    shared = run(grid, damage, tasks, crews=3, crews_per_task=2)
    assert shared.tasks["crews"].tolist() == [2]
    assert shared.tasks["end_h"].tolist() == pytest.approx([4.0], abs=TOL)
    assert shared.frame["unserved_mw"].sum() == pytest.approx(40.0, abs=1e-6)
    alone = run(grid, damage, tasks, crews=3, crews_per_task=1)
    assert alone.tasks["end_h"].tolist() == pytest.approx([8.0], abs=TOL)
    assert alone.frame["unserved_mw"].sum() == pytest.approx(80.0, abs=1e-6)


def test_a_crew_joins_a_task_under_way_for_what_is_left() -> None:
    # Two crews, tasks of 2 h (line 0) and 8 h (line 1). At 2 h the first
    # crew is free and joins line 1, which has 6 crew hours left: 3 h with two
    # crews, so line 1 ends at 5 h instead of 8 h.
    grid = radial_grid([10.0, 10.0])
    damage, tasks = line_tasks(grid, [2.0, 8.0])
    timeline = run(grid, damage, tasks, crews=2)
    assert timeline.tasks["end_h"].tolist() == pytest.approx([2.0, 5.0], abs=TOL)
    assert timeline.tasks["crews"].tolist() == [1, 2]
    assert timeline.frame["unserved_mw"].sum() == pytest.approx(10.0 * 2 + 10.0 * 5, abs=1e-6)


def test_at_least_one_crew() -> None:
    with pytest.raises((GridModelError, ValueError), match="no crew"):
        RepairOptions(crews=0)


def test_a_task_not_finished_within_the_horizon_has_no_end(tmp_path) -> None:
    # one crew, 4 h then 6 h of work: the second task would end at 10 h, after the 8 h horizon
    grid = radial_grid([10.0, 20.0], regions=["north", "north"])
    damage, tasks = line_tasks(grid, [4.0, 6.0])
    table = run(grid, damage, tasks, crews=1, horizon_h=8, strategy="as_listed").tasks
    first, second = table.iloc[0], table.iloc[1]
    assert bool(first["done"]) and first["end_h"] == pytest.approx(4.0, abs=TOL)
    assert not bool(second["done"])
    assert pd.isna(second["end_h"]) and pd.isna(second["work_h"])
    assert second["start_h"] == pytest.approx(4.0, abs=TOL)  # it did start
    path = tmp_path / "tasks.csv"
    table.to_csv(path, index=False)
    row = path.read_text().splitlines()[2].split(",")
    header = path.read_text().splitlines()[0].split(",")
    assert row[header.index("end_h")] == ""
