"""Checking strike waves against the network they strike.

Substation ids and region names that do not exist give a "did you mean"
error; element indices that do not exist name the valid range; salvos and
random picks that have nothing to hit, interception tables that miss a
region, and generator types the network lacks are errors too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from gridmodel.errors import ScenarioError, unknown_name
from gridmodel.network.grid import Element, Grid, parse_element
from gridmodel.schema import quote_key
from gridmodel.strikes.targets import target_table
from gridmodel.strikes.waves import (
    DEFAULT_KEY,
    TARGET_KINDS,
    TRIP_KINDS,
    RandomPick,
    Salvo,
    TripSpec,
    Wave,
)


def _table(grid: Grid, kind: str) -> pd.DataFrame:
    return getattr(grid.net, kind)


def _unknown(
    kind: str, name: str, choices: Iterable[str], *, file: str | None, field: str | None
) -> ScenarioError:
    error = unknown_name(kind, name, choices, error=ScenarioError, file=file, field=field)
    assert isinstance(error, ScenarioError)
    return error


def index_range(index: Iterable[int]) -> str:
    """Describe a pandapower index in words: ``0-185`` or ``0-200 (180, with gaps)``."""
    values = sorted(int(i) for i in index)
    if not values:
        return "none (the table is empty)"
    if values[-1] - values[0] + 1 == len(values):
        return f"{values[0]}-{values[-1]}"
    return f"{values[0]}-{values[-1]} ({len(values)} of them, with gaps)"


def resolve_element(
    text: str,
    grid: Grid,
    *,
    kinds: tuple[str, ...] = TARGET_KINDS,
    file: str | None = None,
    field: str | None = None,
) -> Element:
    """Parse ``"kind:id"`` and check that the element exists in ``grid``."""
    try:
        element = parse_element(text, kinds=kinds)
    except ValueError as exc:
        raise ScenarioError(
            str(exc), file=file, field=field, allowed="kind one of " + ", ".join(kinds)
        ) from None
    if element.kind == "substation":
        if element.id not in grid.substations.index:
            raise _unknown(
                "substation",
                str(element.id),
                grid.substations.index,
                file=file,
                field=field,
            )
        return element
    table = _table(grid, element.kind)
    if element.id not in table.index:
        raise ScenarioError(
            f"{element} does not exist in network {grid.name!r}",
            file=file,
            field=field,
            allowed=f"{element.kind} indices {index_range(table.index)}",
        )
    return element


def trip_elements(spec: TripSpec, grid: Grid) -> tuple[Element, ...]:
    """The elements a trip disconnects: its ``elements`` then every in-service
    ``gen`` and ``sgen`` of its ``gen_types`` (in index order), without repeats."""
    found = [parse_element(t, kinds=TRIP_KINDS) for t in spec.elements]
    wanted = set(spec.gen_types)
    for kind in ("gen", "sgen"):
        table = _table(grid, kind)
        if not wanted or "type" not in table or table.empty:
            continue
        live = table["in_service"].astype(bool) if "in_service" in table else True
        hit = table.index[table["type"].astype(str).isin(wanted) & live]
        found.extend(Element(kind, int(i)) for i in sorted(hit))
    return tuple(dict.fromkeys(found))


def _gen_types(grid: Grid) -> set[str]:
    types: set[str] = set()
    for kind in ("gen", "sgen"):
        table = _table(grid, kind)
        if "type" in table:
            types.update(str(t) for t in table["type"].dropna())
    return types


def check_regions(
    named: Iterable[tuple[str, str]], grid: Grid, *, file: str | None
) -> list[ScenarioError]:
    """Check ``(region name, field path)`` pairs against the network's regions."""
    known = grid.region_names()
    return [
        _unknown("region", name, known, file=file, field=field)
        for name, field in named
        if name not in known
    ]


def _region_fields(item: Salvo | RandomPick, field: str) -> list[tuple[str, str]]:
    if item.region is not None:
        return [(item.region, f"{field}.region")]
    return [(name, f"{field}.regions[{j}]") for j, name in enumerate(item.regions or ())]


def _keyed(names: Iterable[str], field: str) -> list[tuple[str, str]]:
    return [(name, f"{field}.{quote_key(name)}") for name in names]


def _check_targeted(
    item: Salvo | RandomPick, grid: Grid, *, file: str | None, field: str
) -> list[ScenarioError]:
    regions = item.region_names
    problems = check_regions(_region_fields(item, field), grid, file=file)
    if problems:
        return problems
    table = target_table(grid, item.target)
    positions = table.select(regions)
    where = "in " + ", ".join(regions) if regions else "in the network"
    needed = item.missiles if isinstance(item, Salvo) else item.count
    if needed and len(positions) == 0:
        problems.append(
            ScenarioError(
                f"no in-service {item.target} {where} to hit",
                file=file,
                field=f"{field}.target",
                allowed="a target kind present in the regions",
            )
        )
    if isinstance(item, RandomPick) and item.count > len(positions):
        problems.append(
            ScenarioError(
                f"asks for {item.count} distinct {item.target}s but there are only "
                f"{len(positions)} {where}",
                file=file,
                field=f"{field}.count",
                allowed=f"a whole number from 1 to {len(positions)}",
            )
        )
    if isinstance(item, Salvo) and isinstance(item.interception, dict):
        table_keys = [k for k in item.interception if k != DEFAULT_KEY]
        problems += check_regions(_keyed(table_keys, f"{field}.interception"), grid, file=file)
        missing = sorted({str(r) for r in table.region[positions]} - set(item.interception))
        if missing and DEFAULT_KEY not in item.interception:
            problems.append(
                ScenarioError(
                    "interception table has no entry for " + ", ".join(missing),
                    file=file,
                    field=f"{field}.interception",
                    allowed=f"an entry per targeted region, or a '{DEFAULT_KEY}' entry",
                )
            )
    return problems


def check_waves(waves: Sequence[Wave], grid: Grid, *, file: str | None) -> list[ScenarioError]:
    """Every reference of ``waves`` that ``grid`` cannot satisfy (empty if none)."""
    problems: list[ScenarioError] = []
    for i, wave in enumerate(waves):
        for j, text in enumerate(wave.targets):
            try:
                resolve_element(text, grid, file=file, field=f"waves[{i}].targets[{j}]")
            except ScenarioError as exc:
                problems.append(exc)
        for k, salvo in enumerate(wave.salvos):
            problems += _check_targeted(salvo, grid, file=file, field=f"waves[{i}].salvos[{k}]")
        for k, pick in enumerate(wave.random):
            problems += _check_targeted(pick, grid, file=file, field=f"waves[{i}].random[{k}]")
        for k, trip in enumerate(wave.trips):
            problems += _check_trip(trip, grid, file=file, field=f"waves[{i}].trips[{k}]")
    return problems


def _check_trip(spec: TripSpec, grid: Grid, *, file: str | None, field: str) -> list[ScenarioError]:
    problems: list[ScenarioError] = []
    for j, text in enumerate(spec.elements):
        try:
            resolve_element(text, grid, kinds=TRIP_KINDS, file=file, field=f"{field}.elements[{j}]")
        except ScenarioError as exc:
            problems.append(exc)
    present = _gen_types(grid)
    for j, gen_type in enumerate(spec.gen_types):
        where = f"{field}.gen_types[{j}]"
        if not present:
            problems.append(
                ScenarioError(
                    f"network {grid.name!r} gives no generator types",
                    file=file,
                    field=where,
                    allowed="elements = ['gen:N', ...] instead",
                )
            )
        elif gen_type not in present:
            problems.append(_unknown("generator type", gen_type, present, file=file, field=where))
    return problems
