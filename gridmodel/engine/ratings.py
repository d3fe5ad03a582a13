"""Branch ratings of a compiled grid: as in the file, raised to the base flow, or a margin.

Test cases often carry meaningless ratings (DESIGN.md), so the ratings mode
of :class:`~gridmodel.engine.options.EngineOptions` chooses between ``file`` (as
given), ``raise-base`` (a branch over its rating in the intact base case gets
its rating raised to its base flow plus :data:`RAISE_BASE_HEADROOM`) and
``margin:X`` (every rating is (1 + X) times its base flow).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from gridmodel.engine.ac.check import ac_branch_mva
from gridmodel.engine.cache import EngineCache
from gridmodel.engine.compiled import CompiledGrid
from gridmodel.engine.overload import solve_plain

#: Headroom given to a branch whose rating ``raise-base`` raises: its new rating
#: is its base flow times (1 + this). A rating raised to exactly the base flow
#: would sit at the trip limit in the intact grid and trip on any shift of flow
#: (hundreds of such branches on case2869pegase turned every single outage into
#: a grid-wide cascade): an artifact of ratings the file got wrong, not physics.
RAISE_BASE_HEADROOM = 0.2

#: Ratings below this (MW) after ``margin:X`` are raised to it, so a branch that
#: carries no flow in the base case is not tripped by the smallest flow.
MIN_MARGIN_RATING_MW = 1.0


def apply_ratings(compiled: CompiledGrid, cache: EngineCache) -> CompiledGrid:
    """Apply the ratings mode using the intact base-case DC flows (AC: and MVA flows)."""
    mode = compiled.options.ratings
    if mode == "file":
        return compiled
    base = solve_plain(compiled, compiled.base, compiled.load_p_mw, cache)
    flow = np.abs(base.branch_flow_mw)
    if compiled.options.mode == "ac":
        # AC loading is apparent power: a rating raised to the DC base flow
        # alone would trip branches of the intact grid on their reactive flow
        mva = ac_branch_mva(compiled, compiled.base, base, cache)
        if mva is not None:
            flow = np.maximum(flow, mva)
    limit = compiled.options.overload_limit_percent / 100.0
    rating = compiled.branch_rating_mw.copy()
    notes: list[str] = []
    margin = compiled.options.ratings_margin
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
