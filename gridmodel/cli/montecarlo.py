"""``gridmodel montecarlo``: many samples of a scenario, streamed to Parquet chunks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from gridmodel.cli import app
from gridmodel.errors import interrupted


@app.command()
def montecarlo(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    samples: Annotated[
        int, typer.Option("--samples", "-n", help="Number of samples (1-1,000,000).")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "reports/montecarlo"
    ),
    workers: Annotated[
        int | None,
        typer.Option(
            help="Worker processes (default 1; with --scheduler local: CPU count; "
            "at most four per CPU, 256)."
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler: 'local' (start a LocalCluster) or tcp://host:8786."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the scenario's).")] = None,
    chunk_size: Annotated[
        int | None,
        typer.Option(
            "--chunk-size", help="Samples per Parquet chunk (default 20; 500 with --impact-only)."
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            help="Finish the missing chunks of an interrupted run in OUT (same scenario, "
            "--samples, --seed); a new or empty OUT just starts."
        ),
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option(
            help="Replace a non-empty folder gridmodel did not write, or an unfinished run."
        ),
    ] = False,
    timeline: Annotated[
        bool,
        typer.Option(
            "--timeline/--impact-only",
            help="Also play out each sample's repairs and record restoration metrics.",
        ),
    ] = True,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr.")] = True,
) -> None:
    """Sample the scenario's strikes SAMPLES times; one row per sample in OUT/samples/*.parquet.

    Each sample draws the salvoes and hits, evaluates the impact and (unless
    --impact-only) plays out the repairs and records the restoration metrics.
    Sample i depends only on the seed and i: any number of workers, or a Dask
    cluster, gives the same table. The folder is written in place and marked
    INCOMPLETE until done, so an interrupted run can be finished with --resume.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from gridmodel.contract import INCOMPLETE_FILE
    from gridmodel.interrupts import stage
    from gridmodel.scenario import load_scenario
    from gridmodel.studies.montecarlo import (
        SweepOptions,
        read_manifest,
        run_montecarlo,
        with_seed,
    )
    from gridmodel.studies.montecarlo.sampling import cached_context
    from gridmodel.studies.restore import check_strategy

    if chunk_size is None and resume:
        manifest = read_manifest(out) or {}
        chunk_size = manifest.get("chunk_size")
    options = SweepOptions(
        samples=samples,
        seed=seed,
        workers=workers,
        scheduler=scheduler,
        chunk_size=chunk_size,
        resume=resume,
        overwrite=overwrite,
        timeline=timeline,
    )
    stage("loading")
    loaded = load_scenario(scenario)
    context = cached_context(with_seed(loaded, options.seed))  # checked before the bar
    if options.timeline:
        check_strategy(context.scenario, None)
    console = Console(stderr=True)
    bar = Progress(
        TextColumn("samples"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not progress,
        transient=True,
    )
    stage("computing")
    try:
        with bar:
            task = bar.add_task("samples", total=samples)
            summary = run_montecarlo(
                loaded,
                out,
                options=options,
                on_chunk=lambda done: bar.update(task, completed=done.samples_done),
                on_start=lambda done: bar.update(task, completed=done),
            )
    except BaseException as exc:
        if interrupted(exc) and (out / INCOMPLETE_FILE).is_file():  # the run had started
            typer.echo(f"finished chunks are kept; resume with --resume --out {out}", err=True)
        raise
    name = summary["scenario"] or scenario.name
    typer.echo(f"{name}: {samples:,} samples; {spread_words(summary['quantiles'], '')}")
    if "peak_unserved_mw" in summary["quantiles"]:
        typer.echo(spread_words(summary["quantiles"], "peak_"))
    ens = summary["quantiles"].get("ens_mwh")
    if ens and ens.get("n"):
        typer.echo(f"energy not served: median {ens['p50']:,.0f} MWh, p95 {ens['p95']:,.0f} MWh")
    typer.echo(f"results: {out}")


def spread_words(quantiles: dict[str, Any], prefix: str) -> str:
    """Median and p95 of MW and customers off, at the strike (``""``) or at peak (``"peak_"``)."""
    unserved = quantiles.get(f"{prefix}unserved_mw", {})
    customers = quantiles.get(f"{prefix}customers_off", {})
    when = "at peak demand" if prefix else "at the strike"
    return (
        f"{when}: unserved MW median {unserved.get('p50', 0):,.0f}, "
        f"p95 {unserved.get('p95', 0):,.0f}; customers off median "
        f"{customers.get('p50', 0):,.0f}, p95 {customers.get('p95', 0):,.0f}"
    )
