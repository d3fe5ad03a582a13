"""A signal while the command line parses its arguments: exit 130 or 143 and one line.

Click turns a ``KeyboardInterrupt`` raised while it parses (before any
command runs) into ``Aborted!`` and exit code 1. The group of the command
line (:class:`gridmodel.cli.ErrorMappingGroup`) maps it like any other
stage. The interrupt is raised from an option's callback, which Click runs
while it parses, where a real Ctrl-C or SIGTERM would land; expected exit
codes are 128 plus the signal number.
"""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from gridmodel.cli import ErrorMappingGroup
from gridmodel.interrupts import Terminated


def _app(signal_exc: type[KeyboardInterrupt]) -> typer.Typer:
    app = typer.Typer(cls=ErrorMappingGroup, add_completion=False)

    def land(value: str) -> str:
        raise signal_exc

    @app.callback()
    def options(name: str = typer.Option("x", "--name", callback=land)) -> None:
        """The group's own option: parsed by the group, before any command."""

    @app.command()
    def first() -> None:  # pragma: no cover
        raise AssertionError("the command must not run")

    @app.command()
    def second() -> None:  # pragma: no cover (two commands make a group)
        pass

    return app


@pytest.mark.parametrize(
    ("exc", "code", "line"),
    [
        (KeyboardInterrupt, 130, "gridmodel: interrupted"),
        (Terminated, 143, "gridmodel: terminated"),
    ],
)
def test_a_signal_while_arguments_are_parsed_is_an_interrupt(
    exc: type[KeyboardInterrupt], code: int, line: str
) -> None:
    result = CliRunner().invoke(_app(exc), ["--name", "y", "first"])
    assert result.exit_code == code, result.output
    assert result.output.strip().splitlines() == [line]
    assert "Aborted" not in result.output
