"""The parts of a timeline row's demand: checked before they become shares.

A run's timeline splits each row's ``demand_mw`` into parts (DESIGN.md, "Why
load is unserved"): ``served_mw + unserved_mw = demand_mw``, and the causes
``dark_mw + network_limited_mw + supply_shortage_mw + ufls_mw`` add up to
``unserved_mw``; ``critical_mw`` is the demand of priority-1 loads. A part
above its row's demand is a tampered or inconsistent timeline: it is refused,
not clipped to a share of 1 (:mod:`gridmodel.errors`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from gridmodel.errors import OptionError

#: How far (MW) a part may exceed its row's demand and still be accepted as it is.
#: The timeline is written unrounded (float64, parquet and CSV alike), so the parts
#: of a real run can pass their demand by the float error of the time-weighted hour
#: means only: by at most 6e-14 MW in the four scenarios of ``scenarios/`` (their
#: sums agree with ``unserved_mw`` and ``demand_mw`` within 2e-12 MW). A
#: timeline re-exported at the 1e-6 MW resolution of
#: :func:`gridmodel.contract.round_mw` (the finest MW a gridmodel file holds) is
#: off by up to 0.5e-6 MW per number, 2.5e-6 MW for the four causes against the
#: demand. 1e-5 MW (10 W) covers both with room and is far below anything a
#: rotation can switch, so a part within it is taken as it is (its share is at
#: most 1 once the rounding is removed); anything larger is an error.
PART_TOLERANCE_MW = 1e-5
#: The causes of unserved load; together at most the row's demand.
CAUSES: tuple[str, ...] = ("dark_mw", "network_limited_mw", "supply_shortage_mw", "ufls_mw")
#: Columns that are each at most the row's demand.
PARTS: tuple[str, ...] = ("served_mw", "unserved_mw", *CAUSES, "critical_mw")


def check_parts(
    value: Mapping[str, np.ndarray],
    *,
    region: np.ndarray,
    time: pd.DatetimeIndex,
    file: str | Path | None = None,
) -> None:
    """Refuse a row whose parts exceed its ``demand_mw`` by more than :data:`PART_TOLERANCE_MW`.

    Parameters
    ----------
    value
        ``demand_mw`` and every column of :data:`PARTS`, one number >= 0 per
        row (already checked as such).
    region, time
        Each row's region and local time, named in the error.
    file
        The timeline's file, named in the error.

    Raises
    ------
    OptionError
        Naming the file, the column (or the sum of :data:`CAUSES`), the first
        bad row (counted from 1, after the header) and the allowed range.
    """
    demand = value["demand_mw"]
    checks = [(c, value[c]) for c in PARTS]
    checks.append((" + ".join(CAUSES), sum((value[c] for c in CAUSES), np.zeros_like(demand))))
    for field, part in checks:
        over = part > demand + PART_TOLERANCE_MW
        if over.any():
            row = int(np.flatnonzero(over)[0])
            raise OptionError(
                f"{part[row]:.6g} MW in row {row + 1} ({region[row]}, {time[row].isoformat()}) "
                f"exceeds demand_mw {demand[row]:.6g} MW",
                file=file,
                field=field,
                allowed=f"0 to demand_mw, within {PART_TOLERANCE_MW:g} MW",
            )
