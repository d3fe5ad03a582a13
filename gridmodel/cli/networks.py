"""``gridmodel networks``: list, show and import networks."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gridmodel.cli import EXIT_BAD_INPUT, app

networks_app = typer.Typer(
    help="List, show and import networks (built-in cases, bundled folders, files).",
    no_args_is_help=True,
)
app.add_typer(networks_app, name="networks")


def _console() -> Console:
    """Rich console; 120 columns when stdout is not a terminal (pipes, tests)."""
    return Console() if sys.stdout.isatty() else Console(width=120)


@networks_app.command("list")
def list_networks(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Every network available by name, with its size, load and generation.

    Rows are kept in GRIDMODEL_CACHE_DIR (else $XDG_CACHE_HOME/gridmodel, else
    ~/.cache/gridmodel) and recomputed when pandapower, gridmodel or a bundled
    folder's files change.
    """
    from gridmodel.network.listing import summarize_catalog

    rows = summarize_catalog()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
    else:
        table = Table(title="gridmodel networks")
        for col, justify in (
            ("name", "left"),
            ("source", "left"),
            ("buses", "right"),
            ("substations", "right"),
            ("regions", "right"),
            ("load MW", "right"),
            ("generation MW", "right"),
        ):
            table.add_column(col, justify=justify)  # type: ignore[arg-type]
        for row in rows:
            if "error" in row:
                table.add_row(row["name"], row["kind"], "[red]unreadable[/red]", "", "", "", "")
                continue
            table.add_row(
                row["name"],
                row["kind"],
                str(row["buses"]),
                str(row["substations"]),
                str(row["regions"]),
                f"{row['load_mw']:,.1f}",
                f"{row['gen_mw']:,.1f}",
            )
        _console().print(table)
    failed = [row["error"] for row in rows if "error" in row]
    for line in failed:
        typer.echo(f"gridmodel: error: {line}", err=True)
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)


@networks_app.command("show")
def show_network(
    name: Annotated[str, typer.Argument(help="Catalog name, network folder or file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
) -> None:
    """Summary and per-region table of one network."""
    from gridmodel.network.catalog import load_network, summarize

    summary = summarize(load_network(name))
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    console = _console()
    console.print(
        f"[bold]{summary['name']}[/bold]  ({summary['source']})\n"
        f"{summary['buses']} buses, {summary['substations']} substations, "
        f"{len(summary['regions'])} regions, {summary['loads']} loads\n"
        f"load {summary['load_mw']:,.1f} MW, installed generation {summary['gen_mw']:,.1f} MW, "
        f"{summary['customers']:,} customers"
    )
    table = Table()
    for col in ("region", "substations", "groups", "load MW", "generation MW", "customers"):
        table.add_column(col, justify="left" if col == "region" else "right")
    for r in summary["regions"]:
        table.add_row(
            r["region"],
            str(r["substations"]),
            str(r["groups"]),
            f"{r['load_mw']:,.1f}",
            f"{r['gen_mw']:,.1f}",
            f"{r['customers']:,}",
        )
    table.add_section()
    table.add_row(
        "total",
        str(summary["substations"]),
        "",
        f"{summary['load_mw']:,.1f}",
        f"{summary['gen_mw']:,.1f}",
        f"{summary['customers']:,}",
    )
    console.print(table)


@networks_app.command("import")
def import_network_command(
    file: Annotated[str, typer.Argument(help="pandapower JSON, MATPOWER .m/.mat, or a name.")],
    name: Annotated[str, typer.Option("--name", help="Name of the new bundled network.")],
    substations: Annotated[
        Path | None,
        typer.Option(
            "--substations",
            help="CSV with substation,name,region,lat,lon,buses (bus indices, space-separated).",
        ),
    ] = None,
    dest: Annotated[
        Path | None,
        typer.Option("--dest", help="Folder to create the network folder in."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing network folder.")
    ] = False,
) -> None:
    """Turn a network file (plus optional substations CSV) into a bundled network folder."""
    from gridmodel.network.bundle import import_network

    folder = import_network(
        file, name=name, dest=dest, substations_csv=substations, overwrite=overwrite
    )
    typer.echo(f"wrote {folder}")
