"""``gridmodel scenario``: check scenario files."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Annotated

import typer

from gridmodel.cli import EXIT_BAD_INPUT, app, report_error

scenario_app = typer.Typer(help="Check scenario files.", no_args_is_help=True)
app.add_typer(scenario_app, name="scenario")


def printable(text: str, *, limit: int = 120) -> str:
    """Text safe for one terminal line: control characters escaped, length capped."""
    out = "".join(
        ch if unicodedata.category(ch)[0] != "C" else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )
    return out if len(out) <= limit else out[: limit - 3] + "..."


@scenario_app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="The scenario TOML file.", show_default=False)],
    no_network: Annotated[
        bool,
        typer.Option(
            "--no-network", help="Check the file only; do not load the network to check references."
        ),
    ] = False,
) -> None:
    """Report every problem of a scenario file (exit code 2 if there is any)."""
    from gridmodel.scenario import load_scenario, validate_scenario

    problems = validate_scenario(file, check_network=not no_network)
    if problems:
        for problem in problems:
            report_error(problem)
        count = len(problems)
        typer.echo(f"gridmodel: {count} problem{'s' if count > 1 else ''} in {file}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    scenario = load_scenario(file)
    waves = scenario.waves
    fresh = sum(not w.carried for w in waves)
    carried = f" and {len(waves) - fresh} carried over" if fresh < len(waves) else ""
    targets = sum(len(w.targets) for w in waves)
    random = sum(r.count for w in waves for r in w.random)
    trips = sum(len(w.trips) for w in waves)
    title = f' "{printable(scenario.title)}"' if scenario.title else ""
    typer.echo(
        f"OK {printable(str(file))}:{title} network {printable(scenario.network)}; "
        f"{fresh} wave{'s' if fresh != 1 else ''}{carried}, {scenario.missiles} missiles, "
        f"{targets} explicit targets, {random} random targets, {trips} trip groups"
        + ("" if not no_network else " (network references not checked)")
    )
