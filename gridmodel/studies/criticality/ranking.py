"""The ranking of a criticality study, kept while chunks of figures arrive.

Outages are ranked by unserved MW, then customers off, both descending, ties
in outage order (the order of :mod:`~gridmodel.studies.criticality.space`).
That order is total, so the first :data:`RANKED_MAX` outages do not depend on
the order in which chunks arrive: :class:`Ranking` keeps only them, as
numbers, and names their substations once at the end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gridmodel.network.grid import Grid
from gridmodel.studies.outages import OUTAGE_COUNTS, OUTAGE_FIGURES

#: Most outages the ranking (``criticality.csv``, the returned table) lists:
#: every outage of a study with fewer (N-1 of any network, N-2 of up to 447
#: substations), the first this many otherwise; the chunk files hold them all.
RANKED_MAX = 100_000

#: Figures of an outage, as :func:`~gridmodel.studies.outages.evaluate_outages` returns them.
FIGURES: tuple[str, ...] = OUTAGE_FIGURES
#: Count columns among :data:`FIGURES` (the others are MW).
COUNT_FIGURES: tuple[str, ...] = OUTAGE_COUNTS

#: Columns of the ranking table (``criticality.csv``).
COLUMNS: tuple[str, ...] = ("rank", "substations", "names", "regions", *FIGURES)


class Ranking:
    """The first ``keep`` outages of the ranking, over the chunks added so far.

    Holds numbers only (outage number, positions, figures): memory is
    ``keep`` plus one chunk of rows, whatever the number of outages.
    """

    def __init__(self, k: int, *, keep: int = RANKED_MAX) -> None:
        self.k = k
        self.keep = keep
        self.evaluated = 0
        self._outage = np.zeros(0, dtype=np.int64)
        self._positions = np.zeros((0, k), dtype=np.int64)
        #: :data:`FIGURES` as columns of floats (counts are exact up to 2**53)
        self._values = np.zeros((0, len(FIGURES)))

    def add(self, start: int, positions: np.ndarray, figures: pd.DataFrame) -> None:
        """Add outages ``start .. start + len(figures) - 1`` (their positions and figures)."""
        count = len(figures)
        self.evaluated += count
        values = figures[list(FIGURES)].to_numpy(dtype=float)
        outage = np.arange(start, start + count, dtype=np.int64)
        if len(self._outage) >= self.keep:  # only rows that may rank above the last kept
            worst_mw, worst_customers = self._values[-1, 0], self._values[-1, 1]
            mw, customers = values[:, 0], values[:, 1]
            near = (mw > worst_mw) | ((mw == worst_mw) & (customers >= worst_customers))
            values, outage, positions = values[near], outage[near], positions[near]
        values = np.concatenate([self._values, values])
        outage = np.concatenate([self._outage, outage])
        order = np.lexsort((outage, -values[:, 1], -values[:, 0]))[: self.keep]
        self._outage = outage[order]
        self._positions = np.concatenate([self._positions, positions])[order]
        self._values = values[order]

    def table(self, grid: Grid) -> pd.DataFrame:
        """The ranking (columns :data:`COLUMNS`, ``rank`` from 1) with substation ids and names."""
        ids = np.asarray([str(s) for s in grid.substations.index], dtype=object)
        names = grid.substations["name"].astype(str).to_numpy()
        regions = grid.substations["region"].astype(str).to_numpy()
        pos = self._positions
        table = pd.DataFrame(
            {
                "rank": np.arange(1, len(pos) + 1, dtype=np.int64),
                "substations": [";".join(ids[p]) for p in pos],
                "names": [";".join(names[p]) for p in pos],
                "regions": [";".join(dict.fromkeys(regions[p])) for p in pos],
            }
        )
        figures = pd.DataFrame(
            {
                name: self._values[:, i].astype(np.int64 if name in COUNT_FIGURES else float)
                for i, name in enumerate(FIGURES)
            }
        )
        return pd.concat([table, figures], axis=1)[list(COLUMNS)]
