"""Command-line options shared by several commands (one definition each)."""

from __future__ import annotations

from typing import Annotated

import typer

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
