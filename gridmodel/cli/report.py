"""``gridmodel report DIR``: build DIR/report.html from a run folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gridmodel.cli import app


@app.command()
def report(
    run_dir: Annotated[
        Path, typer.Argument(help="Run folder written by gridmodel run or gridmodel compare.")
    ],
) -> None:
    """Build RUN_DIR/report.html (one self-contained page) and print its path."""
    from gridmodel.report import render_report

    typer.echo(str(render_report(run_dir)))
