"""``gridmodel run``: one scenario, from strikes to the run folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gridmodel.cli import app


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("reports/run"),
    strategy: Annotated[
        str | None,
        typer.Option("--strategy", "-s", help="Repair strategy (default: the scenario's)."),
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace a non-empty folder that gridmodel did not write.")
    ] = False,
) -> None:
    """Run a scenario and write summary.json, the later stages' files and report.html into OUT."""
    from gridmodel import load_scenario
    from gridmodel import run as run_scenario
    from gridmodel.contract import REPORT_FILE
    from gridmodel.outputs import check_target
    from gridmodel.restoration.strategies import get

    if strategy is not None:  # before any work
        get(strategy, field="strategy")
    check_target(out, overwrite=overwrite)
    loaded = load_scenario(scenario)
    result = run_scenario(loaded, strategy=strategy)
    path = result.write(out, overwrite=overwrite)
    impact = result.impact.to_dict()
    typer.echo(
        f"{loaded.title or scenario.name}: {impact['unserved_mw']:.0f} MW of "
        f"{impact['load_mw']:.0f} MW unserved, {impact['customers_off']:,} customers off"
    )
    restoration = result.restoration
    m = restoration.metrics.total
    back = m["restore_h"]["90"]
    horizon = loaded.repair.horizon_h
    typer.echo(
        f"restoration ({restoration.strategy}): {m['ens_mwh']:,.0f} MWh not served, "
        + (
            f"90 % back after {back:.0f} h"
            if back is not None
            else f"90 % not back within {horizon:g} h"
        )
    )
    typer.echo(f"results: {path}")
    typer.echo(f"report: {path / REPORT_FILE}")
