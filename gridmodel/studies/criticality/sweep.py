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

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from gridmodel.contract import (
    CRITICALITY_FILE,
    CRITICALITY_KIND,
    NETWORK_STATE_FILE,
    RUN_INFO_FILE,
    SCHEMA_VERSION,
    SUMMARY_FILE,
    NetworkStateJson,
    SummaryJson,
    write_json,
)
from gridmodel.engine import CompiledGrid, EngineCache, compile_grid
from gridmodel.inputs import check_count, max_workers
from gridmodel.network.grid import Grid
from gridmodel.outputs import atomic_output_dir, check_target, safe_csv
from gridmodel.readback import check_written_table
from gridmodel.strikes import Damage
from gridmodel.studies.impact import engine_options, impact_of
from gridmodel.studies.network_state import network_state
from gridmodel.studies.outages import (
    MAX_PAIRS,
    CriticalityOptions,
    OutageSet,
    evaluate_outages,
    evaluate_parallel,
    outage_set,
)

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
        figures = evaluate_outages(
            compiled, subs, outages.positions, cache=EngineCache(), on_progress=on_progress
        )
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


def criticality(
    grid: Grid,
    k: int = 1,
    *,
    mode: str = "dc",
    overload: str = "trip",
    ratings: str = "raise-base",
    limit: float | None = None,
    ac_backend: str = "auto",
    max_pairs: int = MAX_PAIRS,
    seed: int = 0,
    workers: int = 1,
    network: str | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    top: int = 20,
    on_progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Rank substations (``k=1``) or pairs (``k=2``) by unserved MW and customers off.

    Parameters
    ----------
    grid
        The network (:func:`gridmodel.load_network`).
    k
        Substations lost together: 1 or 2.
    mode, overload, ratings, limit, ac_backend
        Engine options, as for :func:`gridmodel.impact`.
    max_pairs
        For ``k=2``: all pairs up to this many, a seeded sample beyond.
    seed
        Seed of the pair sample.
    workers
        Worker processes; more than 1 needs ``network`` (the name or path the
        workers load ``grid`` from).
    network
        Where ``grid`` was loaded from, for worker processes.
    out
        When given, also write ``criticality.csv``, ``summary.json`` (the
        ``top`` outages), ``network_state.json`` (the intact grid, for the
        report's map of the most critical elements) and ``run.json`` into
        this folder.
    overwrite
        Replace a non-empty folder gridmodel did not write.
    top
        Outages listed in ``summary.json``.
    on_progress
        Called with the number of outages evaluated so far.

    Returns
    -------
    DataFrame
        The ranking (columns :data:`COLUMNS`); ``attrs`` holds
        ``outages_total`` and ``sampled``.
    """
    if out is not None:
        check_target(Path(out), overwrite=overwrite)  # before any work
    check_counts(top=top, workers=workers)
    options = CriticalityOptions(k=k, max_pairs=max_pairs, seed=seed)
    engine = engine_options(
        mode=mode, overload=overload, ratings=ratings, limit=limit, ac_backend=ac_backend
    )
    started = time.perf_counter()
    compiled = compile_grid(grid, options=engine)
    table, outages = rank_outages(
        compiled, options=options, on_progress=on_progress, workers=workers, network=network
    )
    elapsed = time.perf_counter() - started
    table.attrs.update(outages_total=int(outages.total), sampled=bool(outages.sampled))
    if out is not None:
        write_criticality(
            Path(out),
            table,
            summary=criticality_summary(compiled, options, outages, table, top=top),
            intact=intact_state(compiled),
            run_info={
                "workers": workers,
                "elapsed_s": round(elapsed, 3),
                "ms_per_outage": round(1000 * elapsed / max(len(table), 1), 3),
            },
            overwrite=overwrite,
        )
    return table


#: Most outages ``--top`` lists in ``summary.json``.
MAX_TOP = 10_000


def check_counts(*, top: int, workers: int) -> None:
    """Check ``top`` (1 to :data:`MAX_TOP`) and ``workers`` of :func:`criticality`.

    ``workers`` is 1 to :func:`~gridmodel.inputs.max_workers` (four per CPU,
    at most 256).

    Raises
    ------
    OptionError
        Naming the parameter and the range.
    """
    check_count(top, field="top", high=MAX_TOP)
    check_count(workers, field="workers", high=max_workers())


def criticality_summary(
    compiled: CompiledGrid,
    options: CriticalityOptions,
    outages: OutageSet,
    table: pd.DataFrame,
    *,
    top: int,
) -> dict[str, Any]:
    """The ``summary.json`` of a criticality folder (the ``top`` outages)."""
    engine = compiled.options
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": CRITICALITY_KIND,
        "network": compiled.grid.name,
        "k": options.k,
        "options": {
            "mode": engine.mode,
            "overload": engine.overload,
            "ratings": engine.ratings,
            "overload_limit_percent": float(engine.overload_limit_percent),
            "ac_backend": engine.ac_backend,
        },
        "substations": len(compiled.grid.substations),
        "load_mw": round(float(compiled.load_p_mw.sum()), 6),
        "outages_total": int(outages.total),
        "outages_evaluated": len(table),
        "sampled": bool(outages.sampled),
        "seed": options.seed if outages.sampled else None,
        "top": json.loads(table.head(top).to_json(orient="records")),
    }


def intact_state(compiled: CompiledGrid) -> NetworkStateJson:
    """``network_state.json`` of the intact grid: every substation's place, the base flows."""
    intact = impact_of(compiled, ())
    return network_state(compiled, intact.outcome, Damage((), (), 0, 0))


def write_criticality(
    out: Path,
    table: pd.DataFrame,
    *,
    summary: dict[str, Any],
    run_info: dict[str, Any],
    intact: NetworkStateJson | None = None,
    overwrite: bool = False,
) -> Path:
    """Write ``criticality.csv``, ``summary.json``, ``run.json`` and (given ``intact``)
    ``network_state.json`` into ``out`` atomically."""
    with atomic_output_dir(out, overwrite=overwrite) as tmp:
        check_written_table(table, tmp / CRITICALITY_FILE)
        safe_csv(table, tmp / CRITICALITY_FILE)
        write_json(tmp / SUMMARY_FILE, summary, shape=SummaryJson)
        if intact is not None:
            write_json(tmp / NETWORK_STATE_FILE, intact, indent=1, shape=NetworkStateJson)
        write_json(tmp / RUN_INFO_FILE, run_info)
    return out
