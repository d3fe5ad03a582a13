"""The deficit a rotation must cover: one table, several ways to build it.

The deficit table
-----------------
One row per (hour, region), the input of :func:`gridmodel.schedule.rotate`:

``time``          tz-aware start of the hour
``region``        region name (str), one of the groups' regions
``deficit_mw``    shortage to cover by switching groups off (>= 0)
``rotatable_mw``  connected non-critical load that rotation can switch (>= 0);
                  switching off groups holding a share ``s`` of the region
                  removes ``s * rotatable_mw``
``emergency``     bool: the schedule is not in effect (fresh strike wave,
                  de-energised area or under-frequency shedding); all groups
                  of the region show ``emergency``

Regions and hours without a row have no deficit.

Builders, one per input of the ``schedule`` command: a run's hourly timeline
(:func:`deficit_from_timeline`), a CSV of deficits (:func:`read_deficit_csv`),
a constant share of load (:func:`deficit_from_fraction`), queues off per hour
as the transmission operator announces them (:func:`deficit_from_queues`), and
an Eskom-style stage (:func:`deficit_from_stage`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gridmodel.errors import OptionError
from gridmodel.schedule.groups import Groups
from gridmodel.schedule.tables import (
    flags,
    local_times,
    numbers,
    read_csv_table,
    require_columns,
)
from gridmodel.schema import DEFAULT_TIMEZONE

DEFICIT_COLUMNS: tuple[str, ...] = ("time", "region", "deficit_mw", "rotatable_mw", "emergency")
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
_TIMELINE_MW: tuple[str, ...] = tuple(c for c in TIMELINE_COLUMNS if c.endswith("_mw"))
#: Hours after a strike wave during which a region is in emergency outages.
EMERGENCY_AFTER_WAVE_H = 12.0
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
    that is not the start of an hour, duplicate rows, a region without groups)
    are :class:`~gridmodel.errors.OptionError`.
    """
    require_columns(table, DEFICIT_COLUMNS, file=file)
    times = local_times(table["time"], tz=tz, file=file)
    off_hour = (times.minute != 0) | (times.second != 0) | (times.nanosecond != 0)
    if off_hour.any():
        row = int(np.flatnonzero(off_hour)[0])
        raise OptionError(
            f"time {times[row]} in row {row + 2} is not the start of an hour",
            file=file,
            field="time",
        )
    out = pd.DataFrame(
        {
            "time": times,
            "region": table["region"].astype(str).str.strip().to_numpy(),
            "deficit_mw": numbers(table, "deficit_mw", file=file, low=0.0),
            "rotatable_mw": numbers(table, "rotatable_mw", file=file, low=0.0),
            "emergency": flags(table, "emergency", file=file),
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


def read_run_timeline(run_dir: str | Path) -> tuple[pd.DataFrame, Path]:
    """Read ``timeline.parquet`` (or ``timeline.csv``) of a run folder.

    Returns the table and the file it came from.
    """
    folder = Path(run_dir)
    for name in ("timeline.parquet", "timeline.csv"):
        path = folder / name
        if path.is_file():
            try:
                table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
            except Exception as exc:  # pyarrow and csv raise many kinds
                raise OptionError(
                    f"cannot read timeline: {exc}".splitlines()[0], file=path
                ) from None
            return table, path
    raise OptionError(
        "no timeline.parquet or timeline.csv in the run folder",
        file=folder,
        field="from_run",
        allowed="a folder written by gridmodel run",
    )


def deficit_from_timeline(
    timeline: pd.DataFrame,
    *,
    tz: str = DEFAULT_TIMEZONE,
    emergency_after_wave_h: float = EMERGENCY_AFTER_WAVE_H,
    dark_emergency_share: float = 0.0,
    file: str | Path | None = None,
) -> pd.DataFrame:
    """Deficit table from a run's hourly timeline.

    Rolling schedules rotate the load that is unserved for want of network
    capacity or supply (``network_limited_mw + supply_shortage_mw``), for
    as long as the timeline shows it. Dark load and load shed by
    under-frequency relays (``ufls_mw``) are emergency outages: they are
    not rotated, and they put their region in emergency outages.

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
        A region is in emergency outages while ``wave_h`` is below this.
    dark_emergency_share
        ... and while more than this share of its demand is dark or shed by
        under-frequency relays (``dark_mw + ufls_mw``; default 0: any such
        load puts the region in emergency outages, as distribution
        companies announce when part of a city is cut off).
    file
        The timeline's file, named in errors.

    Returns
    -------
    pandas.DataFrame
        Deficit table: ``deficit_mw = network_limited_mw +
        supply_shortage_mw`` and ``rotatable_mw = demand_mw - dark_mw -
        ufls_mw - critical_mw`` (clipped at 0). Regions with no demand in
        any hour (no consumers: they have no rotation groups either) are
        left out.

    Raises
    ------
    OptionError
        A column of :data:`TIMELINE_COLUMNS` is missing (a run folder
        written before the timeline had the category columns), or a value
        is not a number >= 0.

    Notes
    -----
    The rotatable load is a lower bound: critical load that is dark or shed
    by under-frequency relays is subtracted twice, so the schedule may
    switch off a little more than needed but never less.
    """
    require_columns(timeline, TIMELINE_COLUMNS, file=file)
    numbers(timeline, "hour", file=file, low=0.0, integer=True)
    value = {c: numbers(timeline, c, file=file, low=0.0) for c in _TIMELINE_MW}
    wave_h = numbers(timeline, "wave_h", file=file, default=np.nan)
    demand = value["demand_mw"]
    emergency_mw = value["dark_mw"] + value["ufls_mw"]  # not rotated: emergency outages
    emergency = (np.nan_to_num(wave_h, nan=np.inf) < emergency_after_wave_h) | (
        emergency_mw > dark_emergency_share * demand + 1e-9
    )
    table = pd.DataFrame(
        {
            "time": local_times(timeline["time"], tz=tz, file=file),
            "region": timeline["region"].astype(str).to_numpy(),
            "deficit_mw": value["network_limited_mw"] + value["supply_shortage_mw"],
            "rotatable_mw": np.maximum(demand - emergency_mw - value["critical_mw"], 0.0),
            "emergency": emergency,
        }
    )
    # A region with no demand in any hour has no consumers, hence no rotation groups.
    consumers = pd.Series(demand > 0, index=table.index).groupby(table["region"]).transform("any")
    return check_deficit(table[consumers], tz=tz, file=file)


def read_deficit_csv(
    path: str | Path, groups: Groups, *, origin: pd.Timestamp, tz: str = DEFAULT_TIMEZONE
) -> pd.DataFrame:
    """Deficit table from a CSV file.

    Columns: ``hour`` (integer hours from ``origin``) or ``time`` (ISO 8601;
    without an offset it is local time in ``tz``), ``region``, ``deficit_mw``;
    optional ``rotatable_mw`` (default: the region's non-critical load from
    ``groups``) and ``emergency`` (true/false, default false).
    """
    table = read_csv_table(path)
    require_columns(table, ["region", "deficit_mw"], file=path)
    out = pd.DataFrame(
        {
            "time": _times(table, origin=origin, tz=tz, file=path),
            "region": table["region"],
            "deficit_mw": table["deficit_mw"],
        }
    )
    if "rotatable_mw" in table.columns:
        out["rotatable_mw"] = numbers(table, "rotatable_mw", file=path, low=0.0)
    else:
        load = _region_load(groups, "a deficit file without a rotatable_mw column")
        out["rotatable_mw"] = out["region"].map(load)
    out["emergency"] = table["emergency"] if "emergency" in table.columns else False
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
    load = _region_load(groups, "--deficit-fraction")
    return _constant(hours, load * fraction, load)


def deficit_from_stage(
    stage: int, groups: Groups, hours: pd.DatetimeIndex, *, stage_mw: float = STAGE_MW
) -> pd.DataFrame:
    """Eskom-style stage: ``stage * stage_mw`` shed nationally, spread over regions by load.

    Each region's deficit is its share of the total non-critical load times
    the national amount; above the total load the regions are in emergency.
    """
    if stage < 0 or stage != int(stage):
        raise OptionError(f"bad stage {stage!r}", field="stage", allowed="an integer >= 0")
    if not np.isfinite(stage_mw) or stage_mw <= 0:
        raise OptionError(f"bad stage MW {stage_mw!r}", field="stage_mw", allowed="a number > 0")
    load = _region_load(groups, "--stage")
    total = float(load.sum())
    share = load / total if total > 0 else load * 0.0
    return _constant(hours, share * stage * stage_mw, load)


def deficit_from_queues(queues: pd.DataFrame, groups: Groups) -> pd.DataFrame:
    """Deficit table from queues (groups) off per hour.

    Parameters
    ----------
    queues
        Columns ``time`` (tz-aware), ``queues`` (number of groups off, in
        steps of 0.5 as Ukrenergo announces them) and optionally ``region``
        (without it the number applies to every region).
    groups
        The groups; a region with ``n`` queues and ``q`` queues off has a
        deficit of ``q / n`` of its non-critical load. Queues are the main
        groups: with subgroups ``6x2`` a half queue is one subgroup (2.5
        queues: 5 of 12 subgroups). Without subgroups a half queue is covered
        by a whole group for the whole slot (2.5 of 6 queues: 3 groups off).
    """
    q = queues["queues"].to_numpy(dtype=float)
    bad = ~np.isfinite(q) | (q < 0) | (q * 2 != np.round(q * 2))
    if bad.any():
        raise OptionError(
            f"bad number of queues {float(q[np.flatnonzero(bad)[0]]):g}",
            field="queues",
            allowed="a number >= 0 in steps of 0.5",
        )
    load = _region_load(groups, "--queues")
    if "region" in queues.columns:
        for region in queues["region"].unique():
            groups.check_region(str(region))
        table = queues[["time", "region", "queues"]].copy()
    else:
        table = queues[["time", "queues"]].merge(
            pd.DataFrame({"region": groups.region_names()}), how="cross"
        )
    count = table["region"].map(groups.regions["queues"]).astype(float)
    rotatable = table["region"].map(load).astype(float)
    table["deficit_mw"] = table["queues"] / count * rotatable
    table["rotatable_mw"] = rotatable
    table["emergency"] = False
    return check_deficit(table.drop(columns="queues"), groups, tz=str(queues["time"].dt.tz))


def read_queues(
    spec: str | Path, groups: Groups, *, hours: pd.DatetimeIndex, tz: str = DEFAULT_TIMEZONE
) -> pd.DataFrame:
    """Queues-off input of ``--queues``: a number for every hour, or a CSV file.

    The CSV has ``hour`` (from the first of ``hours``) or ``time``,
    ``queues``, and optionally ``region``.
    """
    text = str(spec).strip()
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is not None:
        queues = pd.DataFrame({"time": hours, "queues": value})
        return deficit_from_queues(queues, groups)
    table = read_csv_table(text)
    require_columns(table, ["queues"], file=text)
    queues = pd.DataFrame(
        {
            "time": _times(table, origin=hours[0], tz=tz, file=text),
            "queues": numbers(table, "queues", file=text, low=0.0),
        }
    )
    if "region" in table.columns:
        queues["region"] = table["region"].to_numpy()
    try:
        return deficit_from_queues(queues, groups)
    except OptionError as exc:
        raise OptionError(exc.message, file=text, field=exc.field, allowed=exc.allowed) from None


def _times(
    table: pd.DataFrame, *, origin: pd.Timestamp, tz: str, file: str | Path
) -> pd.DatetimeIndex:
    """Times of a CSV: the ``time`` column, or ``origin`` plus ``hour`` real hours."""
    if "time" in table.columns:
        return local_times(table["time"], tz=tz, file=file)
    if "hour" in table.columns:
        hour = numbers(table, "hour", file=file, low=0.0, integer=True)
        return pd.DatetimeIndex(origin.tz_convert(tz) + pd.to_timedelta(hour, unit="h"))
    raise OptionError(
        "missing column 'hour' or 'time'", file=file, field="hour", allowed="hour or time"
    )


def _region_load(groups: Groups, what: str) -> pd.Series:
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
    table["emergency"] = False
    return table[list(DEFICIT_COLUMNS)].sort_values(["time", "region"]).reset_index(drop=True)
