"""``gridmodel impact``: who loses power when elements are struck."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gridmodel.cli import app
from gridmodel.cli.options import AcBackend, Limit, Mode, NoCache, Overload, Ratings


@app.command()
def impact(
    network: Annotated[
        str, typer.Argument(help="Catalog name or file (pandapower JSON, MATPOWER .m/.mat).")
    ],
    strike: Annotated[
        list[str] | None,
        typer.Option(
            "--strike",
            "-s",
            help="Element to take out, KIND:ID (substation, bus, line, trafo, gen); repeatable.",
        ),
    ] = None,
    mode: Mode = "dc",
    overload: Overload = "operator",
    ratings: Ratings = "raise-base",
    limit: Limit = 100.0,
    ac_backend: AcBackend = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    no_cache: NoCache = False,
) -> None:
    """Evaluate the grid with the struck elements out of service (no strike: the intact grid).

    The compiled network is kept in the cache folder (see the README), so a
    second call on the same network answers in about a second.
    """
    from gridmodel.cli.options import say_compile_cost
    from gridmodel.contract import ImpactJson, check_written
    from gridmodel.engine.prepare import prepare_grid
    from gridmodel.interrupts import stage
    from gridmodel.studies.impact import engine_options, impact_of, strike_elements

    options = engine_options(
        mode=mode, overload=overload, ratings=ratings, limit=limit, ac_backend=ac_backend
    )  # checked before the network is loaded
    elements = strike_elements(strike or [])
    stage("loading")
    prepared = prepare_grid(network, options=options, use_cache=not no_cache)
    stage("computing")
    result = impact_of(prepared.compiled, elements)
    summary = result.to_dict()
    check_written(summary, Path("the impact"), ImpactJson)  # no NaN or negative count shown
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        _print_table(result.grid.name, [str(e) for e in result.strikes], summary)
    say_compile_cost(prepared)  # after the answer: an interrupted call prints only its stop


def _print_table(name: str, elements: list[str], summary: Mapping[str, Any]) -> None:
    console = Console()
    struck = ", ".join(elements) or "nothing (intact grid)"
    console.print(f"[bold]{name}[/bold]: struck {struck}")
    console.print(
        f"load {summary['load_mw']:.1f} MW, served {summary['served_mw']:.1f} MW, "
        f"unserved {summary['unserved_mw']:.1f} MW "
        f"(dark {summary['dark_mw']:.1f}, shed {summary['shed_mw']:.1f}); "
        f"customers off {summary['customers_off']:,}; islands {summary['islands']} "
        f"({summary['energized_islands']} energised); "
        f"{len(summary['tripped_branches'])} branches tripped; "
        f"{'converged' if summary['converged'] else 'NOT converged'} ({summary['mode']})"
    )
    table = Table("region", "load MW", "unserved MW", "customers off")
    for row in summary["by_region"]:
        if row["unserved_mw"] > 0 or len(summary["by_region"]) <= 30:
            table.add_row(
                row["region"],
                f"{row['load_mw']:.1f}",
                f"{row['unserved_mw']:.1f}",
                f"{row['customers_off']:,}",
            )
    console.print(table)
    for trip in summary["tripped_branches"]:
        console.print(
            f"step {trip['step']}: {trip['element']} {trip['index']} tripped "
            f"at {trip['loading_percent']:.0f} %"
        )
    for note in summary["warnings"]:
        console.print(f"[yellow]warning:[/yellow] {note}")
