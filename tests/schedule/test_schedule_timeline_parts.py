"""A timeline row's parts against its demand (gridmodel.schedule.timeline_parts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gridmodel.errors import OptionError
from gridmodel.schedule import deficit_from_timeline
from gridmodel.schedule.timeline_parts import PART_TOLERANCE_MW

TZ = "Europe/Kyiv"


def dark_hour(**change: float) -> pd.DataFrame:
    """One hour of a region wholly dark: 500 MW demand, 100 MW of it critical."""
    row = {
        "hour": 0,
        "time": "2022-11-23T14:00:00+02:00",
        "region": "Kyiv",
        "demand_mw": 500.0,
        "served_mw": 0.0,
        "unserved_mw": 500.0,
        "dark_mw": 500.0,
        "network_limited_mw": 0.0,
        "supply_shortage_mw": 0.0,
        "ufls_mw": 0.0,
        "critical_mw": 100.0,
        "wave_h": np.nan,
    }
    return pd.DataFrame([row | change])


def test_dark_critical_load_counted_twice_is_no_error() -> None:
    # dark 500 + critical 100 > demand 500, as real runs have it (dark critical load is
    # in both): not an inconsistency; the rotatable load's lower bound is 0, all emergency.
    table = deficit_from_timeline(dark_hour(), tz=TZ)
    assert table[["deficit_mw", "rotatable_mw", "emergency_share"]].iloc[0].tolist() == [
        0.0,
        0.0,
        1.0,
    ]


def test_a_part_within_the_tolerance_is_taken_as_rounding() -> None:
    over = 500.0 + PART_TOLERANCE_MW / 2
    table = deficit_from_timeline(dark_hour(dark_mw=over, unserved_mw=over), tz=TZ)
    assert table["emergency_share"].tolist() == [1.0]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"dark_mw": 500.0 + 2 * PART_TOLERANCE_MW}, "dark_mw"),
        ({"served_mw": 501.0}, "served_mw"),
        ({"critical_mw": 600.0}, "critical_mw"),
        ({"dark_mw": 300.0, "ufls_mw": 300.0}, "dark_mw + network_limited_mw"),
        ({"demand_mw": 0.0}, "unserved_mw"),
    ],
)
def test_a_part_above_the_demand_is_refused(change: dict[str, float], field: str) -> None:
    with pytest.raises(OptionError, match="exceeds demand_mw") as caught:
        deficit_from_timeline(dark_hour(**change), tz=TZ, file="t.parquet")
    assert caught.value.file == "t.parquet"
    assert caught.value.field is not None and caught.value.field.startswith(field)
    assert caught.value.allowed == f"0 to demand_mw, within {PART_TOLERANCE_MW:g} MW"
