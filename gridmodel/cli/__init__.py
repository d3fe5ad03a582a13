"""The ``gridmodel`` command line: a thin typer app.

Each command group lives in its own module and registers itself on
:data:`app`; commands parse arguments, call one library function and write
files. Every :class:`~gridmodel.errors.GridModelError` becomes one line on
stderr and exit code 2.
"""

from __future__ import annotations

import sys

import typer

from gridmodel.errors import GridModelError

app = typer.Typer(
    name="gridmodel",
    help="Power-grid outage resilience modeller: strikes, blackouts, repairs, rolling outages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Command modules register themselves on `app` when imported.
from gridmodel.cli import networks as _networks  # noqa: E402, F401


def main() -> None:
    """Entry point of the console script: run the app, map input errors to exit 2."""
    try:
        app(standalone_mode=False)
    except GridModelError as exc:
        print(f"gridmodel: error: {exc.line()}", file=sys.stderr)
        sys.exit(2)
    except typer.Abort:
        print("gridmodel: aborted", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt:
        print("gridmodel: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:  # click usage errors carry their own exit code
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        raise
