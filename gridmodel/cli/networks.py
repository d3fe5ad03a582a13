"""``gridmodel networks``: list, show and import networks."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

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
    """Summary, per-region table and equipment of one network.

    Prints the regions (substations, groups, peak load MW, generation MW,
    customers), substations by their highest voltage, km of line circuit by
    voltage (in and out of service) and generation by type (installed MW of
    all units, installed MW in service, available MW = max_p_mw in service).

    --json prints one object: name, source, buses, substations, loads,
    customers, load_mw, gen_mw, regions (list of {region, substations, groups,
    load_mw, gen_mw, customers}), substations_by_voltage (list of {vn_kv,
    substations}), lines_by_voltage (list of {vn_kv, circuits, length_km,
    circuits_out, length_out_km}), generation_by_type (list of {type, units,
    units_in_service, installed_mw, in_service_mw, available_mw}),
    generation_total (the same, type "total") and external_grids ({units,
    units_in_service, max_p_mw, unlimited}).
    """
    from gridmodel.network.catalog import load_network
    from gridmodel.network.inventory import describe

    summary = describe(load_network(name))
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    console = _console()
    console.print(
        f"[bold]{summary['name']}[/bold]  ({summary['source']})\n"
        f"{summary['buses']} buses, {summary['substations']} substations, "
        f"{len(summary['regions'])} regions, {summary['loads']} loads\n"
        f"load {summary['load_mw']:,.1f} MW, generation {summary['gen_mw']:,.1f} MW available "
        f"(units in service and external grids' max_p_mw), {summary['customers']:,} customers"
    )
    console.print(_region_table(summary))
    console.print(_substation_table(summary["substations_by_voltage"]))
    console.print(_line_table(summary["lines_by_voltage"]))
    console.print(_generation_table(summary["generation_by_type"], summary["generation_total"]))
    ext = summary["external_grids"]
    if ext["units"]:
        limit = f"max {ext['max_p_mw']:,.1f} MW" + (
            f", {ext['unlimited']} without a limit" if ext["unlimited"] else ""
        )
        console.print(
            f"external grids (import, slack; not in the generation total): "
            f"{ext['units_in_service']} of {ext['units']} in service, {limit}"
        )


def _kv(vn_kv: float) -> str:
    return f"{vn_kv:g} kV"


def _table(title: str, columns: tuple[str, ...]) -> Table:
    """A table whose first column is left-aligned and the others right-aligned."""
    table = Table(title=title)
    for i, col in enumerate(columns):
        table.add_column(col, justify="left" if i == 0 else "right")
    return table


def _region_table(summary: dict[str, Any]) -> Table:
    table = _table(
        "Regions", ("region", "substations", "groups", "load MW", "generation MW", "customers")
    )
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
    return table


def _substation_table(rows: list[dict[str, Any]]) -> Table:
    table = _table("Substations", ("highest voltage", "substations"))
    for r in rows:
        table.add_row(_kv(r["vn_kv"]), str(r["substations"]))
    return table


def _line_table(rows: list[dict[str, Any]]) -> Table:
    table = _table(
        "Lines by voltage (km of circuit)",
        ("voltage", "circuits", "km in service", "circuits out", "km out of service"),
    )
    for r in rows:
        table.add_row(
            _kv(r["vn_kv"]),
            str(r["circuits"]),
            f"{r['length_km']:,.1f}",
            str(r["circuits_out"]),
            f"{r['length_out_km']:,.1f}",
        )
    return table


def _generation_table(rows: list[dict[str, Any]], total: dict[str, Any]) -> Table:
    table = _table(
        "Generation by type",
        ("type", "units", "in service", "installed MW", "in service MW", "available MW"),
    )
    for r in [*rows, total]:
        if r is total:
            table.add_section()
        table.add_row(
            r["type"],
            str(r["units"]),
            str(r["units_in_service"]),
            f"{r['installed_mw']:,.1f}",
            f"{r['in_service_mw']:,.1f}",
            f"{r['available_mw']:,.1f}",
        )
    return table


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
