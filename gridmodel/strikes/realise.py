"""Realising strikes: which elements a scenario's waves damage or trip, for one sample.

:func:`realise` turns a scenario's waves into a :class:`Damage`: explicit
targets are always hit; every salvo missile picks a target and may be
intercepted; random picks draw distinct targets; trips disconnect elements
without damaging them. Damaged elements are listed as struck (a hit on a
substation is one ``substation`` element); the engine takes out what is
attached to it, and each damaged element is one later repair task.

Randomness
----------
All draws come from the ``rng`` passed in, in a fixed order that depends only
on the scenario and the network, never on earlier outcomes: wave by wave in
file order; in each wave, salvo by salvo, ``missiles`` uniforms for the target
draws, then ``missiles`` uniforms for interception, then ``missiles`` severity
draws if the severity is a range; then random pick by random pick, one uniform
per candidate (and ``count`` severity draws for a range). So sample ``i`` run
with :func:`rng_for` ``(seed, i)`` gives the same damage on any worker, and
changing an interception probability does not shift any other draw.

Several hits on one element in one wave are combined by
:func:`gridmodel.strikes.damage.combine_severity`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gridmodel.errors import OptionError
from gridmodel.network.grid import Element, Grid
from gridmodel.strikes.check import check_waves, trip_elements
from gridmodel.strikes.damage import Damage, Hit, ProtectionTrip
from gridmodel.strikes.targets import TargetTable, target_table
from gridmodel.strikes.waves import RandomPick, Salvo, Wave

#: Random streams of one sample, for :func:`rng_for` (``stream=``).
STREAMS: dict[str, int] = {"strikes": 0, "repairs": 1, "schedule": 2}


def rng_for(seed: int, sample: int, *, stream: int = 0) -> np.random.Generator:
    """The random generator of one Monte Carlo sample.

    Built from ``numpy.random.SeedSequence([seed, sample, stream])``, so the
    generator of a sample depends only on the seed, the sample number and the
    stream, never on which worker runs it or in which order. Stages that want
    draws independent of each other use different streams (see
    :data:`STREAMS`).
    """
    for name, value in (("seed", seed), ("sample", sample), ("stream", stream)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
            raise OptionError(f"must be a whole number >= 0, got {value!r}", field=name)
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(sample), int(stream)]))


@dataclass(frozen=True)
class _Draw:
    """A salvo or random pick, resolved against the network."""

    origin: str
    elements: tuple[Element, ...]
    weights: np.ndarray
    intercept_p: np.ndarray  # per candidate; unused for random picks
    severity: float | tuple[float, float]
    size: int  # missiles, or count


@dataclass(frozen=True)
class _WavePlan:
    time_h: float
    targets: tuple[tuple[str, Element], ...]
    severity: float
    salvos: tuple[_Draw, ...]
    random: tuple[_Draw, ...]
    trips: tuple[ProtectionTrip, ...]


@dataclass(frozen=True)
class StrikePlan:
    """A scenario's waves resolved against a network, ready for many samples."""

    waves: tuple[_WavePlan, ...]


def _draw_of(
    item: Salvo | RandomPick, tables: dict[str, TargetTable], *, origin: str, wave_sev: float
) -> _Draw:
    table = tables[item.target]
    positions = table.select(item.region_names)
    regions = table.region[positions]
    if isinstance(item, Salvo):
        probs = [item.interception_for(str(r)) for r in regions]
        intercept = np.array([0.0 if p is None else p for p in probs], dtype=float)
        size = item.missiles
    else:
        intercept = np.zeros(len(positions))
        size = item.count
    return _Draw(
        origin=origin,
        elements=tuple(table.elements[p] for p in positions),
        weights=table.weights(item.weight, positions),
        intercept_p=intercept,
        severity=item.severity if item.severity is not None else wave_sev,
        size=size,
    )


def plan_strikes(
    waves: Sequence[Wave], grid: Grid, *, resync_h: float, file: str | None = None
) -> StrikePlan:
    """Check ``waves`` against ``grid`` and resolve every wave's candidates.

    Parameters
    ----------
    waves
        The scenario's waves.
    grid
        The network struck.
    resync_h
        Hours a tripped element needs to come back when its trip gives none
        (the scenario's ``[repair] resync_h``).
    file
        The scenario file, for messages.

    Raises
    ------
    ScenarioError
        The first reference the network cannot satisfy.
    """
    problems = check_waves(waves, grid, file=file)
    if problems:
        raise problems[0]
    kinds = {i.target for w in waves for i in (*w.salvos, *w.random)}
    tables: dict[str, TargetTable] = {kind: target_table(grid, kind) for kind in sorted(kinds)}
    plans = []
    for i, wave in enumerate(waves):
        trips: list[ProtectionTrip] = []
        for spec in wave.trips:
            resync = spec.resync_h if spec.resync_h is not None else resync_h
            trips += [ProtectionTrip(i, wave.time_h, e, resync) for e in trip_elements(spec, grid)]
        plans.append(
            _WavePlan(
                time_h=wave.time_h,
                targets=tuple(
                    (f"waves[{i}].targets[{j}]", e) for j, e in enumerate(wave.target_elements)
                ),
                severity=wave.severity,
                salvos=tuple(
                    _draw_of(s, tables, origin=f"waves[{i}].salvos[{k}]", wave_sev=wave.severity)
                    for k, s in enumerate(wave.salvos)
                ),
                random=tuple(
                    _draw_of(r, tables, origin=f"waves[{i}].random[{k}]", wave_sev=wave.severity)
                    for k, r in enumerate(wave.random)
                ),
                trips=tuple(trips),
            )
        )
    return StrikePlan(tuple(plans))


def _severities(
    rng: np.random.Generator, severity: float | tuple[float, float], n: int
) -> np.ndarray:
    if isinstance(severity, tuple):
        low, high = severity
        return rng.uniform(low, high, n) if high > low else np.full(n, low)
    return np.full(n, float(severity))


def _weighted_sample(rng: np.random.Generator, weights: np.ndarray, count: int) -> np.ndarray:
    """``count`` distinct positions, drawn with probability proportional to ``weights``
    without replacement (Efraimidis and Spirakis, 2006: keep the ``count`` largest
    keys ``log(u) / w``). Zero weights come last, in random order."""
    u = rng.random(len(weights))
    positive = weights > 0
    keys = np.where(positive, np.log(np.maximum(u, 1e-300)) / np.where(positive, weights, 1.0), u)
    order = np.lexsort((-keys, ~positive))
    return order[:count]


def realise_plan(plan: StrikePlan, rng: np.random.Generator) -> Damage:
    """Draw one sample of a :class:`StrikePlan` (see the module notes on draw order)."""
    hits: list[Hit] = []
    trips: list[ProtectionTrip] = []
    missiles = intercepted = 0
    for i, wave in enumerate(plan.waves):
        hits.extend(Hit(i, wave.time_h, e, wave.severity, o) for o, e in wave.targets)
        for salvo in wave.salvos:
            m = salvo.size
            if m == 0:
                continue
            cdf = np.cumsum(salvo.weights)
            u_target = rng.random(m)
            u_intercept = rng.random(m)
            severity = _severities(rng, salvo.severity, m)
            pick = np.minimum(np.searchsorted(cdf, u_target * cdf[-1], side="right"), len(cdf) - 1)
            stopped = u_intercept < salvo.intercept_p[pick]
            missiles += m
            intercepted += int(stopped.sum())
            hits.extend(
                Hit(i, wave.time_h, salvo.elements[p], float(s), salvo.origin)
                for p, s, x in zip(pick, severity, stopped, strict=True)
                if not x
            )
        for draw in wave.random:
            chosen = _weighted_sample(rng, draw.weights, draw.size)
            severity = _severities(rng, draw.severity, draw.size)
            hits.extend(
                Hit(i, wave.time_h, draw.elements[p], float(s), draw.origin)
                for p, s in zip(chosen, severity, strict=True)
            )
        trips.extend(wave.trips)
    return Damage(tuple(hits), tuple(trips), missiles, intercepted)


def realise(
    waves: Sequence[Wave], grid: Grid, rng: np.random.Generator, *, resync_h: float = 24.0
) -> Damage:
    """Realise strike waves on ``grid`` with ``rng`` (one sample).

    Parameters
    ----------
    waves
        The scenario's waves; their references are checked against ``grid`` first.
    grid
        The network struck.
    rng
        The sample's generator, e.g. ``rng_for(seed, sample)``.
    resync_h
        Default resynchronisation time of tripped elements (hours).

    Returns
    -------
    Damage
        Hits (with severity and origin), trips, missiles fired and intercepted.
        For many samples of one scenario, call :func:`plan_strikes` once and
        :func:`realise_plan` per sample: the result is the same.
    """
    return realise_plan(plan_strikes(waves, grid, resync_h=resync_h), rng)
