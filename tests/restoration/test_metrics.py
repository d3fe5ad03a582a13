"""Restoration metrics: hand-computed values, agreement with the timeline, edge cases."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from restoration_cases import compiled_of, line_tasks, radial_grid

from gridmodel.network.metadata import CUSTOMERS_PER_MW
from gridmodel.restoration.demand import WINTER_WEEKDAY
from gridmodel.restoration.metrics import compute_metrics
from gridmodel.restoration.options import DemandOptions, RepairOptions
from gridmodel.restoration.timeline import COLUMNS, simulate

# The hand-solved case of test_strategies: loads 10, 40, 30, 20 MW back at
# 10, 8, 3, 18 h (load_per_hour order 2, 1, 0, 3), one crew, constant demand.
LOADS_MW = [10.0, 40.0, 30.0, 20.0]
DURATIONS_H = [2.0, 5.0, 3.0, 8.0]
BACK_H = [10.0, 8.0, 3.0, 18.0]


@pytest.fixture(scope="module")
def hand_metrics():
    grid = radial_grid(LOADS_MW, regions=["north", "north", "south", "south"])
    damage, tasks = line_tasks(grid, DURATIONS_H)
    timeline = simulate(
        compiled_of(grid),
        damage,
        tasks,
        repair=RepairOptions(crews=1, horizon_h=24, strategy="load_per_hour"),
        demand=DemandOptions(profile="flat"),
    )
    return timeline, compute_metrics(timeline.frame)


def test_hand_computed_totals(hand_metrics) -> None:
    _, metrics = hand_metrics
    m = metrics.total
    customers = [w * CUSTOMERS_PER_MW for w in LOADS_MW]
    # ENS = sum w_j C_j = 10*10 + 40*8 + 30*3 + 20*18
    assert m["ens_mwh"] == pytest.approx(870.0, abs=1e-9)
    # customer-hours = sum customers_j * C_j; every customer interrupted once
    customer_hours = sum(c * t for c, t in zip(customers, BACK_H, strict=True))
    assert m["customer_hours"] == pytest.approx(customer_hours)
    assert m["saifi"] == pytest.approx(1.0)
    assert m["saidi_h"] == pytest.approx(customer_hours / sum(customers))
    assert m["caidi_h"] == pytest.approx(m["saidi_h"])
    assert m["peak_deficit_mw"] == pytest.approx(100.0)
    # served share: 0 until 3 h, 0.3 until 8 h, 0.7 until 10 h, 0.8 until 18 h, then 1
    assert m["restore_h"] == {"50": 8.0, "90": 18.0, "100": 18.0}
    assert m["critical_ens_mwh"] == 0.0
    trapezoid = m["trapezoid"]
    assert trapezoid["depth"] == pytest.approx(1.0)
    assert trapezoid["depth_mw"] == pytest.approx(100.0)
    assert trapezoid["degradation_h"] == 0.0  # everything went dark in the strike hour
    assert trapezoid["degraded_h"] == 3.0  # at the bottom until the first repair at 3 h
    assert trapezoid["recovery_h"] == 15.0  # from 3 h to full service at 18 h
    assert trapezoid["recovery_rate_per_h"] == pytest.approx(1.0 / 15.0)
    assert trapezoid["area_h"] == pytest.approx(870.0 / 100.0)


def test_per_region_figures_add_up(hand_metrics) -> None:
    _, metrics = hand_metrics
    regions = metrics.by_region
    assert list(regions.index) == ["north", "south"]
    # north: 10 MW back at 10 h, 40 MW at 8 h; south: 30 MW at 3 h, 20 MW at 18 h
    assert regions.at["north", "ens_mwh"] == pytest.approx(10 * 10 + 40 * 8)
    assert regions.at["south", "ens_mwh"] == pytest.approx(30 * 3 + 20 * 18)
    assert regions["ens_mwh"].sum() == pytest.approx(metrics.total["ens_mwh"])
    assert regions.at["north", "restore_h"] == {"50": 8.0, "90": 10.0, "100": 10.0}
    assert regions.at["south", "restore_h"] == {"50": 3.0, "90": 18.0, "100": 18.0}


def test_summary_json_shape(hand_metrics) -> None:
    _, metrics = hand_metrics
    data = json.loads(json.dumps(metrics.to_json()))
    for key in ("ens_mwh", "customer_hours", "saidi_h", "saifi", "caidi_h", "peak_deficit_mw"):
        assert isinstance(data[key], float)
    assert set(data["restore_h"]) == {"50", "90", "100"}
    assert [r["region"] for r in data["by_region"]] == ["north", "south"]


def test_metrics_read_back_from_parquet_are_the_same(hand_metrics, tmp_path: Path) -> None:
    timeline, metrics = hand_metrics
    path = tmp_path / "timeline.parquet"
    timeline.frame.to_parquet(path, index=False)
    again = compute_metrics(pd.read_parquet(path))
    assert again.to_json() == metrics.to_json()


def frame_of(served: list[float], *, demand: float = 100.0, wave_h: list[float] | None = None):
    """A one-region timeline frame with the given hourly served MW."""
    n = len(served)
    unserved = [demand - s for s in served]
    data = {c: [0.0] * n for c in COLUMNS}
    data.update(
        hour=list(range(n)),
        time=pd.date_range("2022-12-16", periods=n, freq="h", tz="Europe/Kyiv"),
        region=["r"] * n,
        demand_mw=[demand] * n,
        deliverable_mw=served,
        served_mw=served,
        unserved_mw=unserved,
        dark_mw=unserved,
        customers=[1000] * n,
        customers_off=[u / demand * 1000 for u in unserved],
        intact_served_mw=[demand] * n,
        wave_h=wave_h if wave_h is not None else [float(h) for h in range(n)],
        tasks_in_progress=[""] * n,
    )
    return pd.DataFrame(data, columns=list(COLUMNS))


def test_never_restored_is_null_and_never_dropped_is_zero() -> None:
    stuck = compute_metrics(frame_of([0.0, 40.0, 60.0, 60.0])).total
    assert stuck["restore_h"] == {"50": 2.0, "90": None, "100": None}
    assert stuck["caidi_h"] is None  # customers_interrupted is 0 in this hand-made frame
    fine = compute_metrics(frame_of([100.0, 100.0])).total
    assert fine["restore_h"] == {"50": 0.0, "90": 0.0, "100": 0.0}
    assert fine["ens_mwh"] == 0.0 and fine["trapezoid"]["depth"] == 0.0


def test_restoration_is_counted_from_the_first_wave() -> None:
    # wave at 2 h (wave_h NaN before): dark from 2 h, back at 5 h -> 3 h
    nan = float("nan")
    frame = frame_of([100, 100, 0, 0, 0, 100], wave_h=[nan, nan, 0.0, 1.0, 2.0, 3.0])
    m = compute_metrics(frame).total
    assert m["restore_h"] == {"50": 3.0, "90": 3.0, "100": 3.0}
    assert m["trapezoid"]["degradation_h"] == 0.0
    assert m["trapezoid"]["degraded_h"] == 3.0
    # a gradual fall over two hours: 100 -> 50 -> 0
    slope = compute_metrics(frame_of([100, 50, 0, 0, 100], wave_h=[0, 1, 2, 3, 4])).total
    assert slope["trapezoid"]["degradation_h"] == 2.0
    assert slope["trapezoid"]["degradation_rate_per_h"] == pytest.approx(0.5)


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.floats(1.0, 80.0), min_size=1, max_size=4),
    st.lists(st.floats(0.3, 9.0), min_size=4, max_size=4),
    st.sampled_from(["flat", "winter-weekday"]),
)
def test_metrics_agree_with_the_timeline(loads, durations, profile) -> None:
    grid = radial_grid(loads)
    damage, tasks = line_tasks(grid, durations[: len(loads)])
    horizon = 30
    frame = simulate(
        compiled_of(grid),
        damage,
        tasks,
        repair=RepairOptions(crews=1, horizon_h=horizon, strategy="shortest_first"),
        demand=DemandOptions(profile=profile),
    ).frame
    m = compute_metrics(frame).total
    # ENS = sum of unserved MW x 1 h; customer-hours = sum of customers off x 1 h
    assert m["ens_mwh"] == pytest.approx(frame["unserved_mw"].sum(), rel=1e-12)
    assert m["customer_hours"] == pytest.approx(frame["customers_off"].sum(), rel=1e-12)
    assert m["peak_deficit_mw"] == pytest.approx(frame.groupby("hour")["unserved_mw"].sum().max())
    # Each load is dark from 0 h until its repair (radial star, unlimited source):
    # its share out in hour h is the overlap of [h, h + 1) with [0, C_j), where C_j
    # is its completion time (shortest first, by hand). ENS = sum over loads and
    # hours of its demand (load x the hour's profile factor) x share out;
    # customer-hours = sum of its customers x hours out.
    out = np.clip(np.asarray(tasks_end(tasks))[None, :] - np.arange(horizon)[:, None], 0.0, 1.0)
    factor = np.array(
        [1.0 if profile == "flat" else WINTER_WEEKDAY[h % 24] for h in range(horizon)]
    )
    expected_ens = float(factor @ out @ np.asarray(loads))
    customers = np.array([max(round(w * CUSTOMERS_PER_MW), 1) for w in loads])
    assert m["ens_mwh"] == pytest.approx(expected_ens, abs=1e-6)
    assert m["customer_hours"] == pytest.approx(float(out.sum(axis=0) @ customers), abs=1e-6)
    # the largest hourly deficit is the largest hand-computed hour (MW)
    hourly = out @ np.asarray(loads) * factor
    assert m["peak_deficit_mw"] == pytest.approx(float(hourly.max()), abs=1e-9)


def tasks_end(tasks) -> list[float]:
    """Completion times for one crew in shortest-first order, by hand."""
    order = sorted(range(len(tasks)), key=lambda i: (tasks[i].duration_h, i))
    end, clock = [0.0] * len(tasks), 0.0
    for i in order:
        clock += tasks[i].duration_h
        end[i] = clock
    return end


def test_restored_means_served_again_and_stays_served() -> None:
    # back to 100 % at 2 h, short again at an evening peak in hours 5-6, then served:
    # 100 % stays served from 7 h; 50 % from 2 h (the peak shortfall is 40 %)
    frame = frame_of([0, 40, 100, 100, 100, 60, 70, 100, 100])
    m = compute_metrics(frame).total
    assert m["restore_h"] == {"50": 2.0, "90": 7.0, "100": 7.0}
    # still short in the last hour: not restored within the horizon
    late = compute_metrics(frame_of([0, 100, 100, 95])).total
    assert late["restore_h"] == {"50": 1.0, "90": 1.0, "100": None}


def test_network_and_supply_outages_end_at_their_last_hour() -> None:
    frame = frame_of([0, 40, 70, 80, 100, 90, 100])
    # hours 0-1 dark; network-limited until hour 2; supply short in hours 3 and 5
    frame["dark_mw"] = [100.0, 30.0, 0, 0, 0, 0, 0]
    frame["network_limited_mw"] = [0, 30.0, 30.0, 0, 0, 0, 0]
    frame["supply_shortage_mw"] = [0, 0, 0, 15.0, 0, 0, 0]
    frame["ufls_mw"] = [0, 0, 0, 5.0, 0, 10.0, 0]
    m = compute_metrics(frame).total
    assert m["network_restored_h"] == 3.0  # last network outage in hour 2: ends at 3 h
    assert m["supply_restored_h"] == 6.0  # last shortfall (UFLS) in hour 5: ends at 6 h
    never = frame_of([100, 100, 100])
    assert compute_metrics(never).total["network_restored_h"] == 0.0
    still = frame_of([0, 50, 50])
    still["supply_shortage_mw"] = [0, 0, 50.0]
    still["dark_mw"] = [100.0, 50.0, 0]
    total = compute_metrics(still).total
    assert total["supply_restored_h"] is None
    assert total["network_restored_h"] == 2.0
    # a wave at 2 h: counted from the wave
    nan = float("nan")
    waved = frame_of([100, 100, 0, 0, 100], wave_h=[nan, nan, 0.0, 1.0, 2.0])
    waved["dark_mw"] = [0, 0, 100.0, 100.0, 0]
    assert compute_metrics(waved).total["network_restored_h"] == 2.0
    json_ = compute_metrics(frame).to_json()
    assert json_["by_region"][0]["supply_restored_h"] == 6.0
