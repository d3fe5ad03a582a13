"""``gridmodel schedule``: a rolling-outage schedule from a deficit, in real formats."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import pandas as pd
import typer

from gridmodel.cli import app
from gridmodel.errors import OptionError
from gridmodel.inputs import DEFAULT_TIMEZONE

if TYPE_CHECKING:
    from gridmodel.schedule import Groups

_INPUTS = "--from-run, --deficit, --deficit-fraction, --queues, --stage"


@app.command("schedule")
def schedule(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")],
    from_run: Annotated[
        Path | None, typer.Option("--from-run", help="Run folder whose timeline.parquet to use.")
    ] = None,
    deficit: Annotated[
        Path | None,
        typer.Option("--deficit", help="CSV: hour or time, region, deficit_mw [, rotatable_mw]."),
    ] = None,
    deficit_fraction: Annotated[
        float | None,
        typer.Option("--deficit-fraction", help="Constant share (0..1) of non-critical load."),
    ] = None,
    queues: Annotated[
        str | None,
        typer.Option("--queues", help="Queues off per hour: a number (2.5) or a CSV file."),
    ] = None,
    stage: Annotated[
        int | None, typer.Option("--stage", help="Eskom-style stage N: N x --stage-mw shed.")
    ] = None,
    stage_mw: Annotated[float, typer.Option("--stage-mw", help="MW per stage.")] = 1000.0,
    network: Annotated[
        str | None, typer.Option("--network", help="Network name or file (groups and load).")
    ] = None,
    regions: Annotated[
        Path | None,
        typer.Option("--regions", help="CSV per region: region, load_mw [, customers, groups]."),
    ] = None,
    groups: Annotated[
        str | None, typer.Option("--groups", help="Groups per region: N, or NxM subgroups (6x2).")
    ] = None,
    slot_hours: Annotated[int, typer.Option("--slot-hours", help="Slot length: 1, 2 or 4 h.")] = 4,
    days: Annotated[
        int | None,
        typer.Option(
            "--days",
            help="Number of days (1-366; groups x days x slots a day at most 200,000).",
        ),
    ] = None,
    start: Annotated[str | None, typer.Option("--start", help="First day, YYYY-MM-DD.")] = None,
    tz: Annotated[str, typer.Option("--tz", help="Local time zone.")] = DEFAULT_TIMEZONE,
    policy: Annotated[str, typer.Option("--policy", help="Rotation policy.")] = "fair_rotation",
    protect: Annotated[
        list[str] | None,
        typer.Option("--protect", help="Group never rotated by --policy priority (repeatable)."),
    ] = None,
    margin: Annotated[
        float, typer.Option("--margin", help="Deficit growth (share of load) shown as possible.")
    ] = 0.10,
    min_on_hours: Annotated[
        float | None, typer.Option("--min-on-hours", help="Minimum on-time between outages.")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace a non-empty folder that gridmodel did not write.")
    ] = False,
) -> None:
    """Write schedule.csv, schedule.json (Yasno shape), dtek/ presets, schedule.ics, groups.csv."""
    from gridmodel.interrupts import stage as enter_stage
    from gridmodel.outputs import atomic_output_dir
    from gridmodel.schedule import ScheduleOptions, rotate, write_schedule
    from gridmodel.schedule.dtek import write_dtek
    from gridmodel.schedule.options import CLI_NAMES
    from gridmodel.schedule.slots import zone
    from gridmodel.schedule.states import duration_h
    from gridmodel.schedule.tables import parse_date
    from gridmodel.schema import build

    given = [
        name
        for name, value in (
            ("--from-run", from_run),
            ("--deficit", deficit),
            ("--deficit-fraction", deficit_fraction),
            ("--queues", queues),
            ("--stage", stage),
        )
        if value is not None
    ]
    if len(given) != 1:
        found = ", ".join(given) if given else "none"
        raise OptionError(f"give exactly one deficit input (got {found})", allowed=_INPUTS)
    if network is not None and regions is not None:
        raise OptionError("give --network or --regions, not both", field="network")
    zone(tz)
    first_day = parse_date(start) if start is not None else None
    enter_stage("loading")
    table, groups_ = _inputs(
        from_run=from_run,
        deficit=deficit,
        deficit_fraction=deficit_fraction,
        queues=queues,
        stage=stage,
        stage_mw=stage_mw,
        network=network,
        regions=regions,
        groups=groups,
        tz=tz,
        first_day=first_day,
        days=days,
    )
    timed = from_run is not None or deficit is not None
    options = build(
        ScheduleOptions,
        names=CLI_NAMES,
        policy=policy,
        slot_hours=slot_hours,
        days=days if (days is not None or timed) else 2,
        possible_margin=margin,
        min_on_h=min_on_hours,
        protected_groups=tuple(protect or ()),
    )
    start_day = first_day if (first_day is not None or timed) else _today(tz)
    enter_stage("computing")
    result = rotate(table, groups_, options=options, timezone=tz, start=start_day)
    with atomic_output_dir(out, overwrite=overwrite) as work:
        write_schedule(result, work)
        write_dtek(result, work)
    for warning in result.warnings:
        typer.echo(f"gridmodel: warning: {warning}", err=True)
    states = result.table["state"]
    hours = duration_h(result.table)
    typer.echo(
        f"{len(result.regions())} regions, {len(result.table.groupby(['region', 'group']))} "
        f"groups, {len(result.days)} day(s) of {result.slot_hours}-h slots from "
        f"{result.days[0]}: {hours[states == 'off'].sum():,.0f} group-hours off, "
        f"{hours[states == 'emergency'].sum():,.0f} in emergency"
    )
    typer.echo(f"schedule: {out}")


def _inputs(
    *,
    from_run: Path | None,
    deficit: Path | None,
    deficit_fraction: float | None,
    queues: str | None,
    stage: int | None,
    stage_mw: float,
    network: str | None,
    regions: Path | None,
    groups: str | None,
    tz: str,
    first_day: date | None,
    days: int | None,
) -> tuple[pd.DataFrame, Groups]:
    """The deficit table and the groups the options describe."""
    from gridmodel.schedule import (
        build_groups,
        deficit_from_fraction,
        deficit_from_stage,
        deficit_from_timeline,
        groups_from_grid,
        read_deficit_csv,
        read_queues,
        read_region_table,
        read_run_timeline,
    )
    from gridmodel.schedule.slots import day_start, hour_starts
    from gridmodel.schedule.tables import read_csv_table

    timeline = None
    if from_run is not None:
        timeline, timeline_file = read_run_timeline(from_run)
    if network is not None:
        from gridmodel.network.catalog import load_network

        built = groups_from_grid(load_network(network), groups=groups)
    elif regions is not None:
        built = read_region_table(regions, groups=groups)
    else:
        if timeline is not None and "region" in timeline.columns:
            names = timeline["region"].astype(str)
        elif deficit is not None:
            names = read_csv_table(deficit).get("region", pd.Series(dtype=str)).astype(str)
        else:
            raise OptionError(
                "this deficit input needs the load of each region",
                field="network",
                allowed="--network NAME or --regions FILE",
            )
        built = build_groups(pd.DataFrame({"region": list(dict.fromkeys(names))}), groups=groups)

    if timeline is not None:
        return deficit_from_timeline(timeline, tz=tz, file=timeline_file), built
    first = first_day if first_day is not None else _today(tz)
    if deficit is not None:
        return read_deficit_csv(deficit, built, origin=day_start(first, tz), tz=tz), built
    hours = hour_starts(first, days if days is not None else 2, tz)
    if deficit_fraction is not None:
        return deficit_from_fraction(deficit_fraction, built, hours), built
    if queues is not None:
        return read_queues(queues, built, hours=hours, tz=tz), built
    assert stage is not None
    return deficit_from_stage(stage, built, hours, stage_mw=stage_mw), built


def _today(tz: str) -> date:
    """Today's local date in ``tz`` (the default start of a schedule)."""
    return datetime.now(ZoneInfo(tz)).date()
