"""``gridmodel criticality``: which substations, and pairs of them, matter most."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from gridmodel.cli import app
from gridmodel.cli.options import AcBackend, Limit, Mode, Overload, Ratings, engine_options


@app.command()
def criticality(
    network: Annotated[
        str, typer.Argument(help="Catalog name or file (pandapower JSON, MATPOWER .m/.mat).")
    ],
    k: Annotated[int, typer.Option("--k", help="Substations lost together: 1 or 2.")] = 1,
    top: Annotated[int, typer.Option(help="Outages shown and listed in summary.json.")] = 20,
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
    workers: Annotated[int, typer.Option(help="Worker processes (>= 1).")] = 1,
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
    from rich.table import Table

    from gridmodel.network.catalog import load_network
    from gridmodel.engine.compiled import compile_grid
    from gridmodel.studies.criticality import CriticalityOptions, outage_set, rank_outages
    from gridmodel.errors import OptionError
    from gridmodel.outputs import atomic_output_dir, check_target, safe_csv

    for name, value in (("--top", top), ("--workers", workers)):
        if value < 1:
            raise OptionError(f"must be a whole number >= 1, got {value}", field=name)
    options = CriticalityOptions(k=k, max_pairs=max_pairs, seed=seed)
    engine = engine_options(
        mode=mode, overload=overload, ratings=ratings, limit=limit, ac_backend=ac_backend
    )
    check_target(out, overwrite=overwrite)
    grid = load_network(network)
    started = time.perf_counter()
    compiled = compile_grid(grid, options=engine)
    total = len(outage_set(len(grid.substations), options=options).positions)
    console = Console(stderr=True)
    bar = Progress(
        TextColumn(f"N-{k} outages"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        disable=not progress,
        transient=True,
    )
    with bar:
        task = bar.add_task("outages", total=total)
        table, outages = rank_outages(
            compiled,
            options=options,
            on_progress=lambda n: bar.update(task, completed=n),
            workers=workers,
            network=network,
        )
    elapsed = time.perf_counter() - started
    summary = _summary(grid.name, compiled, options, engine, table, outages, top=top)
    with atomic_output_dir(out, overwrite=overwrite) as tmp:
        safe_csv(table, tmp / "criticality.csv")
        _write_json(tmp / "summary.json", summary)
        _write_json(
            tmp / "run.json",
            {
                "workers": workers,
                "elapsed_s": round(elapsed, 3),
                "ms_per_outage": round(1000 * elapsed / max(len(table), 1), 3),
            },
        )
    shown = Table("rank", "substations", "regions", "unserved MW", "customers off", "tripped")
    for row in table.head(top).itertuples():
        shown.add_row(
            str(row.rank),
            str(row.names),
            str(row.regions),
            f"{row.unserved_mw:.1f}",
            f"{row.customers_off:,}",
            str(row.tripped),
        )
    Console().print(shown)
    sampled = " (sampled)" if outages.sampled else ""
    typer.echo(
        f"{grid.name}: {len(table):,} of {outages.total:,} N-{k} outages{sampled} "
        f"in {elapsed:.1f} s"
    )
    typer.echo(f"results: {out}")


def _summary(
    name: str,
    compiled: Any,
    options: Any,
    engine: Any,
    table: Any,
    outages: Any,
    *,
    top: int,
) -> dict[str, Any]:
    return {
        "network": name,
        "k": options.k,
        "options": {
            "mode": engine.mode,
            "overload": engine.overload,
            "ratings": engine.ratings,
            "overload_limit_percent": float(engine.overload_limit_percent),
            "ac_backend": engine.ac_backend,
        },
        "substations": len(compiled.grid.substations),
        "load_mw": round(float(compiled.load_p_mw.sum()), 6),
        "outages_total": int(outages.total),
        "outages_evaluated": len(table),
        "sampled": bool(outages.sampled),
        "seed": options.seed if outages.sampled else None,
        "top": json.loads(table.head(top).to_json(orient="records")),
    }


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
