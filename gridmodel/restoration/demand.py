"""Hourly demand: daily load-curve profiles relative to the evening peak.

A network's load ``p_mw`` is read as the winter evening peak. Demand at an
hour is ``p_mw * factor * scale``, where ``factor`` is the profile's value at
the hour's *local* clock hour (0 = 00:00-01:00), so the same damage gives a
larger deficit at the evening peak than at night.

Profiles
--------
``winter-weekday`` (default)
    Approximate shape of the Ukrainian winter weekday load curve as shown in
    the transmission operator's published daily consumption charts (public
    figures, approximate): night minimum of about 0.73 of the evening peak at
    03:00-05:00, a steep morning rise to about 0.95 by 09:00, a daytime
    plateau a little lower, the peak at 17:00-19:00 (lighting and electric
    heating), and a decline after 21:00.
``winter-weekend``
    The same shape with a later, lower morning and a peak of about 0.95 of the
    weekday peak (approximate).
``winter-week``
    ``winter-weekday`` Monday to Friday, ``winter-weekend`` on Saturday and
    Sunday (local calendar).
``flat``
    1.0 every hour (constant demand; for tests and what-if runs).

A scenario may also give 24 factors of its own. Per-region profiles are a
mapping region -> profile; regions not in the mapping use the default one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from gridmodel.errors import OptionError, unknown_name
from gridmodel.schema import DEFAULT_TIMEZONE

# fmt: off
#: Winter weekday factors by local hour 0..23 (public figures, approximate shape).
WINTER_WEEKDAY: tuple[float, ...] = (
    0.80, 0.77, 0.75, 0.74, 0.73, 0.74, 0.78, 0.86,   # 00-07: night minimum, morning rise
    0.93, 0.95, 0.95, 0.94, 0.93, 0.92, 0.92, 0.93,   # 08-15: daytime plateau
    0.96, 1.00, 1.00, 0.99, 0.97, 0.93, 0.88, 0.84,   # 16-23: evening peak, decline
)
#: Winter weekend factors by local hour 0..23 (relative to the weekday peak; approximate).
WINTER_WEEKEND: tuple[float, ...] = (
    0.80, 0.77, 0.74, 0.73, 0.72, 0.72, 0.73, 0.76,
    0.81, 0.86, 0.89, 0.90, 0.90, 0.89, 0.88, 0.88,
    0.91, 0.95, 0.95, 0.94, 0.93, 0.90, 0.86, 0.82,
)
# fmt: on
FLAT: tuple[float, ...] = (1.0,) * 24

#: Daily profiles by name.
PROFILES: dict[str, tuple[float, ...]] = {
    "winter-weekday": WINTER_WEEKDAY,
    "winter-weekend": WINTER_WEEKEND,
    "flat": FLAT,
}
#: Weekly profiles by name: (Monday-Friday, Saturday-Sunday).
WEEKLY_PROFILES: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "winter-week": (WINTER_WEEKDAY, WINTER_WEEKEND),
}
DEFAULT_PROFILE = "winter-weekday"

Profile = str | Sequence[float]


def profile_names() -> list[str]:
    """Names of the built-in profiles."""
    return sorted([*PROFILES, *WEEKLY_PROFILES])


def weekly_factors(profile: Profile) -> np.ndarray:
    """Factors of a profile as a ``(7, 24)`` array (Monday first, local hours).

    Raises
    ------
    OptionError
        An unknown profile name, or factors that are not 24 numbers >= 0.
    """
    if isinstance(profile, str):
        if profile in PROFILES:
            return np.tile(np.asarray(PROFILES[profile], dtype=float), (7, 1))
        if profile in WEEKLY_PROFILES:
            weekday, weekend = WEEKLY_PROFILES[profile]
            return np.asarray([weekday] * 5 + [weekend] * 2, dtype=float)
        raise unknown_name(
            "demand profile", profile, profile_names(), error=OptionError, field="demand.profile"
        )
    factors = np.asarray(profile, dtype=float)
    if factors.shape != (24,) or not np.all(np.isfinite(factors)) or (factors < 0).any():
        raise OptionError(
            f"a profile needs 24 hourly factors >= 0, got {factors.size} values",
            field="demand.profile",
            allowed="a profile name or 24 numbers >= 0",
        )
    return np.tile(factors, (7, 1))


def hour_times(
    start: datetime, hours: int, *, timezone: str = DEFAULT_TIMEZONE
) -> pd.DatetimeIndex:
    """Local start times of ``hours`` consecutive real hours from ``start``.

    A naive ``start`` is local time in ``timezone``. Hours are real hours, so
    across a daylight-saving change the local clock skips or repeats one.
    """
    zone = ZoneInfo(timezone)
    aware = start.replace(tzinfo=zone) if start.tzinfo is None else start
    first = pd.Timestamp(aware).tz_convert("UTC")
    return pd.date_range(first, periods=hours, freq="h").tz_convert(timezone)


def hourly_factors(profile: Profile, times: pd.DatetimeIndex) -> np.ndarray:
    """Profile factor of each hour in ``times`` (tz-aware local start times)."""
    week = weekly_factors(profile)
    return week[np.asarray(times.dayofweek), np.asarray(times.hour)]


@dataclass(frozen=True, eq=False)
class DemandCurve:
    """Hourly demand per load, stored as a few distinct levels.

    Attributes
    ----------
    levels_mw
        ``(n_levels, n_loads)``: demand per load (compiled load order) of each
        distinct level.
    level_of_hour
        Level index of every hour of the horizon.
    peak_mw
        Demand per load at factor 1 (the evening peak) times the scale.
    times
        Local start time of every hour.
    """

    levels_mw: np.ndarray
    level_of_hour: np.ndarray
    peak_mw: np.ndarray
    times: pd.DatetimeIndex

    @property
    def hours(self) -> int:
        return len(self.level_of_hour)

    def at(self, hour: int) -> np.ndarray:
        """Demand per load during ``hour``."""
        return self.levels_mw[self.level_of_hour[hour]]


def demand_curve(
    peak_mw: np.ndarray,
    load_region: Sequence[str] | np.ndarray,
    times: pd.DatetimeIndex,
    *,
    profile: Profile = DEFAULT_PROFILE,
    regional: Mapping[str, Profile] | None = None,
    scale: float = 1.0,
) -> DemandCurve:
    """Hourly demand of every load over ``times``.

    Parameters
    ----------
    peak_mw
        Peak demand per load (the network's ``p_mw * scaling``).
    load_region
        Region name of every load.
    times
        Local start times of the hours (see :func:`hour_times`).
    profile
        Default profile: a name or 24 factors.
    regional
        Profiles of single regions (others use ``profile``).
    scale
        Factor on every load (for what-if demand levels).

    Returns
    -------
    DemandCurve
    """
    if not (np.isfinite(scale) and scale > 0):
        raise OptionError(f"scale must be > 0, got {scale!r}", field="demand.scale")
    regions = np.asarray(load_region, dtype=object)
    names = sorted({str(r) for r in regions})
    per_region = {r: hourly_factors((regional or {}).get(r, profile), times) for r in names}
    if regional:
        for region, prof in regional.items():
            if region not in per_region:
                weekly_factors(prof)  # still validate it
    matrix = np.column_stack([per_region[r] for r in names]) if names else np.ones((len(times), 0))
    unique, level_of_hour = np.unique(np.round(matrix, 12), axis=0, return_inverse=True)
    code = {r: i for i, r in enumerate(names)}
    load_col = np.asarray([code[str(r)] for r in regions], dtype=np.int64)
    peak = np.asarray(peak_mw, dtype=float) * float(scale)
    levels = unique[:, load_col] * peak[None, :] if len(load_col) else unique[:, :0]
    return DemandCurve(
        levels_mw=levels,
        level_of_hour=np.asarray(level_of_hour, dtype=np.int64).reshape(-1),
        peak_mw=peak,
        times=times,
    )
