"""``gridmodel compare``: repair strategies on the same sampled strikes and durations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gridmodel.cli import app


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
    samples: Annotated[int, typer.Option("--samples", "-n", help="Monte Carlo samples.")] = 20,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed (default: the scenario's).")
    ] = None,
    overwrite: Annotated[
        bool, typer.Option(help="Replace a non-empty folder that gridmodel did not write.")
    ] = False,
) -> None:
    """Compare repair strategies; write comparison.csv, samples.csv and report.html into OUT."""
    from gridmodel.studies.compare import compare as run_compare
    from gridmodel.errors import OptionError
    from gridmodel.outputs import atomic_output_dir, check_target, safe_csv
    from gridmodel.report import REPORT_FILE, render_report_before_rename
    from gridmodel.scenario import load_scenario

    if samples < 1:
        raise OptionError(f"must be at least 1, got {samples}", field="--samples")
    if seed is not None and seed < 0:
        raise OptionError(f"must be a whole number >= 0, got {seed}", field="--seed")
    names = _names(strategies)
    if names is not None and not names:
        raise OptionError("no strategy named", field="--strategies")
    check_target(out, overwrite=overwrite)
    loaded = load_scenario(scenario)
    result = run_compare(loaded, strategies=names, samples=samples, seed=seed)
    with atomic_output_dir(out, overwrite=overwrite) as tmp:
        safe_csv(result.table, tmp / "comparison.csv")
        safe_csv(result.samples, tmp / "samples.csv")
        if result.served is not None:  # served-load curves for the report
            result.served.to_parquet(tmp / "comparison_timeline.parquet", index=False)
        render_report_before_rename(tmp, out)  # inside: the folder is complete or absent
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    typer.echo(ranking_table(result.ranking, samples=samples))
    typer.echo(f"results: {out}")
    typer.echo(f"report: {out / REPORT_FILE}")


def ranking_table(ranking: object, *, samples: int) -> str:
    """The ranking as a plain-text table (ENS mean, 95 % interval, paired difference)."""
    import pandas as pd

    assert isinstance(ranking, pd.DataFrame)
    header = (
        f"{'rank':>4}  {'strategy':<20} {'ENS MWh':>12} {'95 % interval':>25} "
        f"{'vs best':>12} {'95 % interval':>25}"
    )
    lines = [f"repair strategies, {samples} sample(s), ranked by energy not served", header]
    for row in ranking.itertuples(index=False):
        lines.append(
            f"{row.rank:>4}  {row.strategy:<20} {row.ens_mwh:>12,.0f} "
            f"{f'[{row.ens_ci_low:,.0f}, {row.ens_ci_high:,.0f}]':>25} "
            f"{row.ens_diff_to_best:>+12,.0f} "
            f"{f'[{row.diff_ci_low:+,.0f}, {row.diff_ci_high:+,.0f}]':>25}"
        )
    return "\n".join(lines)
