"""``gridmodel compare``: repair strategies on the same sampled strikes and durations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gridmodel.cli import app

if TYPE_CHECKING:
    import pandas as pd


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [part.strip() for part in text.split(",") if part.strip()]


@app.command()
def compare(
    scenario: Annotated[Path, typer.Argument(help="Scenario file (TOML).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path(
        "reports/compare"
    ),
    strategies: Annotated[
        str | None,
        typer.Option(
            "--strategies", help="Comma-separated strategy names (default: every registered one)."
        ),
    ] = None,
    samples: Annotated[
        int, typer.Option("--samples", "-n", help="Monte Carlo samples (1-10,000).")
    ] = 20,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed (default: the scenario's).")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace a non-empty folder that gridmodel did not write.")
    ] = False,
) -> None:
    """Compare repair strategies; write comparison.csv, samples.csv and report.html into OUT."""
    from gridmodel import compare as compare_strategies
    from gridmodel import load_scenario
    from gridmodel.contract import REPORT_FILE
    from gridmodel.errors import OptionError
    from gridmodel.interrupts import stage
    from gridmodel.outputs import check_target

    names = _names(strategies)
    if names is not None and not names:
        raise OptionError("no strategy named", field="strategies")
    check_target(out, overwrite=overwrite)
    stage("loading")
    loaded = load_scenario(scenario)
    stage("computing")
    result = compare_strategies(loaded, strategies=names, samples=samples, seed=seed)
    result.write(out, overwrite=overwrite)
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    typer.echo(ranking_table(result.ranking, samples=samples))
    typer.echo(f"results: {out}")
    typer.echo(f"report: {out / REPORT_FILE}")


def ranking_table(ranking: pd.DataFrame, *, samples: int) -> str:
    """The ranking as a plain-text table (ENS mean, 95 % interval, paired difference);
    a shared rank is marked ``=`` (a tie: the samples do not tell them apart)."""
    header = (
        f"{'rank':>4}  {'strategy':<24} {'ENS MWh':>12} {'95 % interval':>25} "
        f"{'vs best':>12} {'95 % interval':>25}"
    )
    lines = [
        f"repair strategies, {samples} sample(s), ranked by energy not served "
        "(= : a tie, the paired 95 % interval includes no difference)",
        header,
    ]
    shared = ranking["rank"].value_counts().to_dict()
    for row in ranking.itertuples(index=False):
        rank = f"{row.rank}=" if shared[row.rank] > 1 else f"{row.rank}"
        lines.append(
            f"{rank:>4}  {row.strategy:<24} {row.ens_mwh:>12,.0f} "
            f"{f'[{row.ens_ci_low:,.0f}, {row.ens_ci_high:,.0f}]':>25} "
            f"{row.ens_diff_to_best:>+12,.0f} "
            f"{f'[{row.diff_ci_low:+,.0f}, {row.diff_ci_high:+,.0f}]':>25}"
        )
    return "\n".join(lines)
