"""When a run's impact is taken: the first strike's hour and its demand.

A network's loads are its evening-peak demand (:mod:`gridmodel.restoration.demand`).
A run's impact right after the first wave is evaluated at the demand of the
hour the wave came in, on the restoration's demand curve (the scenario's
``[demand]`` profile and scale), so it matches the timeline's first hour; the
impact at the network's peak demand stays available next to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from gridmodel.restoration.demand import demand_curve, hour_times
from gridmodel.studies.context import ScenarioContext
from gridmodel.studies.restore import wave_times


@dataclass(frozen=True, eq=False)
class StrikeHour:
    """The first strike's time and the demand of its hour.

    Attributes
    ----------
    time_h
        Hours from the scenario's start to the first wave (``0`` without one).
    time
        Local time of the first wave (tz-aware).
    demand_mw
        Demand per load (compiled load order) during the wave's hour.
    """

    time_h: float
    time: pd.Timestamp
    demand_mw: np.ndarray

    @property
    def clock(self) -> str:
        """The wave's local clock time, ``"07:00"``."""
        return self.time.strftime("%H:%M")

    @property
    def label(self) -> str:
        """``"at the strike, 07:00"``: how a figure at this time is named."""
        return f"at the strike, {self.clock}"


def strike_hour(context: ScenarioContext) -> StrikeHour:
    """The first (not carried-over) wave's time and the demand of its hour.

    The demand is the restoration's: the scenario's ``[demand]`` profile and
    scale at the local hour the wave falls in.
    """
    scenario = context.scenario
    compiled = context.compiled
    first = min(wave_times(scenario), default=0.0)
    hour = max(math.floor(first), 0)
    times = hour_times(scenario.start_time, hour + 1, timezone=scenario.timezone)
    curve = demand_curve(
        compiled.load_p_mw,
        [compiled.region_names[r] for r in compiled.load_region],
        times[hour:],
        profile=scenario.demand.profile,
        scale=scenario.demand.scale,
    )
    start = pd.Timestamp(scenario.start_time)
    when = (start.tz_convert("UTC") + timedelta(hours=first)).tz_convert(scenario.timezone)
    return StrikeHour(time_h=first, time=when, demand_mw=curve.at(0))


def peak_hour(context: ScenarioContext, strike: StrikeHour) -> pd.Timestamp | None:
    """The hour of highest demand in the day from the strike's hour on: "the 17:00 peak".

    The total demand of the 24 hours from the first wave's hour on the
    scenario's ``[demand]`` curve; the first of the highest hours (17:00 on
    the ``winter-weekday`` profile for a strike before it). ``None`` when
    every one of these hours has the same demand (a flat profile: no peak
    hour to name).
    """
    scenario = context.scenario
    compiled = context.compiled
    hour = max(math.floor(strike.time_h), 0)
    times = hour_times(scenario.start_time, hour + 24, timezone=scenario.timezone)[hour:]
    curve = demand_curve(
        compiled.load_p_mw,
        [compiled.region_names[r] for r in compiled.load_region],
        times,
        profile=scenario.demand.profile,
        scale=scenario.demand.scale,
    )
    total = np.asarray([curve.at(h).sum() for h in range(curve.hours)])
    if np.ptp(total) <= 1e-9 * max(abs(float(total.max())), 1.0):
        return None
    return pd.Timestamp(times[int(total.argmax())])
