"""Who loses power when elements are struck: the :class:`Impact` of one grid state.

``Impact.to_dict()`` is the output contract of ``gridmodel impact --json`` and
of the ``impact`` object in ``summary.json`` (DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from gridmodel.contract import ImpactJson, round_mw
from gridmodel.engine import (
    CompiledGrid,
    EngineCache,
    EngineOptions,
    Figures,
    Outcome,
    compile_grid,
    evaluate,
    figures,
)
from gridmodel.engine.figures import deenergized_buses, totals
from gridmodel.errors import OptionError
from gridmodel.network.grid import Element, Grid, parse_element
from gridmodel.schema import build

#: Element kinds a strike of :func:`impact` may name.
STRIKE_KINDS: tuple[str, ...] = ("substation", "bus", "line", "trafo", "gen")


@dataclass(frozen=True, eq=False)
class Impact:
    """The impact of one evaluated grid state.

    Attributes
    ----------
    compiled
        The compiled grid (its ``grid`` and ``options``).
    outcome
        The engine's outcome of the state.
    figures
        The outcome's figures per region.
    strikes
        The elements taken out.
    warnings
        Notes from compiling (raised ratings) and evaluating.
    """

    compiled: CompiledGrid
    outcome: Outcome
    figures: Figures
    strikes: tuple[Element, ...]
    warnings: tuple[str, ...]

    @property
    def grid(self) -> Grid:
        return self.compiled.grid

    @property
    def by_region(self) -> pd.DataFrame:
        """Per region (index ``region``, metadata order): ``load_mw``, ``served_mw``,
        ``unserved_mw``, ``dark_mw``, ``shed_mw``, ``critical_mw``,
        ``critical_unserved_mw``, ``customers``, ``customers_off``."""
        return self.figures.frame()

    def to_dict(self) -> ImpactJson:
        """The impact JSON object of the output contract.

        Fields: ``load_mw``, ``served_mw``, ``unserved_mw``, ``customers_off``,
        ``islands``, ``deenergized_buses``, ``tripped_branches``, ``by_region``,
        ``converged``; plus ``dark_mw``, ``shed_mw``, ``energized_islands``,
        ``critical_unserved_mw``, ``mode`` and ``warnings``. MW figures are
        rounded to 1e-6 MW and customers to whole customers so the file reads
        well and is identical across platforms.
        """
        outcome, regions = self.outcome, self.figures
        sums = totals(self.compiled, outcome, regions=regions)
        return {
            "load_mw": round_mw(float(sums["load_mw"])),
            "served_mw": round_mw(float(sums["served_mw"])),
            "unserved_mw": round_mw(float(sums["unserved_mw"])),
            "dark_mw": round_mw(float(sums["dark_mw"])),
            "shed_mw": round_mw(float(sums["shed_mw"])),
            "critical_unserved_mw": round_mw(float(sums["critical_unserved_mw"])),
            "customers_off": round(float(sums["customers_off"])),
            "islands": int(sums["islands"]),
            "energized_islands": int(sums["energized_islands"]),
            "deenergized_buses": deenergized_buses(self.compiled, outcome),
            "tripped_branches": [
                {
                    "element": t.element.kind,
                    "index": int(t.element.id),
                    "step": t.step,
                    "loading_percent": round(t.loading_percent, 3),
                }
                for t in outcome.tripped
            ],
            "by_region": [
                {
                    "region": str(region),
                    "load_mw": round_mw(load),
                    "unserved_mw": round_mw(unserved),
                    "customers_off": round(float(off)),
                }
                for region, load, unserved, off in zip(
                    regions.groups,
                    regions.load_mw,
                    regions.unserved_mw,
                    regions.customers_off,
                    strict=True,
                )
            ],
            "converged": bool(outcome.converged),
            "mode": outcome.mode,
            "warnings": [*self.warnings],
        }


def impact_of(
    compiled: CompiledGrid,
    strikes: Iterable[Element],
    *,
    cache: EngineCache | None = None,
    demand_mw: np.ndarray | None = None,
) -> Impact:
    """The impact of taking ``strikes`` out of the compiled grid.

    ``demand_mw``: demand per load (compiled load order); default the
    network's loads (its peak demand).
    """
    [found] = impacts_of(compiled, [strikes], cache=cache, demand_mw=demand_mw)
    return found


def impacts_of(
    compiled: CompiledGrid,
    strikes: Iterable[Iterable[Element]],
    *,
    cache: EngineCache | None = None,
    demand_mw: np.ndarray | None = None,
) -> list[Impact]:
    """:func:`impact_of` of many strike sets, evaluated in one batch (the same results)."""
    sets = [tuple(elements) for elements in strikes]
    states = [compiled.state(elements) for elements in sets]
    outcomes = evaluate(compiled, states, cache=cache, demand_mw=demand_mw)
    return [
        Impact(
            compiled,
            outcome,
            figures(compiled, outcome),
            elements,
            (*compiled.warnings, *outcome.warnings),
        )
        for elements, outcome in zip(sets, outcomes, strict=True)
    ]


def impact(
    grid: Grid,
    strikes: Iterable[str | Element] = (),
    *,
    mode: str = "dc",
    overload: str = "operator",
    ratings: str = "raise-base",
    limit: float | None = None,
    ac_backend: str = "auto",
) -> Impact:
    """Evaluate ``grid`` with the struck elements out of service.

    Parameters
    ----------
    grid
        The network (:func:`gridmodel.load_network`).
    strikes
        Elements to take out, ``"kind:id"`` (kind one of ``substation``,
        ``bus``, ``line``, ``trafo``, ``gen``) or
        :class:`~gridmodel.network.grid.Element`; none: the intact grid.
    mode
        Power flow: ``"dc"`` or ``"ac"``.
    overload
        ``"operator"`` (default: a branch above its emergency rating trips at
        once, the operator sheds to relieve the rest), ``"trip"`` (protection
        trips every overloaded branch, a cascade: the stress mode) or
        ``"shed"`` (the operator sheds the least load that removes them).
    ratings
        ``"file"``, ``"raise-base"`` or ``"margin:X"``.
    limit
        Hard overload limit, percent of the rating (default 100).
    ac_backend
        ``"auto"``, ``"pandapower"`` or ``"lightsim2grid"``.

    Returns
    -------
    Impact

    Raises
    ------
    OptionError
        A bad option or strike text.
    NetworkError
        A strike names an element the network does not have.

    Examples
    --------
    >>> import gridmodel
    >>> grid = gridmodel.load_network("case9")
    >>> gridmodel.impact(grid, ["line:3"]).to_dict()["unserved_mw"]
    0.0
    """
    options = engine_options(
        mode=mode, overload=overload, ratings=ratings, limit=limit, ac_backend=ac_backend
    )
    elements = tuple(strike_elements(strikes))
    return impact_of(compile_grid(grid, options=options), elements)


def engine_options(
    *, mode: str, overload: str, ratings: str, limit: float | None, ac_backend: str
) -> EngineOptions:
    """Engine options from the API's (and the command line's) spelling of them.

    Raises
    ------
    OptionError
        Naming the option (``limit`` for ``overload_limit_percent``).
    """
    values: dict[str, Any] = {
        "mode": mode,
        "overload": overload,
        "ratings": ratings,
        "ac_backend": ac_backend,
    }
    if limit is not None:
        values["overload_limit_percent"] = limit
    names = {"overload_limit_percent": "limit"}
    return build(EngineOptions, names=names, **values)


def strike_elements(strikes: Iterable[str | Element]) -> list[Element]:
    """Parse strikes written ``"kind:id"`` (elements pass as they are).

    Raises
    ------
    OptionError
        A text that is not ``kind:id`` with an allowed kind.
    """
    if isinstance(strikes, str):
        strikes = [strikes]
    elements = []
    for strike in strikes:
        if isinstance(strike, Element):
            elements.append(strike)
            continue
        try:
            elements.append(parse_element(str(strike), kinds=STRIKE_KINDS))
        except ValueError as exc:
            raise OptionError(
                str(exc),
                field="strikes",
                allowed="KIND:ID with KIND one of " + ", ".join(STRIKE_KINDS),
            ) from None
    return elements
