"""Branch ratings of a compiled grid: as in the file, raised to the base flow, or a margin.

Test cases often carry meaningless ratings (DESIGN.md), so the ratings mode
of :class:`~gridmodel.engine.compiled.EngineOptions` chooses between ``file`` (as
given), ``raise-base`` (a branch over its rating in the intact base case gets
its rating raised to its base flow plus :data:`RAISE_BASE_HEADROOM`) and
``margin:X`` (every rating is (1 + X) times its base flow).
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from gridmodel.errors import OptionError

if TYPE_CHECKING:
    from gridmodel.engine.compiled import CompiledGrid

#: Headroom given to a branch whose rating ``raise-base`` raises: its new rating
#: is its base flow times (1 + this). A rating raised to exactly the base flow
#: would sit at the trip limit in the intact grid and trip on any shift of flow
#: (hundreds of such branches on case2869pegase turned every single outage into
#: a grid-wide cascade): an artifact of ratings the file got wrong, not physics.
RAISE_BASE_HEADROOM = 0.2

#: Ratings below this (MW) after ``margin:X`` are raised to it, so a branch that
#: carries no flow in the base case is not tripped by the smallest flow.
MIN_MARGIN_RATING_MW = 1.0


def ratings_margin(ratings: str) -> float | None:
    """Parse a ratings mode; return the margin X of ``margin:X`` or ``None``."""
    if ratings in ("file", "raise-base"):
        return None
    if ratings.startswith("margin:"):
        try:
            margin = float(ratings.split(":", 1)[1])
        except ValueError:
            margin = float("nan")
        if math.isfinite(margin) and margin > 0:
            return margin
    raise OptionError(
        f"unknown ratings mode {ratings!r}",
        field="ratings",
        allowed="file, raise-base, margin:X with X > 0 (e.g. margin:0.3)",
    )


def file_ratings(net: object, kinds: list[str], indices: list[int]) -> np.ndarray:
    """Thermal ratings in MVA (used as MW limits in DC) as given in the file.

    Lines: ``sqrt(3) * vn_kv * max_i_ka * df * parallel``; transformers:
    ``sn_mva * parallel`` (times ``max_loading_percent / 100`` if given). A
    missing or non-positive rating means unrated (infinite).
    """
    out = np.full(len(kinds), np.inf)
    line, trafo, bus = net.line, net.trafo, net.bus  # type: ignore[attr-defined]
    pos = {(k, i): p for p, (k, i) in enumerate(zip(kinds, indices, strict=True))}
    if len(line):
        vn = bus.loc[line["from_bus"], "vn_kv"].to_numpy()
        df = line["df"].fillna(1.0).to_numpy() if "df" in line else 1.0
        rating = np.sqrt(3) * vn * line["max_i_ka"].to_numpy() * df * line["parallel"].to_numpy()
        for i, r in zip(line.index, rating, strict=True):
            if np.isfinite(r) and r > 0:
                out[pos[("line", int(i))]] = r
    if len(trafo):
        rating = trafo["sn_mva"].to_numpy() * trafo["parallel"].to_numpy()
        if "max_loading_percent" in trafo:
            mlp = trafo["max_loading_percent"].to_numpy(dtype=float)
            rating = np.where(np.isfinite(mlp) & (mlp > 0), rating * mlp / 100.0, rating)
        for i, r in zip(trafo.index, rating, strict=True):
            if np.isfinite(r) and r > 0:
                out[pos[("trafo", int(i))]] = r
    return out


def apply_ratings(compiled: CompiledGrid) -> CompiledGrid:
    """Apply the ratings mode using the intact base-case DC flows."""
    from gridmodel.engine.dc import solve_state  # late import: engine depends on this module

    mode = compiled.options.ratings
    if mode == "file":
        return compiled
    base = solve_state(compiled, compiled.base, trip=False)
    flow = np.abs(base.branch_flow_mw)
    if compiled.options.mode == "ac":
        # AC loading is apparent power: a rating raised to the DC base flow
        # alone would trip branches of the intact grid on their reactive flow
        from gridmodel.engine.ac.check import ac_branch_mva

        mva = ac_branch_mva(compiled, compiled.base, base)
        if mva is not None:
            flow = np.maximum(flow, mva)
    limit = compiled.options.overload_limit_percent / 100.0
    rating = compiled.branch_rating_mw.copy()
    notes: list[str] = []
    margin = ratings_margin(mode)
    if margin is None:
        over = compiled.base.branch & (flow > rating * limit)
        if over.any():
            rating[over] = flow[over] * (1.0 + RAISE_BASE_HEADROOM) / limit
            names = [
                f"{k}:{i}"
                for k, i in zip(
                    compiled.branch_kind[over], compiled.branch_index[over], strict=True
                )
            ]
            shown = ", ".join(names[:10]) + (
                f" and {len(names) - 10} more" if len(names) > 10 else ""
            )
            notes.append(
                f"{len(names)} branches above their rating in the intact base case; "
                f"ratings raised to the base flow + {RAISE_BASE_HEADROOM:.0%}: {shown}"
            )
    else:
        rating = np.maximum((1.0 + margin) * flow, MIN_MARGIN_RATING_MW)
    return dataclasses.replace(
        compiled, branch_rating_mw=rating, warnings=compiled.warnings + tuple(notes)
    )
