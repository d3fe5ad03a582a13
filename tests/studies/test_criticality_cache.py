"""Criticality on a grid read from the cache of compiled grids.

Expected values: the same study on a grid compiled afresh (``compile_grid``
of the loaded network); a cached grid must rank exactly alike, to the bit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import gridmodel
from gridmodel.engine.prepare import prepare_grid
from gridmodel.errors import OptionError
from gridmodel.network.listing import ENV_CACHE
from gridmodel.studies.criticality.executors import evaluate_block
from gridmodel.studies.impact import engine_options
from gridmodel.studies.workers import WORKER_MEMO

TRIP = engine_options(mode="dc", overload="trip", ratings="raise-base", limit=None,
                      ac_backend="auto")  # fmt: skip


def test_a_cached_grid_ranks_as_the_loaded_network() -> None:
    prepare_grid("case30", options=TRIP)  # fills the session's cache folder
    cached = prepare_grid("case30", options=TRIP)
    assert cached.cached and not cached.compiled.grid.net_loaded
    expected = gridmodel.criticality(gridmodel.load_network("case30"), k=2)
    found = gridmodel.criticality(cached.compiled, k=2)
    pd.testing.assert_frame_equal(found, expected, check_exact=True)
    assert not cached.compiled.grid.net_loaded  # the ranking never needed pandapower


def test_a_grid_compiled_with_other_options_is_refused() -> None:
    compiled = prepare_grid("case30", options=TRIP).compiled
    with pytest.raises(OptionError, match="not the options asked") as caught:
        gridmodel.criticality(compiled, k=1, overload="shed")
    assert caught.value.field == "grid"


def test_a_pool_worker_reads_the_cached_grid_and_gives_the_same_figures() -> None:
    prepare_grid("case30", options=TRIP)
    positions = np.array([[0, 5], [3, 17], [10, 29]])
    fresh = evaluate_block("case30", "case30-fresh", TRIP, positions, use_cache=False)
    fresh_grid = WORKER_MEMO.get(("criticality", "case30-fresh", TRIP), lambda: None)[0].grid
    assert fresh_grid.net_loaded  # loaded and compiled: the reference
    found = evaluate_block("case30", "case30-cached", TRIP, positions, use_cache=True)
    cached_grid = WORKER_MEMO.get(("criticality", "case30-cached", TRIP), lambda: None)[0].grid
    assert not cached_grid.net_loaded  # read from the cache, pandapower untouched
    pd.testing.assert_frame_equal(found, fresh, check_exact=True)


@pytest.mark.parametrize(("use_cache", "out"), [(False, False), (False, True), (True, False)])
def test_use_cache_reaches_the_pool_workers(
    use_cache: bool, out: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only ``use_cache=True`` has the workers (the driver compiles in memory)
    write a compiled grid, with or without an output folder; the ranking is the
    serial one either way."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(ENV_CACHE, str(folder))  # the workers are spawned after this
    case30 = gridmodel.load_network("case30")
    expected = gridmodel.criticality(case30, k=2)
    found = gridmodel.criticality(
        case30, k=2, workers=2, network="case30", chunk_size=50, use_cache=use_cache,
        out=tmp_path / "study" if out else None,
    )  # fmt: skip
    written = sorted(p.suffix for p in (folder / "compiled").glob("*")) if folder.exists() else []
    assert written == ([".npz"] if use_cache else [])
    pd.testing.assert_frame_equal(found, expected, check_exact=True)
