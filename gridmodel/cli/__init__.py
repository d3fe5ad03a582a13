"""The ``gridmodel`` command line: a thin typer app over the Python API.

Each command group lives in its own module and registers itself on
:data:`app`; commands parse arguments, call one library function and print
or write what it returns. Every :class:`~gridmodel.errors.GridModelError`
becomes one line on stderr and exit code 2, an
:class:`~gridmodel.errors.InternalError` (a bug) one line and exit code 1
(the traceback with ``--debug``), Ctrl-C exit code 130 and SIGTERM 143 (see
:class:`ErrorMappingGroup`; :func:`main` makes SIGTERM raise like Ctrl-C), so
the behaviour is the same under ``typer.testing.CliRunner`` as from the shell.
"""

from __future__ import annotations

import sys
import traceback
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from gridmodel.errors import GridModelError, InternalError
from gridmodel.interrupts import exit_status, install

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


def report_error(exc: GridModelError) -> None:
    """Print the one-line form of an input error on stderr."""
    typer.echo(f"gridmodel: error: {exc.line()}", err=True)


class ErrorMappingGroup(TyperGroup):
    """Click group that turns errors into one line and an exit code (see the module notes)."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        # Click turns a Ctrl-C while it parses the arguments into "Aborted!" and exit 1
        try:
            return super().make_context(*args, **kwargs)
        except KeyboardInterrupt as exc:
            raise typer.Exit(stopped(exc)) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except GridModelError as exc:
            report_error(exc)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except KeyboardInterrupt as exc:
            raise typer.Exit(stopped(exc)) from None
        except InternalError as exc:
            if (ctx.obj or {}).get("debug"):
                typer.echo(traceback.format_exc(), err=True)
            typer.echo(f"gridmodel: internal error: {exc}, please report", err=True)
            raise typer.Exit(EXIT_INTERNAL) from None
        except Exception as exc:
            if exit_status(exc) is None:
                raise
            raise typer.Exit(stopped(exc)) from None


def stopped(exc: BaseException) -> int:
    """Say that a signal ended the command; return the exit code (130 SIGINT, 143 SIGTERM)."""
    code = exit_status(exc) or EXIT_INTERRUPTED
    typer.echo(
        "gridmodel: terminated" if code == EXIT_TERMINATED else "gridmodel: interrupted", err=True
    )
    return code


app = typer.Typer(
    name="gridmodel",
    cls=ErrorMappingGroup,
    help="Power-grid outage resilience modeller: strikes, blackouts, repairs, rolling outages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _options(
    ctx: typer.Context,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an internal error.")
    ] = False,
) -> None:
    """Power-grid outage resilience modeller: strikes, blackouts, repairs, rolling outages."""
    ctx.obj = {"debug": debug}


# Command modules register themselves on `app` when imported (one line each).
from gridmodel.cli import compare as _compare  # noqa: E402, F401
from gridmodel.cli import criticality as _criticality  # noqa: E402, F401
from gridmodel.cli import impact as _impact  # noqa: E402, F401
from gridmodel.cli import montecarlo as _montecarlo  # noqa: E402, F401
from gridmodel.cli import networks as _networks  # noqa: E402, F401
from gridmodel.cli import report as _report  # noqa: E402, F401
from gridmodel.cli import run as _run  # noqa: E402, F401
from gridmodel.cli import scenario as _scenario  # noqa: E402, F401
from gridmodel.cli import schedule as _schedule  # noqa: E402, F401


def main() -> None:
    """Entry point of the console script: SIGTERM ends a command like Ctrl-C (exit 143)."""
    install()
    try:
        app()
    except KeyboardInterrupt as exc:  # before or after a command (while parsing, say)
        sys.exit(stopped(exc))
