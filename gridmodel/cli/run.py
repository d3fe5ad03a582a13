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
    overwrite: Annotated[
        bool, typer.Option(help="Replace a non-empty folder that gridmodel did not write.")
    ] = False,
) -> None:
    """Run a scenario and write summary.json (and the later stages' files) into OUT."""
    from gridmodel.pipeline import run_scenario, write_run
    from gridmodel.scenario import load_scenario

    loaded = load_scenario(scenario)
    result = run_scenario(loaded)
    path = write_run(result, out, overwrite=overwrite)
    impact = result.impact
    typer.echo(
        f"{loaded.title or scenario.name}: {impact['unserved_mw']:.0f} MW of "
        f"{impact['load_mw']:.0f} MW unserved, {impact['customers_off']:,} customers off"
    )
    typer.echo(f"results: {path}")
