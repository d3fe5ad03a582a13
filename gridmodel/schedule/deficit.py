"""The deficit a rotation must cover: one table, several ways to build it.

The deficit table
-----------------
One row per (hour, region), the input of :func:`gridmodel.schedule.rotate`:

``time``          tz-aware start of the hour; a row may also start at a minute
                  inside an hour (a strike wave's, as
                  :func:`deficit_from_timeline` writes them): a row holds
                  until the region's next row or the end of its hour
``region``        region name (str), one of the groups' regions
``deficit_mw``    shortage to cover by switching groups off (>= 0)
``rotatable_mw``  connected non-critical load that rotation can switch (>= 0);
                  switching off groups holding a share ``s`` of the region
                  removes ``s * rotatable_mw``
``emergency_share`` share of the region's load (0..1) in emergency outages:
                  dark or shed by under-frequency relays. The rotation shows
                  that share of the region's groups, rounded up to whole
                  groups, as ``emergency`` and rotates the others; 0 (the
                  usual case): the schedule is in effect for all groups.
                  A table with a boolean ``emergency`` column instead (the
                  format before this column) reads true as share 1.

Regions and hours without a row have no deficit.

Builders, one per input of the ``schedule`` command: a run's hourly timeline
(:func:`deficit_from_timeline`), a CSV of deficits (:func:`read_deficit_csv`),
a constant share of load (:func:`deficit_from_fraction`), queues off per hour
as the transmission operator announces them (:func:`deficit_from_queues`), and
an Eskom-style stage (:func:`deficit_from_stage`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gridmodel.errors import OptionError
from gridmodel.schedule.groups import Groups
from gridmodel.schedule.slots import MAX_DAYS
from gridmodel.schedule.tables import (
    flags,
    local_times,
    numbers,
    read_csv_table,
    require_columns,
)
from gridmodel.schedule.timeline_parts import check_parts
from gridmodel.schedule.waves import split_at_waves, waves_from_timeline
from gridmodel.schema import DEFAULT_TIMEZONE, MAX_MW

DEFICIT_COLUMNS: tuple[str, ...] = (
    "time",
    "region",
    "deficit_mw",
    "rotatable_mw",
    "emergency_share",
)
#: Columns of a run's ``timeline.parquet`` that the schedule reads: the
#: unserved-load categories of DESIGN.md ("Why load is unserved") among them.
TIMELINE_COLUMNS: tuple[str, ...] = (
    "hour",
    "time",
    "region",
    "demand_mw",
    "served_mw",
    "unserved_mw",
    "dark_mw",
    "network_limited_mw",
    "supply_shortage_mw",
    "ufls_mw",
    "critical_mw",
    "wave_h",
)
#: Timeline MW columns checked as numbers >= 0.
TIMELINE_MW: tuple[str, ...] = tuple(c for c in TIMELINE_COLUMNS if c.endswith("_mw"))
#: Hours after a strike wave during which the groups that went dark stay in
#: emergency outages (see :func:`deficit_from_timeline`): the default of the
#: scenario's ``[schedule] emergency_h``, so ``schedule --from-run`` gives the
#: run's own schedule.
EMERGENCY_AFTER_WAVE_H = 4.0
#: MW per Eskom load-shedding stage (public figures: stage N sheds N x 1000 MW).
STAGE_MW = 1000.0


def check_deficit(
    table: pd.DataFrame,
    groups: Groups | None = None,
    *,
    tz: str = DEFAULT_TIMEZONE,
    file: str | Path | None = None,
) -> pd.DataFrame:
    """Validate a deficit table and return a normalised copy.

    The copy has exactly :data:`DEFICIT_COLUMNS`, times converted to ``tz``,
    sorted by time and region. Errors (missing column, negative MW, a time
    not on a whole minute, duplicate rows, a region without groups) are
    :class:`~gridmodel.errors.OptionError`.
    """
    if "emergency_share" not in table.columns and "emergency" in table.columns:
        table = table.assign(emergency_share=flags(table, "emergency", file=file).astype(float))
    require_columns(table, DEFICIT_COLUMNS, file=file)
    times = local_times(table["time"], tz=tz, file=file)
    off_minute = (times.second != 0) | (times.microsecond != 0) | (times.nanosecond != 0)
    if off_minute.any():
        row = int(np.flatnonzero(off_minute)[0])
        raise OptionError(
            f"time {times[row]} in row {row + 2} is not on a whole minute",
            file=file,
            field="time",
            allowed="the start of an hour, or a minute inside it",
        )
    out = pd.DataFrame(
        {
            "time": times,
            "region": table["region"].astype(str).str.strip().to_numpy(),
            "deficit_mw": numbers(table, "deficit_mw", file=file, low=0.0, high=MAX_MW),
            "rotatable_mw": numbers(table, "rotatable_mw", file=file, low=0.0, high=MAX_MW),
            "emergency_share": numbers(table, "emergency_share", file=file, low=0.0, high=1.0),
        }
    )
    dup = out.duplicated(["time", "region"])
    if dup.any():
        twice = out[dup].iloc[0]
        raise OptionError(
            f"two rows for region {twice['region']!r} at {twice['time']}",
            file=file,
            field="time",
            allowed="one row per hour and region",
        )
    if groups is not None:
        for region in out["region"].unique():
            groups.check_region(str(region), file=file)
    return out.sort_values(["time", "region"], kind="stable").reset_index(drop=True)


def deficit_from_timeline(
    timeline: pd.DataFrame,
    *,
    tz: str = DEFAULT_TIMEZONE,
    emergency_after_wave_h: float = EMERGENCY_AFTER_WAVE_H,
    dark_emergency_share: float = 0.0,
    waves: Sequence[pd.Timestamp] | None = None,
    file: str | Path | None = None,
) -> pd.DataFrame:
    """Deficit table from a run's hourly timeline.

    Rolling schedules rotate the load that is unserved for want of network
    capacity or supply (``network_limited_mw + supply_shortage_mw``), for
    as long as the timeline shows it. Dark load and load shed by
    under-frequency relays (``ufls_mw``) are emergency outages: they are
    not rotated, and their share of the region's demand is its
    ``emergency_share`` (the rotation rounds it up to whole groups). A
    region whose load is served, or short only of rotatable load, is not in
    emergency, struck or not.

    Parameters
    ----------
    timeline
        One row per hour and region with :data:`TIMELINE_COLUMNS` (others,
        such as ``shed_mw``, are ignored): ``time`` is tz-aware or an ISO
        string with an offset; ``dark_mw``, ``network_limited_mw``,
        ``supply_shortage_mw`` and ``ufls_mw`` are the unserved load by
        cause (DESIGN.md, "Why load is unserved"); ``critical_mw`` the
        demand of priority-1 loads, ``wave_h`` the hours since the latest
        strike wave (NaN before the first).
    tz
        Local time zone of the schedule.
    emergency_after_wave_h
        After a fresh strike wave (``wave_h`` below this) the schedule is
        not yet in effect for the groups that went dark: the emergency
        share is the largest dark + UFLS share since the wave, so groups
        whose power came back within these hours are not rotated straight
        away. After it, each hour's own share. Groups never dark are
        scheduled as usual from the strike on.
    dark_emergency_share
        Dark + UFLS load up to this share of the region's demand is not an
        emergency (default 0: any such load is, as distribution companies
        announce when part of a city is cut off).
    waves
        Tz-aware instants of the scenario's fresh strike waves; the hour of
        a wave inside an hour is split at its minute
        (:mod:`gridmodel.schedule.waves`). ``None``: the waves the
        timeline's ``wave_h`` shows (:func:`~gridmodel.schedule.waves.waves_from_timeline`).
    file
        The timeline's file, named in errors.

    Returns
    -------
    pandas.DataFrame
        Deficit table: ``deficit_mw = network_limited_mw +
        supply_shortage_mw``, ``rotatable_mw = demand_mw - dark_mw -
        ufls_mw - critical_mw`` (0 when that is below 0, see Notes) and ``emergency_share =
        (dark_mw + ufls_mw) / demand_mw``; the hour of a wave inside it
        has two rows, at the hour's start and at the wave's minute.
        Regions with no demand in any hour (no consumers: they have no
        rotation groups either) are left out.

    Raises
    ------
    OptionError
        A column of :data:`TIMELINE_COLUMNS` is missing (a run folder
        written before the timeline had the category columns), a value
        is not a number >= 0, or a row's parts exceed its demand
        (:func:`~gridmodel.schedule.timeline_parts.check_parts`).

    Notes
    -----
    The rotatable load is a lower bound: critical load that is dark or shed
    by under-frequency relays is subtracted twice, so the schedule may
    switch off a little more than needed but never less; where the double
    count exceeds the demand (a dark region with critical load, as real runs
    have), the bound is 0, not a negative load. Emergency starts
    at the wave's minute: a wave at 07:30 splits the 07:00 hour.
    """
    require_columns(timeline, TIMELINE_COLUMNS, file=file)
    numbers(timeline, "hour", file=file, low=0.0, integer=True)
    value = {c: numbers(timeline, c, file=file, low=0.0) for c in TIMELINE_MW}
    demand = value["demand_mw"]
    times = local_times(timeline["time"], tz=tz, file=file)
    region = timeline["region"].astype(str).to_numpy()
    check_parts(value, region=region, time=times, file=file)

    def share(mw: np.ndarray) -> np.ndarray:
        # check_parts bounds mw by demand + PART_TOLERANCE_MW: the minimum only
        # removes that rounding, it cannot hide a larger excess
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(demand > 0, np.minimum(mw / demand, 1.0), 0.0)

    frame = pd.DataFrame(
        {
            "time": times,
            "region": region,
            "demand_mw": demand,
            # dark and UFLS load is not rotated: emergency outages
            "emergency_share": share(value["dark_mw"] + value["ufls_mw"]),
            "deficit_share": share(value["network_limited_mw"] + value["supply_shortage_mw"]),
            "critical_share": share(value["critical_mw"]),
            "wave_h": numbers(timeline, "wave_h", file=file, default=np.nan),
        }
    )
    # A region with no demand in any hour has no consumers, hence no rotation groups.
    consumers = frame.groupby("region")["demand_mw"].transform("max") > 0
    split = waves_from_timeline(timeline, times) if waves is None else waves
    frame = split_at_waves(frame[consumers], split).reset_index(drop=True)
    demand = frame["demand_mw"].to_numpy(dtype=float)
    emergency = frame["emergency_share"].to_numpy(dtype=float)
    table = pd.DataFrame(
        {
            "time": frame["time"],
            "region": frame["region"],
            "deficit_mw": frame["deficit_share"].to_numpy(dtype=float) * demand,
            # a lower bound (Notes): below 0 where dark or UFLS critical load is counted twice
            "rotatable_mw": np.maximum(
                demand * (1.0 - emergency - frame["critical_share"].to_numpy(dtype=float)), 0.0
            ),
            "emergency_share": np.where(
                emergency * demand <= dark_emergency_share * demand + 1e-9, 0.0, emergency
            ),
        }
    )
    wave_h = frame["wave_h"].to_numpy(dtype=float)
    table["emergency_share"] = _hold_after_wave(table, wave_h, emergency_after_wave_h)
    return check_deficit(table, tz=tz, file=file)


def _hold_after_wave(table: pd.DataFrame, wave_h: np.ndarray, window_h: float) -> np.ndarray:
    """Emergency shares held at their largest since the wave, inside the window after it."""
    frame = table[["time", "region", "emergency_share"]].assign(wave_h=wave_h)
    frame = frame.sort_values(["region", "time"], kind="stable")
    prev = frame.groupby("region")["wave_h"].shift()
    fresh = frame["wave_h"].notna() & (prev.isna() | (frame["wave_h"] < prev))
    inside = frame["wave_h"] < window_h  # NaN (before any wave) is outside
    wave_id = fresh.groupby(frame["region"]).cumsum()
    # one key per stretch of hours inside the window after one wave
    stretch = (inside != inside.groupby(frame["region"]).shift()).groupby(frame["region"]).cumsum()
    held = frame.groupby([frame["region"], wave_id, stretch])["emergency_share"].cummax()
    out = frame["emergency_share"].where(~inside, held)
    return out.reindex(table.index).to_numpy(dtype=float)


def read_deficit_csv(
    path: str | Path, groups: Groups, *, origin: pd.Timestamp, tz: str = DEFAULT_TIMEZONE
) -> pd.DataFrame:
    """Deficit table from a CSV file.

    Columns: ``hour`` (integer hours from ``origin``) or ``time`` (ISO 8601;
    without an offset it is local time in ``tz``), ``region``, ``deficit_mw``;
    optional ``rotatable_mw`` (default: the region's non-critical load from
    ``groups``) and ``emergency_share`` (0 to 1, default 0) or, as before that
    column, ``emergency`` (true/false: true is share 1).
    """
    table = read_csv_table(path)
    require_columns(table, ["region", "deficit_mw"], file=path)
    out = pd.DataFrame(
        {
            "time": csv_times(table, origin=origin, tz=tz, file=path),
            "region": table["region"],
            "deficit_mw": table["deficit_mw"],
        }
    )
    if "rotatable_mw" in table.columns:
        out["rotatable_mw"] = numbers(table, "rotatable_mw", file=path, low=0.0, high=MAX_MW)
    else:
        load = region_load(groups, "a deficit file without a rotatable_mw column")
        out["rotatable_mw"] = out["region"].map(load)
    if "emergency_share" in table.columns:
        out["emergency_share"] = numbers(table, "emergency_share", file=path, default=0.0)
    elif "emergency" in table.columns:
        out["emergency_share"] = flags(table, "emergency", file=path).astype(float)
    else:
        out["emergency_share"] = 0.0
    for region in out["region"].unique():
        groups.check_region(str(region), file=path)
    return check_deficit(out, groups, tz=tz, file=path)


def deficit_from_fraction(fraction: float, groups: Groups, hours: pd.DatetimeIndex) -> pd.DataFrame:
    """A constant share ``fraction`` (0..1) of every region's non-critical load, every hour."""
    if not 0.0 <= fraction <= 1.0:
        raise OptionError(
            f"deficit fraction {fraction!r} out of range",
            field="deficit_fraction",
            allowed="0 to 1",
        )
    load = region_load(groups, "--deficit-fraction")
    return _constant(hours, load * fraction, load)


#: Highest Eskom-style stage (South Africa's plans go to stage 8; 16 leaves room).
MAX_STAGE = 16


def deficit_from_stage(
    stage: int, groups: Groups, hours: pd.DatetimeIndex, *, stage_mw: float = STAGE_MW
) -> pd.DataFrame:
    """Eskom-style stage: ``stage * stage_mw`` shed nationally, spread over regions by load.

    Each region's deficit is its share of the total non-critical load times
    the national amount; above the total load the regions are in emergency.
    """
    if not 0 <= stage <= MAX_STAGE or stage != int(stage):
        raise OptionError(
            f"bad stage {stage!r}", field="stage", allowed=f"an integer from 0 to {MAX_STAGE}"
        )
    if not (np.isfinite(stage_mw) and 0 < stage_mw <= MAX_MW / MAX_STAGE):
        raise OptionError(
            f"bad stage MW {stage_mw!r}",
            field="stage_mw",
            allowed=f"a number > 0 and <= {MAX_MW / MAX_STAGE:,.0f}",
        )
    load = region_load(groups, "--stage")
    total = float(load.sum())
    share = load / total if total > 0 else load * 0.0
    return _constant(hours, share * stage * stage_mw, load)


def csv_times(
    table: pd.DataFrame, *, origin: pd.Timestamp, tz: str, file: str | Path
) -> pd.DatetimeIndex:
    """Times of a CSV: the ``time`` column, or ``origin`` plus ``hour`` real hours."""
    if "time" in table.columns:
        return local_times(table["time"], tz=tz, file=file)
    if "hour" in table.columns:
        hour = numbers(table, "hour", file=file, low=0.0, high=MAX_DAYS * 24.0, integer=True)
        return pd.DatetimeIndex(origin.tz_convert(tz) + pd.to_timedelta(hour, unit="h"))
    raise OptionError(
        "missing column 'hour' or 'time'", file=file, field="hour", allowed="hour or time"
    )


def region_load(groups: Groups, what: str) -> pd.Series:
    """Non-critical load per region; an error when it is unknown."""
    load = groups.regions["load_mw"].astype(float)
    if load.isna().any():
        raise OptionError(
            f"{what} needs the load of each region: give --network NAME or --regions FILE",
            field="load_mw",
        )
    return load


def _constant(hours: pd.DatetimeIndex, deficit: pd.Series, rotatable: pd.Series) -> pd.DataFrame:
    """The same deficit and rotatable load every hour."""
    frame = pd.DataFrame(
        {
            "region": deficit.index.astype(str),
            "deficit_mw": deficit.to_numpy(dtype=float),
            "rotatable_mw": rotatable.to_numpy(dtype=float),
        }
    )
    table = pd.DataFrame({"time": hours}).merge(frame, how="cross")
    table["emergency_share"] = 0.0
    return table[list(DEFICIT_COLUMNS)].sort_values(["time", "region"]).reset_index(drop=True)
