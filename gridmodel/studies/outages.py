"""The outages of N-k criticality, and their figures.

Every single substation (``k=1``) or pair of substations (``k=2``) is taken
out of the intact grid and the state is evaluated with the engine (grid
compiled once per process). Pairs are enumerated exhaustively while there are
at most ``max_pairs`` of them (:data:`MAX_PAIRS` by default: 200,000 pairs,
i.e. up to 632 substations; ``"all"``: every pair, up to :data:`MAX_PAIRS_CAP`);
beyond that ``max_pairs`` distinct pairs are drawn uniformly without
replacement with ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridmodel.contract import round_mw
from gridmodel.engine import CompiledGrid, EngineCache, evaluate
from gridmodel.engine.batch import StateBatch, batch_figures, outcome_figures
from gridmodel.engine.kernel_batch import FIGURE_NAMES
from gridmodel.errors import OptionError
from gridmodel.inputs import MAX_SEED, check_count
from gridmodel.network.grid import Element

#: Largest number of pairs enumerated exhaustively for ``k=2``.
MAX_PAIRS = 200_000
#: Largest ``max_pairs`` accepted, and the most pairs ``max_pairs="all"`` evaluates
#: (every pair is a power-flow evaluation; case2869pegase has 4,114,146 pairs).
MAX_PAIRS_CAP = 5_000_000
#: ``max_pairs`` for every pair of the network, however many (up to :data:`MAX_PAIRS_CAP`).
ALL_PAIRS = "all"


@dataclass(frozen=True)
class CriticalityOptions:
    """Which outages N-k criticality evaluates.

    Parameters
    ----------
    k
        Substations lost together: 1 or 2.
    max_pairs
        For ``k=2``: enumerate all pairs up to this many, sample this many
        beyond; ``"all"`` (:data:`ALL_PAIRS`): every pair (a network of more
        than :data:`MAX_PAIRS_CAP` pairs is refused when the pairs are counted).
    seed
        Seed of the pair sample (used only when sampling).
    """

    k: int = 1
    max_pairs: int | str = MAX_PAIRS
    seed: int = 0

    def __post_init__(self) -> None:
        if self.k not in (1, 2) or isinstance(self.k, bool):
            raise OptionError(f"unsupported k {self.k!r}", field="k", allowed="1, 2")
        if self.max_pairs != ALL_PAIRS:
            try:
                check_count(self.max_pairs, field="max_pairs", high=MAX_PAIRS_CAP)
            except OptionError as exc:
                raise OptionError(
                    exc.message, field="max_pairs", allowed=f"{exc.allowed}, or {ALL_PAIRS}"
                ) from None
        check_count(self.seed, field="seed", low=0, high=MAX_SEED)


@dataclass(frozen=True)
class OutageSet:
    """The outages to evaluate: rows of substation positions (shape ``(m, k)``)."""

    positions: np.ndarray
    total: int
    sampled: bool


def pair_from_index(index: np.ndarray, n: int) -> np.ndarray:
    """Pairs ``(i, j)``, ``i < j``, of the lexicographic pair numbering of ``n`` items.

    Pair number ``p`` counts ``(0,1), (0,2), ..., (0,n-1), (1,2), ...``.
    """
    index = np.asarray(index, dtype=np.int64)
    # first index i: the largest i with start(i) <= p, start(i) = i*(2n - i - 1)/2
    i = np.floor((2 * n - 1 - np.sqrt((2 * n - 1) ** 2 - 8 * index)) / 2).astype(np.int64)
    start = i * (2 * n - i - 1) // 2
    i = np.where(start > index, i - 1, i)
    start = i * (2 * n - i - 1) // 2
    nxt = (i + 1) * (2 * n - i - 2) // 2
    i = np.where(nxt <= index, i + 1, i)
    start = i * (2 * n - i - 1) // 2
    j = index - start + i + 1
    return np.column_stack([i, j])


def outage_set(n: int, *, options: CriticalityOptions) -> OutageSet:
    """All single outages, all pairs, or a seeded sample of ``max_pairs`` pairs."""
    if options.k == 1:
        return OutageSet(np.arange(n, dtype=np.int64).reshape(-1, 1), n, False)
    total = n * (n - 1) // 2
    if options.max_pairs == ALL_PAIRS or total <= int(options.max_pairs):
        i, j = np.triu_indices(n, k=1)
        return OutageSet(np.column_stack([i, j]).astype(np.int64), total, False)
    rng = np.random.default_rng(options.seed)
    chosen = np.sort(rng.choice(total, size=int(options.max_pairs), replace=False))
    return OutageSet(pair_from_index(chosen, n), total, True)


def evaluate_outages(
    compiled: CompiledGrid,
    substations: Sequence[str],
    positions: np.ndarray,
    *,
    cache: EngineCache | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Impact figures of each outage (a row of ``positions`` into ``substations``).

    With the DC trip cascade the outages are evaluated in batches of
    :data:`BATCH` states per compiled call (:func:`~gridmodel.engine.batch.batch_figures`);
    other options evaluate them one :func:`~gridmodel.engine.evaluate` call
    per batch. The figures are those of :func:`~gridmodel.engine.figures.totals`.

    Returns
    -------
    DataFrame
        One row per outage, in input order: ``unserved_mw``, ``customers_off``,
        ``dark_mw``, ``shed_mw``, ``critical_unserved_mw``, ``tripped``, ``islands``.
    """
    cache = cache if cache is not None else EngineCache()
    positions = np.asarray(positions, dtype=np.int64).reshape(len(positions), -1)
    found = np.zeros((len(positions), len(FIGURE_NAMES)))
    for start in range(0, len(positions), BATCH):
        rows = positions[start : start + BATCH]
        found[start : start + len(rows)] = _figures(compiled, substations, rows, cache)
        if on_progress is not None:
            on_progress(start + len(rows))
    frame = pd.DataFrame(found[:, : len(OUTAGE_FIGURES)], columns=list(OUTAGE_FIGURES))
    for name in OUTAGE_FIGURES:
        if name in OUTAGE_COUNTS:
            frame[name] = np.array([round(float(v)) for v in frame[name]], dtype=np.int64)
        else:
            frame[name] = np.array([round_mw(float(v)) for v in frame[name]], dtype=float)
    return frame


#: Outages evaluated per compiled call (bounds the masks' memory: a few MB).
BATCH = 1024

#: The figures of :func:`evaluate_outages`, in the engine's order.
OUTAGE_FIGURES: tuple[str, ...] = FIGURE_NAMES[:7]
#: Count columns among :data:`OUTAGE_FIGURES` (the others are MW).
OUTAGE_COUNTS: tuple[str, ...] = ("customers_off", "tripped", "islands")


def _figures(
    compiled: CompiledGrid, substations: Sequence[str], rows: np.ndarray, cache: EngineCache
) -> np.ndarray:
    """The engine's figures of the outages ``rows`` (:data:`FIGURE_NAMES` columns)."""
    options = compiled.options
    if options.mode == "dc" and options.overload == "trip":
        return batch_figures(compiled, outage_batch(compiled, substations, rows), cache=cache)
    states = [compiled.state([Element("substation", substations[p]) for p in row]) for row in rows]
    outcomes = evaluate(compiled, states, cache=cache)
    return np.array([outcome_figures(compiled, o) for o in outcomes]).reshape(
        len(rows), len(FIGURE_NAMES)
    )


def outage_batch(
    compiled: CompiledGrid, substations: Sequence[str], rows: np.ndarray
) -> StateBatch:
    """The states of the outages ``rows`` (each a row of positions into ``substations``)."""
    base = compiled.base
    count = len(rows)
    bus = np.tile(base.bus, (count, 1))
    for column in range(rows.shape[1]):
        for position in np.unique(rows[:, column]):
            buses = compiled.substation_buses[substations[position]]
            hit = np.flatnonzero(rows[:, column] == position)
            bus[np.ix_(hit, buses)] = False
    return StateBatch(
        bus=bus,
        branch=np.tile(base.branch, (count, 1)),
        unit=np.tile(base.unit, (count, 1)),
        load=np.tile(base.load, (count, 1)),
        pmax=np.tile(compiled.unit_pmax_mw, (count, 1)),
    )
