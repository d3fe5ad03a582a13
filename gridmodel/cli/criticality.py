"""``gridmodel criticality``: which substations, and pairs of them, matter most."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gridmodel.cli import app
from gridmodel.cli.options import AcBackend, Limit, Mode, NoCache, Overload, Ratings

if TYPE_CHECKING:
    import pandas as pd
    from rich.progress import Progress


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
        str,
        typer.Option(
            "--max-pairs",
            help="k=2: all pairs up to this many (1-5,000,000), a seeded sample of this many "
            "beyond; 'all': every pair (up to 5,000,000).",
        ),
    ] = "200000",
    seed: Annotated[int, typer.Option(help="Seed of the pair sample.")] = 0,
    workers: Annotated[
        int,
        typer.Option(
            help="Worker processes (1 to four per CPU, at most 256; with --scheduler local: "
            "the cluster's)."
        ),
    ] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler: 'local' (start a LocalCluster) or tcp://host:8786."),
    ] = None,
    chunk_size: Annotated[
        int | None,
        typer.Option(
            "--chunk-size",
            help="Outages per Parquet chunk (1-1,000,000; default a 32nd of them, 500-20,000).",
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "reports/criticality"
    ),
    resume: Annotated[
        bool,
        typer.Option(
            help="Finish the missing chunks of an interrupted study in OUT (same network and "
            "options); a new or empty OUT just starts."
        ),
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option(
            help="Replace a non-empty folder that gridmodel did not write, or an unfinished study."
        ),
    ] = False,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr.")] = True,
    no_cache: NoCache = False,
) -> None:
    """Rank substations (k=1) or pairs (k=2) by unserved MW and customers off.

    Every outage's figures stream to OUT/outages/*.parquet as chunks finish
    (the folder is marked INCOMPLETE until done, so an interrupted study can
    be finished with --resume); then OUT/criticality.csv (the ranking, at
    most 100,000 rows) and OUT/summary.json (the top outages); run timings
    go to OUT/run.json. The compiled network is kept in the cache folder (see
    the README): the next study of it, and its worker processes, skip loading
    and compiling.
    """
    from gridmodel import criticality as rank_criticality
    from gridmodel.cli.options import say_compile_cost
    from gridmodel.contract import INCOMPLETE_FILE
    from gridmodel.engine.prepare import prepare_grid
    from gridmodel.errors import interrupted
    from gridmodel.interrupts import stage
    from gridmodel.studies.criticality import check_counts
    from gridmodel.studies.criticality.space import check_chunk_size, outage_space
    from gridmodel.studies.criticality.store import precheck
    from gridmodel.studies.impact import engine_options
    from gridmodel.studies.montecarlo import check_scheduler
    from gridmodel.studies.outages import CriticalityOptions

    pairs = max_pairs_value(max_pairs)
    options = CriticalityOptions(k=k, max_pairs=pairs, seed=seed)  # checked before any work
    check_counts(top=top, workers=workers)
    check_scheduler(scheduler)
    if chunk_size is not None:
        check_chunk_size(chunk_size)
    engine = engine_options(
        mode=mode, overload=overload, ratings=ratings, limit=limit, ac_backend=ac_backend
    )
    precheck(out, resume=resume, overwrite=overwrite)
    stage("loading")
    prepared = prepare_grid(network, options=engine, use_cache=not no_cache)
    grid = prepared.compiled.grid
    total = outage_space(len(grid.substations), options).count  # max_pairs=all checked here
    stage("computing")
    started = time.perf_counter()
    bar = _progress_bar(f"N-{k} outages", shown=progress)
    try:
        with bar:
            task = bar.add_task("outages", total=total)
            table = rank_criticality(
                prepared.compiled,
                k,
                mode=mode,
                overload=overload,
                ratings=ratings,
                limit=limit,
                ac_backend=ac_backend,
                max_pairs=pairs,
                seed=seed,
                workers=workers,
                scheduler=scheduler,
                chunk_size=chunk_size,
                network=network,
                out=out,
                overwrite=overwrite,
                resume=resume,
                top=top,
                on_progress=lambda n: bar.update(task, completed=n),
                use_cache=not no_cache,
            )
    except BaseException as exc:
        if interrupted(exc) and (out / INCOMPLETE_FILE).is_file():  # chunks are on disk
            typer.echo(f"finished chunks are kept; resume with --resume --out {out}", err=True)
        raise
    elapsed = time.perf_counter() - started
    _print_ranking(table, top)
    sampled = " (sampled)" if table.attrs["sampled"] else ""
    typer.echo(
        f"{grid.name}: {table.attrs['outages_evaluated']:,} of {table.attrs['outages_total']:,} "
        f"N-{k} outages{sampled} in {elapsed:.1f} s"
    )
    if overload == "trip":
        typer.echo(
            "overloads: the plain trip cascade, a screening bound (every branch above its "
            "limit trips at once); --overload operator lets operators act first"
        )
    typer.echo(f"results: {out}")
    say_compile_cost(prepared)


def _progress_bar(label: str, *, shown: bool) -> Progress:
    """A progress bar on stderr: done of total, time elapsed and left."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not shown,
        transient=True,
    )


def max_pairs_value(text: str) -> int | str:
    """``--max-pairs`` as the API takes it: ``"all"`` or a whole number (ASCII digits).

    Raises
    ------
    OptionError
        Anything else (the range is checked by the API).
    """
    from gridmodel.errors import OptionError
    from gridmodel.studies.outages import ALL_PAIRS, MAX_PAIRS_CAP

    word = text.strip()
    if word == ALL_PAIRS:
        return ALL_PAIRS
    if word.isascii() and word.isdigit() and len(word) <= 30:
        return int(word)
    raise OptionError(
        f"not a number of pairs: {text[:40]!r}",
        field="max_pairs",
        allowed=f"a whole number from 1 to {MAX_PAIRS_CAP:,}, or {ALL_PAIRS}",
    )


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
