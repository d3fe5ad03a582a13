"""``gridmodel criticality``: which substations, and pairs of them, matter most."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gridmodel.cli import app
from gridmodel.cli.options import AcBackend, Limit, Mode, Overload, Ratings

if TYPE_CHECKING:
    import pandas as pd


@app.command()
def criticality(
    network: Annotated[
        str, typer.Argument(help="Catalog name or file (pandapower JSON, MATPOWER .m/.mat).")
    ],
    k: Annotated[int, typer.Option("--k", help="Substations lost together: 1 or 2.")] = 1,
    top: Annotated[
        int, typer.Option(help="Outages shown and listed in summary.json (1-10,000).")
    ] = 20,
    mode: Mode = "dc",
    overload: Overload = "trip",
    ratings: Ratings = "raise-base",
    limit: Limit = 100.0,
    ac_backend: AcBackend = "auto",
    max_pairs: Annotated[
        int,
        typer.Option("--max-pairs", help="k=2: all pairs up to this many, a seeded sample beyond."),
    ] = 200_000,
    seed: Annotated[int, typer.Option(help="Seed of the pair sample.")] = 0,
    workers: Annotated[
        int, typer.Option(help="Worker processes (1 to four per CPU, at most 256).")
    ] = 1,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "reports/criticality"
    ),
    overwrite: Annotated[
        bool, typer.Option(help="Replace a non-empty folder that gridmodel did not write.")
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr.")] = True,
) -> None:
    """Rank substations (k=1) or pairs (k=2) by unserved MW and customers off.

    Writes OUT/criticality.csv (every outage evaluated, ranked) and
    OUT/summary.json (the top outages); run timings go to OUT/run.json.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from gridmodel import criticality as rank_criticality
    from gridmodel import load_network
    from gridmodel.interrupts import stage
    from gridmodel.outputs import check_target
    from gridmodel.studies.criticality import check_counts
    from gridmodel.studies.impact import engine_options
    from gridmodel.studies.outages import CriticalityOptions, outage_set

    options = CriticalityOptions(k=k, max_pairs=max_pairs, seed=seed)  # checked before any work
    check_counts(top=top, workers=workers)
    engine_options(
        mode=mode, overload=overload, ratings=ratings, limit=limit, ac_backend=ac_backend
    )
    check_target(out, overwrite=overwrite)
    stage("loading")
    grid = load_network(network)
    stage("computing")
    started = time.perf_counter()
    total = len(outage_set(len(grid.substations), options=options).positions)
    bar = Progress(
        TextColumn(f"N-{k} outages"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        disable=not progress,
        transient=True,
    )
    with bar:
        task = bar.add_task("outages", total=total)
        table = rank_criticality(
            grid,
            k,
            mode=mode,
            overload=overload,
            ratings=ratings,
            limit=limit,
            ac_backend=ac_backend,
            max_pairs=max_pairs,
            seed=seed,
            workers=workers,
            network=network,
            out=out,
            overwrite=overwrite,
            top=top,
            on_progress=lambda n: bar.update(task, completed=n),
        )
    elapsed = time.perf_counter() - started
    _print_ranking(table, top)
    sampled = " (sampled)" if table.attrs["sampled"] else ""
    typer.echo(
        f"{grid.name}: {len(table):,} of {table.attrs['outages_total']:,} N-{k} outages{sampled} "
        f"in {elapsed:.1f} s"
    )
    if overload == "trip":
        typer.echo(
            "overloads: the plain trip cascade, a screening bound (every branch above its "
            "limit trips at once); --overload operator lets operators act first"
        )
    typer.echo(f"results: {out}")


def _print_ranking(table: pd.DataFrame, top: int) -> None:
    """The ``top`` outages of the ranking as a table on stdout."""
    from rich.console import Console
    from rich.table import Column, Table

    # the ids a strike names (substation:bus384 is bus384 here), the names next to them
    shown = Table(
        "rank",
        Column("substation ids", no_wrap=True),
        "names",
        "regions",
        "unserved MW",
        "customers off",
        "tripped",
    )
    for row in table.head(top).itertuples():
        shown.add_row(
            str(row.rank),
            str(row.substations),
            str(row.names),
            str(row.regions),
            f"{row.unserved_mw:,.1f}",
            f"{row.customers_off:,}",
            str(row.tripped),
        )
    Console().print(shown)
