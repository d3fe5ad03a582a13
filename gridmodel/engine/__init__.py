"""The engine: compile a grid once, then evaluate grid states fast.

::

    from gridmodel.engine import EngineCache, compile_grid, evaluate, figures
    compiled = compile_grid(grid)                        # arrays, built once
    cache = EngineCache()                                # the caller's caches
    [outcome] = evaluate(compiled, [compiled.state(out)], cache=cache)
    figures(compiled, outcome).frame()                   # per region

Modules, bottom up: :mod:`~.options` (the ``[model]`` options),
:mod:`~.compiled` (arrays and states), :mod:`~.structure` (structures of the
intact grid), :mod:`~.outcome` (results and their invariants),
:mod:`~.cache`, :mod:`~.islands`, :mod:`~.supply` (supply balance),
:mod:`~.lowrank` and :mod:`~.susceptance` (DC solves), :mod:`~.dc` (one DC
evaluation), :mod:`~.overload` (trip cascade or operator shedding,
:mod:`~.shedding`, with :mod:`~.sensitivity` for its PTDF rows and
:mod:`~.linear_program` for HiGHS), :mod:`~.ac` (AC check and backends), :mod:`~.ratings`,
:mod:`~.compile` and :mod:`~.evaluate` (the entries) and :mod:`~.figures`
(outcomes reduced to figures per region).
"""

from gridmodel.engine.cache import EngineCache
from gridmodel.engine.compile import compile_grid
from gridmodel.engine.compiled import CompiledGrid, State
from gridmodel.engine.evaluate import evaluate
from gridmodel.engine.figures import Figures, figures
from gridmodel.engine.options import EngineOptions
from gridmodel.engine.outcome import BranchTrip, Outcome

__all__ = [
    "BranchTrip",
    "CompiledGrid",
    "EngineCache",
    "EngineOptions",
    "Figures",
    "Outcome",
    "State",
    "compile_grid",
    "evaluate",
    "figures",
]
