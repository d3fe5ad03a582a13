"""Command-line options shared by several commands (one definition each)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from gridmodel.engine.prepare import Prepared

#: ``--mode``: DC or AC power flow.
Mode = Annotated[str, typer.Option(help="Power flow: dc or ac.")]
#: ``--overload``: what happens to overloaded branches.
Overload = Annotated[
    str,
    typer.Option(
        help="Overloads: trip (cascade), shed (operator sheds load) or operator (trip above "
        "the emergency rating, else the operator sheds)."
    ),
]
#: ``--ratings``: where branch ratings come from.
Ratings = Annotated[str, typer.Option(help="Ratings: file, raise-base or margin:X.")]
#: ``--limit``: the hard overload limit.
Limit = Annotated[float, typer.Option("--limit", help="Hard overload limit, percent of rating.")]
#: ``--ac-backend``: the AC power-flow implementation.
AcBackend = Annotated[
    str,
    typer.Option(
        "--ac-backend",
        help="AC solver: auto (lightsim2grid if installed), pandapower or lightsim2grid.",
    ),
]
#: ``--no-cache``: compile the network afresh, bypassing the cache of compiled grids.
NoCache = Annotated[
    bool,
    typer.Option(
        "--no-cache", help="Compile the network afresh; neither read nor write the cache."
    ),
]


def say_compile_cost(prepared: Prepared) -> None:
    """One line on stderr after a network was compiled (not read from the cache): what
    compiling cost and where it is kept (stdout stays clean)."""
    if prepared.cached:
        return
    name = prepared.compiled.grid.name
    if prepared.entry is not None:
        kept = f"cached for the next call in {prepared.entry.parent}"
    elif prepared.note is not None:
        kept = f"not cached: {prepared.note}"
    else:
        kept = "cache off"
    typer.echo(f"gridmodel: compiled {name} in {prepared.seconds:.1f} s; {kept}", err=True)
