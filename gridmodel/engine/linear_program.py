"""A linear program solved by HiGHS, to which rows can be added and the solve resumed.

The operator's shedding program (:mod:`gridmodel.engine.shedding`) adds the
limits of branches as they turn out to be needed (constraint generation):
:class:`LinearProgram` keeps one HiGHS instance per program, so a re-solve
after :meth:`LinearProgram.add_rows` starts from the last optimal basis (dual
simplex) instead of from scratch.

HiGHS is called through ``highspy``'s binding class ``_Highs`` (highspy >=
1.8): the public ``highspy.Highs`` adds Python callbacks and prints a banner
to standard output the first time one is made, and the engine prints
nothing. Tolerances are HiGHS's defaults (primal and dual feasibility 1e-7),
as with ``scipy.optimize.linprog(method="highs")``; presolve is off.
"""

from __future__ import annotations

import highspy
import numpy as np
from highspy._core import _Highs

#: The one model status with an answer (infeasible, or any failure, has none).
_OPTIMAL = highspy.HighsModelStatus.kOptimal


class LinearProgram:
    """``minimise c x`` subject to ``row_lower <= A x <= row_upper``, ``lower <= x <= upper``.

    Rows are given row-wise (CSR arrays). One instance is one program; it
    holds a HiGHS instance and is not thread-safe.
    """

    def __init__(
        self,
        cost: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
    ) -> None:
        self.n_col = len(cost)
        self._highs = _Highs()
        self._highs.setOptionValue("output_flag", False)
        # presolve costs more than it saves on these small programs (0.5 vs 1.5 ms
        # a solve on ua-grid), and a re-solve after added rows needs the basis
        self._highs.setOptionValue("presolve", "off")
        lp = highspy.HighsLp()
        lp.num_col_ = self.n_col
        lp.num_row_ = 0
        lp.col_cost_ = np.asarray(cost, dtype=float)
        lp.col_lower_ = np.asarray(lower, dtype=float)
        lp.col_upper_ = np.asarray(upper, dtype=float)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.zeros(self.n_col + 1, dtype=np.int32)
        self._highs.passModel(lp)

    def add_rows(
        self,
        lower: np.ndarray,
        upper: np.ndarray,
        start: np.ndarray,
        index: np.ndarray,
        value: np.ndarray,
    ) -> None:
        """Add rows ``lower <= A x <= upper`` given in CSR form (``start`` without the end)."""
        self._highs.addRows(
            len(lower),
            np.asarray(lower, dtype=float),
            np.asarray(upper, dtype=float),
            len(value),
            np.asarray(start, dtype=np.int32),
            np.asarray(index, dtype=np.int32),
            np.asarray(value, dtype=float),
        )

    def solve(self) -> np.ndarray | None:
        """The optimal ``x``, or None if there is none (infeasible, or HiGHS failed)."""
        self._highs.run()
        if self._highs.getModelStatus() != _OPTIMAL:
            return None
        return np.asarray(self._highs.getSolution().col_value, dtype=float)


def dense_rows(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays ``(start, index, value)`` of the non-zeros of a dense matrix."""
    rows, cols = np.nonzero(matrix)
    start = np.searchsorted(rows, np.arange(matrix.shape[0]))
    return start, cols, matrix[rows, cols]
