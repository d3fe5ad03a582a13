"""Compile a :class:`~gridmodel.network.grid.Grid` into arrays for fast evaluation.

Three steps: the arrays of the net and its metadata
(:func:`~gridmodel.engine.compiled.compile_arrays`, with the structures of
the intact grid), the factorisation of the base state's DC matrix (every
state's solve starts from it), and the ratings mode
(:func:`~gridmodel.engine.ratings.apply_ratings`, from the base-case flows).
"""

from __future__ import annotations

import dataclasses

from gridmodel.engine.cache import EngineCache
from gridmodel.engine.compiled import CompiledGrid, compile_arrays
from gridmodel.engine.dc import base_factor
from gridmodel.engine.options import EngineOptions
from gridmodel.engine.ratings import apply_ratings
from gridmodel.network.grid import Grid


def compile_grid(
    grid: Grid, *, options: EngineOptions | None = None, cache: EngineCache | None = None
) -> CompiledGrid:
    """Compile ``grid`` into arrays for :func:`gridmodel.engine.evaluate`.

    Parameters
    ----------
    grid
        The network with metadata. Not modified.
    options
        Engine options (default :class:`EngineOptions`); the ratings mode is
        applied here, from the intact base-case flows.
    cache
        A cache to keep what compiling builds for later evaluations (the AC
        backend's model); default a new one.

    Returns
    -------
    CompiledGrid
    """
    compiled = compile_arrays(grid, options=options or EngineOptions())
    compiled = dataclasses.replace(compiled, base_factor=base_factor(compiled))
    return apply_ratings(compiled, cache if cache is not None else EngineCache())
