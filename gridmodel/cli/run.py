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
    from gridmodel.restoration import strategies
    from gridmodel.outputs import check_target
    from gridmodel.studies.run import run_scenario, write_run
    from gridmodel.report import REPORT_FILE
    from gridmodel.scenario import load_scenario

    if strategy is not None:  # before any work
        strategies.get(strategy, field="--strategy")
    check_target(out, overwrite=overwrite)
    loaded = load_scenario(scenario)
    result = run_scenario(loaded, strategy=strategy)
    path = write_run(result, out, overwrite=overwrite)
    impact = result.impact
    typer.echo(
        f"{loaded.title or scenario.name}: {impact['unserved_mw']:.0f} MW of "
        f"{impact['load_mw']:.0f} MW unserved, {impact['customers_off']:,} customers off"
    )
    if result.restoration is not None:
        m = result.restoration.metrics.total
        back = m["restore_h"]["90"]
        typer.echo(
            f"restoration ({result.restoration.strategy}): {m['ens_mwh']:,.0f} MWh not served, "
            f"90 % back after {'-' if back is None else f'{back:.0f} h'}"
        )
    typer.echo(f"results: {path}")
    typer.echo(f"report: {path / REPORT_FILE}")
