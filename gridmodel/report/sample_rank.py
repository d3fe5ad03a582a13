"""Where sample 0 sits among the samples: the draw a run page shows, in context.

``gridmodel run`` shows sample 0 of the scenario's seed; the compare and
Monte Carlo pages say how that draw ranks among all their samples, so a
reader knows whether the run page is a mild or a severe case.

Definitions
-----------
rank
    1 + the number of samples with a lower value ("1st lowest"); samples
    with the same value (within 1e-6, the files' rounding) share it.
percentile
    The share of samples at or below sample 0's value, in percent (rank 1 of
    20 without ties: 5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Values closer than this are the same (files round to 1e-6).
TIE = 1e-6
#: Which draw a run page shows.
SHOWN = 0


@dataclass(frozen=True)
class Standing:
    """Sample 0's place among ``n`` samples: ``rank`` (lowest first), ``ties``
    (other samples with its value) and ``percentile`` (share at or below it, %)."""

    rank: int
    n: int
    ties: int
    percentile: float


def standing(samples: pd.Series, values: pd.Series, sample: int = SHOWN) -> Standing | None:
    """Where ``sample``'s value sits among ``values`` (``None`` if it is not there).

    ``samples`` and ``values`` are columns of one table, row by row; rows
    with a missing value are left out.
    """
    number = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    which = pd.to_numeric(samples, errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(number)
    number, which = number[keep], which[keep]
    mine = number[which == sample]
    if len(mine) == 0:
        return None
    value = float(mine[0])
    lower = int((number < value - TIE).sum())
    same = int((np.abs(number - value) <= TIE).sum())
    n = len(number)
    return Standing(rank=lower + 1, n=n, ties=same - 1, percentile=100.0 * (lower + same) / n)


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``21st``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def place_words(place: Standing) -> str:
    """``"1st lowest of 20 (percentile 5)"``, naming ties."""
    tied = f", tied with {place.ties:,} other{'s' if place.ties != 1 else ''}" if place.ties else ""
    return (
        f"{ordinal(place.rank)} lowest of {place.n:,}{tied} "
        f"(percentile {place.percentile:.0f}: {place.percentile:.0f} % of the samples "
        "are at or below it)"
    )


def montecarlo_words(table: pd.DataFrame, columns: tuple[tuple[str, str], ...]) -> str:
    """Sample 0's rank by each of ``columns`` ((column, what in words)) the table has."""
    if "sample" not in table.columns:
        return ""
    parts = []
    for column, what in columns:
        if column in table.columns:
            place = standing(table["sample"], table[column])
            if place is not None:
                parts.append(f"by {what} it ranks {place_words(place)}")
    if not parts:
        return ""
    return f"Sample {SHOWN}, the draw gridmodel run shows on its page: " + "; ".join(parts) + "."


def compare_words(samples: pd.DataFrame, order: list[str]) -> str:
    """Sample 0's rank by energy not served among each strategy's samples, in ``order``."""
    needed = {"sample", "strategy", "ens_mwh"}
    if not needed <= set(samples.columns):
        return ""
    names = [s for s in order if s in set(samples["strategy"])]
    names += sorted(set(samples["strategy"].astype(str)) - set(names))
    places = {}
    for name in names:
        rows = samples[samples["strategy"].astype(str) == name]
        place = standing(rows["sample"], rows["ens_mwh"])
        if place is not None:
            places[name] = place
    if not places:
        return ""
    head = f"Sample {SHOWN}, the draw gridmodel run shows on its page, by energy not served"
    if len(set(places.values())) == 1:
        (place,) = set(places.values())
        return f"{head}: it ranks {place_words(place)} under every strategy."
    each = "; ".join(f"under {name} {place_words(place)}" for name, place in places.items())
    return f"{head}: {each}."
