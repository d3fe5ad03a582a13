"""Hourly demand profiles."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from gridmodel.errors import OptionError
from gridmodel.restoration.demand import (
    PROFILES,
    WINTER_WEEKDAY,
    demand_curve,
    hour_times,
    profile_names,
    weekly_factors,
)


def test_winter_weekday_shape() -> None:
    # public load-curve shape: evening peak = 1 at 17-19 h, night minimum about
    # 0.7-0.75 of it around 03-05 h, morning rise by 09 h
    f = np.asarray(WINTER_WEEKDAY)
    assert len(f) == 24 and f.max() == 1.0
    assert int(np.argmax(f)) in (17, 18)
    assert 3 <= int(np.argmin(f)) <= 5 and 0.7 <= f.min() <= 0.76
    assert f[9] > 0.9 > f[5]


def test_named_and_custom_profiles() -> None:
    assert {"winter-weekday", "winter-weekend", "winter-week", "flat"} <= set(profile_names())
    week = weekly_factors("winter-week")
    assert week.shape == (7, 24)
    np.testing.assert_array_equal(week[4], PROFILES["winter-weekday"])  # Friday
    np.testing.assert_array_equal(week[5], PROFILES["winter-weekend"])  # Saturday
    custom = weekly_factors([0.5] * 24)
    assert (custom == 0.5).all()


def test_bad_profiles_are_clear_errors() -> None:
    with pytest.raises(OptionError, match="did you mean 'winter-weekday'"):
        weekly_factors("winter-weekdy")
    with pytest.raises(OptionError, match="24 hourly factors"):
        weekly_factors([1.0] * 23)
    with pytest.raises(OptionError, match="24 hourly factors"):
        weekly_factors([-1.0] * 24)


def test_curve_per_region_with_few_levels() -> None:
    times = hour_times(datetime(2022, 12, 16), 48, timezone="Europe/Kyiv")
    curve = demand_curve(
        np.array([100.0, 50.0]),
        ["a", "b"],
        times,
        profile="winter-weekday",
        regional={"b": "flat"},
        scale=1.1,
    )
    assert curve.hours == 48
    # one level per distinct factor of the day (the engine evaluates each once)
    assert len(curve.levels_mw) == len(set(WINTER_WEEKDAY))
    assert curve.at(17) == pytest.approx([110.0, 55.0])
    assert curve.at(3 + 24) == pytest.approx([110.0 * WINTER_WEEKDAY[3], 55.0])
    np.testing.assert_allclose(curve.peak_mw, [110.0, 55.0])


def test_hour_times_are_local_and_aware() -> None:
    times = hour_times(datetime(2022, 12, 16, 7), 3)
    assert [t.isoformat() for t in times] == [
        "2022-12-16T07:00:00+02:00",
        "2022-12-16T08:00:00+02:00",
        "2022-12-16T09:00:00+02:00",
    ]
