"""N-k criticality: which substations, and which pairs, hurt most when lost.

Every single substation (``k=1``) or pair of substations (``k=2``) is taken
out of the intact grid and the state is evaluated with the fast engine (grid
compiled once); outages are ranked by unserved MW, then customers off.

Pairs are enumerated exhaustively while there are at most ``max_pairs`` of
them (:data:`MAX_PAIRS` by default: 200,000 pairs, i.e. up to 632
substations); beyond that ``max_pairs`` distinct pairs are drawn uniformly
without replacement with ``numpy.random.default_rng(seed)`` and the result
says it was sampled.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridmodel.engine.compiled import CompiledGrid, EngineOptions
from gridmodel.engine.dc import evaluate
from gridmodel.errors import OptionError
from gridmodel.network.grid import Element
from gridmodel.engine.figures import customers_off

#: Largest number of pairs enumerated exhaustively for ``k=2``.
MAX_PAIRS = 200_000

#: Columns of the ranking table (after ``rank``).
COLUMNS: tuple[str, ...] = (
    "rank",
    "substations",
    "names",
    "regions",
    "unserved_mw",
    "customers_off",
    "dark_mw",
    "shed_mw",
    "critical_unserved_mw",
    "tripped",
    "islands",
)


@dataclass(frozen=True)
class CriticalityOptions:
    """Options of :func:`rank_outages`.

    Parameters
    ----------
    k
        Substations lost together: 1 or 2.
    max_pairs
        For ``k=2``: enumerate all pairs up to this many, sample this many beyond.
    seed
        Seed of the pair sample (used only when sampling).
    """

    k: int = 1
    max_pairs: int = MAX_PAIRS
    seed: int = 0

    def __post_init__(self) -> None:
        if self.k not in (1, 2) or isinstance(self.k, bool):
            raise OptionError(f"unsupported k {self.k!r}", field="--k", allowed="1, 2")
        if isinstance(self.max_pairs, bool) or self.max_pairs < 1:
            raise OptionError(
                f"must be a whole number >= 1, got {self.max_pairs!r}",
                field="--max-pairs",
                allowed=">= 1",
            )
        if isinstance(self.seed, bool) or self.seed < 0:
            raise OptionError(
                f"must be a whole number >= 0, got {self.seed!r}", field="--seed", allowed=">= 0"
            )


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
    if total <= options.max_pairs:
        i, j = np.triu_indices(n, k=1)
        return OutageSet(np.column_stack([i, j]).astype(np.int64), total, False)
    rng = np.random.default_rng(options.seed)
    chosen = np.sort(rng.choice(total, size=options.max_pairs, replace=False))
    return OutageSet(pair_from_index(chosen, n), total, True)


def evaluate_outages(
    compiled: CompiledGrid,
    substations: Sequence[str],
    positions: np.ndarray,
    *,
    on_progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Impact figures of each outage (a row of ``positions`` into ``substations``).

    Returns
    -------
    DataFrame
        One row per outage, in input order: ``unserved_mw``, ``customers_off``,
        ``dark_mw``, ``shed_mw``, ``critical_unserved_mw``, ``tripped``, ``islands``.
    """
    m = len(positions)
    unserved = np.zeros(m)
    dark = np.zeros(m)
    shed = np.zeros(m)
    critical_mw = np.zeros(m)
    customers = np.zeros(m, dtype=np.int64)
    tripped = np.zeros(m, dtype=np.int64)
    islands = np.zeros(m, dtype=np.int64)
    critical = compiled.load_priority == 1
    for row, outage in enumerate(positions):
        state = compiled.state([Element("substation", substations[p]) for p in outage])
        outcome = evaluate(compiled, state)
        lost = outcome.load_demand_mw - outcome.load_served_mw
        unserved[row] = outcome.unserved_mw
        dark[row] = outcome.dark_mw
        shed[row] = outcome.shed_mw
        critical_mw[row] = float(lost[critical].sum())
        customers[row] = round(float(customers_off(compiled, outcome).sum()))
        tripped[row] = len(outcome.tripped)
        islands[row] = outcome.islands
        if on_progress is not None:
            on_progress(row + 1)
    return pd.DataFrame(
        {
            "unserved_mw": _mw(unserved),
            "customers_off": customers,
            "dark_mw": _mw(dark),
            "shed_mw": _mw(shed),
            "critical_unserved_mw": _mw(critical_mw),
            "tripped": tripped,
            "islands": islands,
        }
    )


_WORKER_GRID: dict[tuple[str, EngineOptions], CompiledGrid] = {}


def _evaluate_block(
    network: str, engine: EngineOptions, substations: Sequence[str], positions: np.ndarray
) -> pd.DataFrame:
    """Worker side of :func:`evaluate_parallel`: compile once per process, evaluate a block."""
    key = (network, engine)
    compiled = _WORKER_GRID.get(key)
    if compiled is None:
        from gridmodel.network.catalog import load_network
        from gridmodel.engine.compiled import compile_grid

        _WORKER_GRID.clear()
        compiled = _WORKER_GRID[key] = compile_grid(load_network(network), options=engine)
    return evaluate_outages(compiled, substations, positions)


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
    import concurrent.futures as cf

    from gridmodel.studies.montecarlo.executors import process_pool

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


def rank_outages(
    compiled: CompiledGrid,
    *,
    options: CriticalityOptions,
    on_progress: Callable[[int], None] | None = None,
    workers: int = 1,
    network: str | None = None,
) -> tuple[pd.DataFrame, OutageSet]:
    """Rank single substations (``k=1``) or pairs (``k=2``) by the load they cut off.

    Parameters
    ----------
    compiled
        The compiled grid (its options choose DC/AC, trip/shed, ratings).
    options
        ``k``, ``max_pairs``, ``seed``.
    on_progress
        Called with the number of outages evaluated so far.
    workers
        Worker processes; more than 1 needs ``network`` (what
        :func:`~gridmodel.network.catalog.load_network` loads ``compiled.grid`` from).
    network
        The network source, for worker processes.

    Returns
    -------
    table, outages
        The ranking (columns :data:`COLUMNS`; sorted by ``unserved_mw`` then
        ``customers_off``, descending, ties in substation order; ``rank``
        from 1) and the outage set evaluated (total and whether sampled).
    """
    grid = compiled.grid
    subs = [str(s) for s in grid.substations.index]
    outages = outage_set(len(subs), options=options)
    if workers > 1 and network is not None and len(outages.positions) > 1:
        figures = evaluate_parallel(
            network,
            compiled.options,
            subs,
            outages.positions,
            workers=workers,
            on_progress=on_progress,
        )
    else:
        figures = evaluate_outages(compiled, subs, outages.positions, on_progress=on_progress)
    names = grid.substations["name"].astype(str).to_numpy()
    regions = grid.substations["region"].astype(str).to_numpy()
    ids = np.asarray(subs, dtype=object)
    pos = outages.positions
    table = pd.DataFrame(
        {
            "substations": [";".join(ids[p]) for p in pos],
            "names": [";".join(names[p]) for p in pos],
            "regions": [";".join(dict.fromkeys(regions[p])) for p in pos],
        }
    )
    table = pd.concat([table, figures], axis=1)
    order = np.lexsort((np.arange(len(table)), -table["customers_off"], -table["unserved_mw"]))
    table = table.iloc[order].reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table[list(COLUMNS)], outages


def _mw(values: np.ndarray) -> np.ndarray:
    out = np.round(values, 6)
    return np.where(out == 0, 0.0, out)
