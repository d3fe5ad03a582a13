"""Modelling options of the engine: the scenario's ``[model]`` section.

One schema for the scenario file, the Python API (:func:`gridmodel.impact`)
and the command line (``--mode``, ``--overload``, ``--ratings``, ``--limit``,
``--ac-backend``).
"""

from __future__ import annotations

import importlib.util
import math
import re
from typing import Any, Literal

from pydantic import field_validator, model_validator

from gridmodel.errors import close_matches
from gridmodel.schema import StrictModel, allowed_field, fail

#: What ``ratings`` accepts, in words.
#: Largest X of ``margin:X`` (a rating 101 times the base flow).
MAX_MARGIN = 100.0
RATINGS_ALLOWED = "file, raise-base, margin:X with 0 < X <= 100 (e.g. margin:0.2)"

#: Weight of unserved energy per priority class in the shedding linear program
#: (class 1 critical ... class 4 households, class 5 other industry; see
#: :data:`gridmodel.network.grid.PRIORITY_CLASSES`). Each class is worth ten of
#: the next, so other industry is shed first and critical load only when nothing
#: else helps.
PRIORITY_WEIGHT = {1: 1000.0, 2: 100.0, 3: 10.0, 4: 1.0, 5: 0.1}

#: Short-term emergency rating in percent of the normal rating: lines carry
#: commonly 110-130 % of their normal rating for 15-30 minutes (DOMAIN.md,
#: "How supply actually came back"); the midpoint. Used by ``overload =
#: "operator"``: above it protection trips at once, below it the operator has
#: the time to act.
EMERGENCY_PERCENT = 120.0

#: How the command line spells the fields (for error messages).
CLI_NAMES = {
    "mode": "--mode",
    "overload": "--overload",
    "ratings": "--ratings",
    "overload_limit_percent": "--limit",
    "ac_backend": "--ac-backend",
}


class EngineOptions(StrictModel):
    """How a grid state is evaluated (the scenario's ``[model]`` section).

    Parameters
    ----------
    mode
        ``"dc"`` (fast, default) or ``"ac"`` (Newton-Raphson per energised
        island, after the DC answer).
    overload
        ``"trip"``: a branch above the hard limit trips and flows are re-solved
        until nothing trips (a cascade). ``"shed"``: the operator sheds the
        minimum priority-weighted load that removes every overload (a linear
        program solved with HiGHS). ``"operator"`` (default): a branch above
        its emergency rating (``emergency_percent``) trips at once; below it
        the operator has the time to redispatch and shed as in ``"shed"``,
        and only a branch the operator cannot relieve trips (DOMAIN.md:
        short-term emergency ratings). ``"trip"`` stays for stress studies
        and is ``gridmodel criticality``'s screening default.
    ratings
        ``"file"`` (as given), ``"raise-base"`` (a branch over its rating in the
        intact base case gets its rating raised to the base flow plus
        :data:`~gridmodel.engine.ratings.RAISE_BASE_HEADROOM`) or
        ``"margin:X"`` (every rating is ``(1 + X)`` times the base flow).
    overload_limit_percent
        The hard limit: loading above this percentage of the rating trips the
        branch (``trip``) or is not allowed (``shed``).
    emergency_percent
        The short-term emergency rating, in percent of the rating, for
        ``overload = "operator"`` (default :data:`EMERGENCY_PERCENT`). Below
        the hard limit it changes nothing.
    ac_backend
        ``"auto"`` (lightsim2grid when it is installed, else pandapower),
        ``"pandapower"`` (``runpp`` per state) or ``"lightsim2grid"`` (a
        lightsim2grid model built once per grid; grids or states it cannot
        represent fall back to ``runpp``). ``"auto"`` is resolved when the
        options are made, so ``ac_backend`` names the backend in use.
    """

    mode: Literal["dc", "ac"] = allowed_field("dc", "dc, ac")
    overload: Literal["trip", "shed", "operator"] = allowed_field(
        "operator", "trip, shed, operator"
    )
    ratings: str = allowed_field("raise-base", RATINGS_ALLOWED)
    overload_limit_percent: float = allowed_field(
        100.0, "a percentage > 0 and <= 10000", gt=0, le=10_000, allow_inf_nan=False
    )
    emergency_percent: float = allowed_field(
        EMERGENCY_PERCENT, "a percentage > 0 and <= 10000", gt=0, le=10_000, allow_inf_nan=False
    )
    ac_backend: Literal["auto", "pandapower", "lightsim2grid"] = allowed_field(
        "auto", "auto, pandapower, lightsim2grid"
    )

    @model_validator(mode="before")
    @classmethod
    def _resolve_auto(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("ac_backend", "auto") == "auto":
            fast = importlib.util.find_spec("lightsim2grid") is not None
            return {**data, "ac_backend": "lightsim2grid" if fast else "pandapower"}
        return data

    @field_validator("ratings")
    @classmethod
    def _ratings(cls, value: str) -> str:
        if value in ("file", "raise-base"):
            return value
        match = re.fullmatch(r"margin:\s*([0-9.eE+-]+)", value.strip())
        if match:
            try:
                margin = float(match.group(1))
            except ValueError:
                margin = math.nan
            if 0 < margin <= MAX_MARGIN:
                return f"margin:{match.group(1)}"
        near = close_matches(value, ["file", "raise-base", "margin:0.2"])
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise fail(f"unknown ratings mode {value!r}{hint}", RATINGS_ALLOWED)

    @property
    def ratings_margin(self) -> float | None:
        """The X of ``margin:X``, or ``None`` for the other modes."""
        return float(self.ratings.split(":", 1)[1]) if self.ratings.startswith("margin:") else None
