"""``gridmodel run``: one scenario, from strikes to the run folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gridmodel.cli import app

if TYPE_CHECKING:
    from gridmodel.restoration.frequency import FrequencyEvent


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
    from gridmodel.interrupts import stage
    from gridmodel.outputs import check_target
    from gridmodel.restoration.strategies import get

    if strategy is not None:  # before any work
        get(strategy, field="strategy")
    check_target(out, overwrite=overwrite)
    stage("loading")
    loaded = load_scenario(scenario)
    stage("computing")
    result = run_scenario(loaded, strategy=strategy)
    path = result.write(out, overwrite=overwrite)
    typer.echo(impact_line(loaded.title or scenario.name, result.summary, result.strike.label))
    restoration = result.restoration
    typer.echo(frequency_line(restoration.timeline.frequency))
    m = restoration.metrics.total
    back = m["restore_h"]["90"]
    horizon = loaded.repair.horizon_h
    typer.echo(
        f"restoration ({restoration.strategy}): {m['ens_mwh']:,.0f} MWh not served, "
        + (
            f"90 % of demand served again and staying served {back:,.0f} h after the strike"
            if back is not None
            else f"90 % of demand not served again for good within the {horizon:,g} h simulated"
        )
    )
    typer.echo(f"results: {path}")
    typer.echo(f"report: {path / REPORT_FILE}")


def impact_line(title: str, summary: dict[str, Any], when: str) -> str:
    """The first line: MW and customers off right after the strike, and at peak demand."""
    impact, peak = summary["impact"], summary["impact_at_peak"]
    return (
        f"{title}: {impact['unserved_mw']:,.0f} MW of {impact['load_mw']:,.0f} MW unserved "
        f"{when}, {impact['customers_off']:,} customers off "
        f"({peak['unserved_mw']:,.0f} MW of {peak['load_mw']:,.0f} MW at peak demand)"
    )


def frequency_line(events: tuple[FrequencyEvent, ...]) -> str:
    """One line on what the frequency rule found at the first strike (largest island)."""
    first = [e for e in events if e.wave == min((e.wave for e in events), default=-1)]
    if not first:
        return "frequency: the reserve and the ties covered every loss of generation"
    e = max(first, key=lambda e: e.load_mw)
    ties = "ties tripped, " if e.separated else ""
    if e.blackout:
        back = (
            f"energised again after {e.energised_h:g} h"
            if e.energised_h != float("inf")
            else ("no black-start unit or tie to energise it")
        )
        what = f"more than under-frequency shedding covers: blackout, {back}"
    else:
        what = f"UFLS shed {e.shed_mw:,.0f} MW in {e.stages} steps down to {e.lowest_hz:.1f} Hz"
    short = f"{e.deficit_mw:,.0f} MW short of {e.load_mw:,.0f} MW at the strike"
    return f"frequency: {short}; {ties}{what}"
