"""Power transfer distribution factors (PTDF) of a grid state's branches.

The DC flow of branch :math:`k` from bus :math:`f` to bus :math:`t` changes
with the bus injections :math:`\\Delta P` (MW) as

.. math:: \\Delta P_k = c_k^T \\Delta P, \\qquad c_k = b_k\\, M^{-1} (e_f - e_t),

with :math:`M = B + D_G` the state's grounded susceptance matrix
(:mod:`gridmodel.engine.susceptance`; per unit, so the factors are
dimensionless), valid for injections that balance in every island. Each
factor is shifted so that it is zero at its island's reference bus: the
usual PTDF with the reference as slack (Wood & Wollenberg, *Power
Generation, Operation and Control*, 3rd ed., section 7.2).
"""

from __future__ import annotations

import numpy as np

from gridmodel.engine.cache import EngineCache
from gridmodel.engine.compiled import CompiledGrid
from gridmodel.engine.dc import energized_branches, grounding
from gridmodel.engine.islands import Topology
from gridmodel.engine.susceptance import solve_grounded_many


def branch_ptdf(
    compiled: CompiledGrid,
    topo: Topology,
    branch_ok: np.ndarray,
    branches: np.ndarray,
    cache: EngineCache,
) -> np.ndarray:
    """The PTDF rows of ``branches`` (positions of energised branches) in a state.

    Parameters
    ----------
    compiled, topo, branch_ok
        The grid, the state's islands and its branches in service.
    branches
        Branch positions, each in service inside an energised island.
    cache
        The engine cache (the state's matrix is solved as its DC flow is).

    Returns
    -------
    numpy.ndarray
        ``(len(branches), n_bus)``: MW of flow on each branch per MW injected
        at each bus and taken out at the island's reference bus (zero outside
        the branch's island).
    """
    live = energized_branches(compiled, topo, branch_ok)
    grounded, refs = grounding(compiled, topo)
    f, t = compiled.branch_from[branches], compiled.branch_to[branches]
    # unit right-hand sides e_f - e_t, one column per branch
    columns = np.arange(len(branches))
    unit = np.zeros((compiled.n_bus, len(branches)))
    unit[f, columns] = 1.0
    unit[t, columns] = -1.0
    theta = solve_grounded_many(compiled, live, grounded, unit, cache=cache)
    factors = (theta * compiled.branch_b_pu[branches]).T
    # zero at each island's reference bus, nothing outside the branch's island
    ref_of = np.full(topo.n_islands, -1)
    ref_of[topo.labels[refs]] = refs
    island = topo.labels[f]
    factors -= factors[columns, ref_of[island]][:, None]
    factors[topo.labels[None, :] != island[:, None]] = 0.0
    return factors
