"""The final files of a criticality study: the ranking, the summary, the intact grid's map."""

from __future__ import annotations

import json
from typing import Any

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
    check_written,
)
from gridmodel.engine import CompiledGrid
from gridmodel.interrupts import stage
from gridmodel.outputs import safe_csv
from gridmodel.readback import check_written_table
from gridmodel.strikes import Damage
from gridmodel.studies.criticality.ranking import Ranking
from gridmodel.studies.criticality.space import OutageSpace
from gridmodel.studies.criticality.store import StudyStore, write_atomic
from gridmodel.studies.impact import impact_of
from gridmodel.studies.network_state import network_state
from gridmodel.studies.outages import CriticalityOptions


def criticality_summary(
    compiled: CompiledGrid,
    options: CriticalityOptions,
    space: OutageSpace,
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
        "outages_total": int(space.total),
        "outages_evaluated": int(space.count),
        "sampled": bool(space.sampled),
        "seed": options.seed if space.sampled else None,
        "top": json.loads(table.head(top).to_json(orient="records")),
    }


def intact_state(compiled: CompiledGrid) -> NetworkStateJson:
    """``network_state.json`` of the intact grid: every substation's place, the base flows."""
    intact = impact_of(compiled, ())
    return network_state(compiled, intact.outcome, Damage((), (), 0, 0))


def write_results(
    store: StudyStore,
    table: pd.DataFrame,
    *,
    summary: dict[str, Any],
    intact: NetworkStateJson,
    run_info: dict[str, Any],
) -> None:
    """Write ``criticality.csv``, ``summary.json``, ``network_state.json``, ``run.json``
    into the study's folder, each through a temporary file, then mark it complete."""
    stage("writing")
    out = store.out
    check_written_table(table, out / CRITICALITY_FILE)
    check_written(summary, out / SUMMARY_FILE, SummaryJson)
    check_written(intact, out / NETWORK_STATE_FILE, NetworkStateJson)
    tmp = out / f".{CRITICALITY_FILE}.tmp"
    try:
        safe_csv(table, tmp)
        tmp.replace(out / CRITICALITY_FILE)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    write_atomic(out / SUMMARY_FILE, _json(summary, indent=2))
    write_atomic(out / NETWORK_STATE_FILE, _json(intact, indent=1))
    write_atomic(out / RUN_INFO_FILE, _json(run_info, indent=2))
    store.mark_complete([CRITICALITY_FILE, SUMMARY_FILE, NETWORK_STATE_FILE, RUN_INFO_FILE])


def _json(data: Any, *, indent: int) -> str:
    return json.dumps(data, indent=indent, ensure_ascii=False) + "\n"


def rank_chunks_on_disk(store: StudyStore, ranking: Ranking) -> set[int]:
    """Add every chunk on disk, read back and checked, to ``ranking``; return their numbers."""
    found = store.chunks_on_disk()
    for chunk in found:
        positions, figures = store.read_chunk(chunk)
        ranking.add(store.chunk_range(chunk)[0], positions, figures)
    return set(found)
