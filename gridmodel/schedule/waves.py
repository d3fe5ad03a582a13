"""Strike waves inside an hour: a timeline's hour split at the wave's minute.

A run's timeline is hourly and its figures are means over each hour, so a
wave at 07:30 shows in the 07:00 row at half its effect. For the schedule
that hour is split at the wave: before it the region is as it was (the
shares of demand of the hour before), from it on it is as the hour's mean
requires. With ``f`` the share of the hour before the wave, a figure's share
of demand ``x`` after the wave solves ``mean = f * before + (1 - f) * x``
(clipped to 0..1). The emergency of a strike at 07:30 therefore starts at
07:30, as distribution companies announce it, not at 07:00.

The wave times are the scenario's fresh waves (damage carried over from
before the scenario is no strike). A run folder keeps them in the timeline's
``wave_h`` (hours since the latest wave, 0 in the wave's own hour): the hour
after a wave at 07:30 reads 0.5, which :func:`waves_from_timeline` reads back.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Share columns of the frame :func:`split_at_waves` splits (means over the hour).
MEAN_SHARES: tuple[str, ...] = ("emergency_share", "deficit_share")
#: Whole minutes a wave time is rounded to.
_MINUTE = pd.Timedelta(minutes=1)


def waves_from_timeline(timeline: pd.DataFrame, times: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Instants of the waves that struck inside an hour, read from ``wave_h``.

    Parameters
    ----------
    timeline
        A run's timeline with ``region``, ``wave_h`` (hours from the latest
        wave to the hour's start, 0 in the wave's hour, NaN before the
        first).
    times
        The rows' tz-aware hour starts.

    Returns
    -------
    pandas.DatetimeIndex
        ``start - wave_h`` of every hour whose ``wave_h`` is strictly
        between 0 and 1 (the wave struck inside the hour before), to the
        minute, in time order. A wave on the hour needs no split and is left
        out, as is a wave in the timeline's last hour (no row after it).
    """
    wave_h = pd.to_numeric(timeline["wave_h"], errors="coerce").to_numpy(dtype=float)
    inside = np.isfinite(wave_h) & (wave_h > 1e-9) & (wave_h < 1.0 - 1e-9)
    if not inside.any():
        return pd.DatetimeIndex([], tz=times.tz)
    instants = times[inside] - pd.to_timedelta(wave_h[inside], unit="h")
    return pd.DatetimeIndex(sorted(set(instants.round(_MINUTE))), tz=times.tz)


def split_at_waves(
    frame: pd.DataFrame, waves: Sequence[pd.Timestamp] | pd.DatetimeIndex
) -> pd.DataFrame:
    """Split each region's row of a wave's hour at the wave's minute.

    Parameters
    ----------
    frame
        One row per hour and region: ``time`` (tz-aware hour start),
        ``region``, ``wave_h`` and the hour's means :data:`MEAN_SHARES`
        (shares of the hour's demand), other columns (the hour's demand,
        critical share) carried to both parts.
    waves
        Tz-aware instants of the fresh strike waves. Waves on the hour, or
        outside the frame's hours, change nothing; of several waves inside
        one hour the first splits it.

    Returns
    -------
    pandas.DataFrame
        The same columns; a split hour has a row at the hour's start with
        the shares of the hour before (0 when the frame has no hour before)
        and ``wave_h`` one more than that hour's, and a row at the wave's
        minute with the shares that give the hour's means and ``wave_h`` 0.
        Sorted by region and time.
    """
    if not len(waves) or frame.empty:
        return frame
    times = pd.DatetimeIndex(frame["time"])
    hour = pd.Timedelta(hours=1)
    utc = times.tz_convert("UTC")
    hours = utc.unique().sort_values()
    split: dict[pd.Timestamp, pd.Timestamp] = {}
    for wave in sorted(pd.Timestamp(w).tz_convert("UTC").round(_MINUTE) for w in waves):
        k = int(hours.searchsorted(wave, side="right")) - 1
        if k < 0:
            continue
        start = hours[k]  # the hour row the wave falls in (any zone offset)
        if start < wave < start + hour and start not in split:
            split[start] = wave
    hit = np.asarray(utc.isin(list(split)), dtype=bool)
    if not hit.any():
        return frame
    parts = [frame[~hit]]
    for i in (int(k) for k in np.flatnonzero(hit)):
        row = frame.iloc[[i]]
        start = utc[i]
        before_of = frame[(frame["region"] == row["region"].iloc[0]) & (utc == start - hour)]
        f = (split[start] - start) / hour
        pre, post = row.copy(), row.copy()
        for column in MEAN_SHARES:
            mean = float(row[column].iloc[0])
            before = float(before_of[column].iloc[0]) if len(before_of) else 0.0
            pre[column] = before
            post[column] = float(np.clip((mean - f * before) / (1.0 - f), 0.0, 1.0))
        earlier = float(before_of["wave_h"].iloc[0]) if len(before_of) else np.nan
        pre["wave_h"] = earlier + 1.0
        post["wave_h"] = 0.0
        post["time"] = split[start].tz_convert(times.tz)
        parts += [pre, post]
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["region", "time"], kind="stable").reset_index(drop=True)
