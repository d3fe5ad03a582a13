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

import concurrent.futures as cf
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridmodel.contract import round_mw
from gridmodel.engine import CompiledGrid, EngineCache, EngineOptions, compile_grid, evaluate
from gridmodel.engine.figures import totals
from gridmodel.errors import OptionError
from gridmodel.inputs import MAX_SEED, check_count
from gridmodel.network.catalog import load_network
from gridmodel.network.grid import Element
from gridmodel.studies.workers import WORKER_MEMO, process_pool

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

    Returns
    -------
    DataFrame
        One row per outage, in input order: ``unserved_mw``, ``customers_off``,
        ``dark_mw``, ``shed_mw``, ``critical_unserved_mw``, ``tripped``, ``islands``.
    """
    cache = cache if cache is not None else EngineCache()
    rows = []
    for row, outage in enumerate(positions):
        state = compiled.state([Element("substation", substations[p]) for p in outage])
        [outcome] = evaluate(compiled, [state], cache=cache)
        figures = totals(compiled, outcome)
        rows.append(
            (
                round_mw(float(figures["unserved_mw"])),
                round(float(figures["customers_off"])),
                round_mw(float(figures["dark_mw"])),
                round_mw(float(figures["shed_mw"])),
                round_mw(float(figures["critical_unserved_mw"])),
                int(figures["tripped"]),
                int(figures["islands"]),
            )
        )
        if on_progress is not None:
            on_progress(row + 1)
    columns = ["unserved_mw", "customers_off", "dark_mw", "shed_mw", "critical_unserved_mw"]
    frame = pd.DataFrame(rows, columns=[*columns, "tripped", "islands"])
    return frame.astype(
        {"customers_off": np.int64, "tripped": np.int64, "islands": np.int64}
        | {c: float for c in columns if c != "customers_off"}
    )


def _evaluate_block(
    network: str, engine: EngineOptions, substations: Sequence[str], positions: np.ndarray
) -> pd.DataFrame:
    """Worker side of :func:`evaluate_parallel`: compile once per process, evaluate a block."""
    compiled, cache = WORKER_MEMO.get(
        ("criticality", network, engine),
        lambda: (compile_grid(load_network(network), options=engine), EngineCache()),
    )
    return evaluate_outages(compiled, substations, positions, cache=cache)


def evaluate_parallel(
    network: str,
    engine: EngineOptions,
    substations: Sequence[str],
    positions: np.ndarray,
    *,
    workers: int,
    on_progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """:func:`evaluate_outages` on a local process pool (each worker compiles the grid once).

    ``network`` is what :func:`~gridmodel.network.catalog.load_network` accepts; the
    result is the same table as the serial evaluation.
    """
    if len(positions) == 0:
        raise ValueError("no outages to evaluate")
    block = max(1, min(2000, -(-len(positions) // (8 * workers))))
    starts = list(range(0, len(positions), block))
    parts: dict[int, pd.DataFrame] = {}
    done = 0
    with process_pool(workers) as pool:
        futures = {
            pool.submit(
                _evaluate_block, network, engine, list(substations), positions[s : s + block]
            ): s
            for s in starts
        }
        for future in cf.as_completed(futures):
            part = future.result()
            parts[futures[future]] = part
            done += len(part)
            if on_progress is not None:
                on_progress(done)
    return pd.concat([parts[s] for s in starts], ignore_index=True)
