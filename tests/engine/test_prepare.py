"""The disk cache of compiled grids: a grid read back equals a fresh compile bit for bit.

Expected values: a freshly compiled grid (``use_cache=False``) of the same
network and options, compared field by field with exact equality (arrays:
same dtype, same bits); and case9's published load, 90 + 100 + 125 = 315 MW.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from gridmodel.engine.compiled import CompiledGrid
from gridmodel.engine.prepare import Prepared, prepare_grid
from gridmodel.network.grid import Grid
from gridmodel.network.listing import ENV_CACHE
from gridmodel.studies.impact import engine_options, impact_of, strike_elements


def options(**changes: Any) -> Any:
    values = {"mode": "dc", "overload": "trip", "ratings": "raise-base", "limit": 100.0}
    return engine_options(**{**values, "ac_backend": "auto", **changes})


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(ENV_CACHE, str(tmp_path / "cache"))
    return tmp_path / "cache" / "compiled"


def same(a: Any, b: Any, where: str) -> None:
    """Exact equality of two values of a compiled grid (recursing into its parts)."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape, where
        if a.dtype == object:  # strings: equal values of the same type
            assert [(type(x), x) for x in a] == [(type(y), y) for y in b], where
        else:
            assert a.tobytes() == b.tobytes(), where
    elif isinstance(a, pd.DataFrame | pd.Series):
        assert a.equals(b) and a.index.equals(b.index), where
        pd.testing.assert_index_equal(a.index, b.index, exact=True, check_exact=True)
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        else:
            pd.testing.assert_series_equal(a, b, check_exact=True)
    elif isinstance(a, Grid):
        for field in ("name", "source", "substations", "bus_substation", "loads", "regions"):
            same(getattr(a, field), getattr(b, field), f"{where}.{field}")
        assert a.outlines == b.outlines, where
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), where
        for field in dataclasses.fields(a):
            same(getattr(a, field.name), getattr(b, field.name), f"{where}.{field.name}")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, tuple | list):
        assert len(a) == len(b), where
        for n, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{n}]")
    else:
        assert type(a) is type(b) and a == b, where


def round_trip(network: str, **changes: Any) -> tuple[CompiledGrid, Prepared, Prepared]:
    fresh = prepare_grid(network, options=options(**changes), use_cache=False).compiled
    first = prepare_grid(network, options=options(**changes))
    second = prepare_grid(network, options=options(**changes))
    return fresh, first, second


@pytest.mark.parametrize(
    ("network", "strikes"),
    [
        ("case9", ["line:3", "substation:bus4"]),
        ("case118", ["line:7", "substation:bus68"]),
        ("ua-grid", ["substation:KHMELNYTSKYI_NPP", "substation:BILOHORODKA"]),
    ],
)
def test_cached_grid_equals_a_fresh_compile(network: str, strikes: list[str], cache: Path) -> None:
    fresh, first, second = round_trip(network)
    assert not first.cached and first.entry is not None and first.entry.parent == cache
    assert second.cached and second.entry == first.entry
    assert not second.compiled.grid.net_loaded  # the net is not parsed for a cached grid
    for field in dataclasses.fields(CompiledGrid):
        name = field.name
        same(getattr(fresh, name), getattr(second.compiled, name), name)
    for struck in ([], strikes[:1], strikes):
        elements = strike_elements(struck)
        expected = impact_of(fresh, elements).to_dict()
        assert impact_of(second.compiled, elements).to_dict() == expected
    same(fresh.grid.net.bus, second.compiled.grid.net.bus, "net.bus")  # parsed on use


def test_ac_impact_from_the_cache_equals_a_fresh_compile(cache: Path) -> None:
    fresh, _, second = round_trip("case9", mode="ac", overload="operator")
    assert second.cached
    for struck in ([], ["line:3"], ["substation:bus4"]):
        elements = strike_elements(struck)
        expected = impact_of(fresh, elements).to_dict()
        assert impact_of(second.compiled, elements).to_dict() == expected
    assert second.compiled.grid.net_loaded  # the AC flow needed the net


def test_case9_from_the_cache_serves_its_published_load(cache: Path) -> None:
    prepare_grid("case9", options=options())
    cached = prepare_grid("case9", options=options())
    assert cached.cached
    assert impact_of(cached.compiled, []).to_dict()["load_mw"] == pytest.approx(315.0, abs=1e-9)


def test_options_that_only_steer_evaluation_reuse_the_entry(cache: Path) -> None:
    prepare_grid("case9", options=options(overload="trip"))
    reused = prepare_grid("case9", options=options(overload="operator"))
    fresh = prepare_grid("case9", options=options(overload="operator"), use_cache=False)
    assert reused.cached and reused.compiled.options == fresh.compiled.options
    for field in dataclasses.fields(CompiledGrid):
        same(getattr(fresh.compiled, field.name), getattr(reused.compiled, field.name), field.name)
    other = prepare_grid("case9", options=options(ratings="file"))
    assert not other.cached and other.entry != reused.entry


def test_edited_network_file_gets_a_new_entry(tmp_path: Path, cache: Path) -> None:
    from gridmodel.network.catalog import load_network

    net = load_network("case9").net
    path = tmp_path / "nine.json"
    import pandapower as pp

    pp.to_json(net, str(path))
    first = prepare_grid(path, options=options())
    assert prepare_grid(path, options=options()).cached
    net.load.loc[0, "p_mw"] = 50.0  # 90 MW -> 50 MW
    pp.to_json(net, str(path))
    edited = prepare_grid(path, options=options())
    assert not edited.cached and edited.entry != first.entry
    assert impact_of(edited.compiled, []).to_dict()["load_mw"] == pytest.approx(275.0, abs=1e-9)


def test_cache_off_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_CACHE, "off")
    prepared = prepare_grid("case9", options=options())
    assert not prepared.cached and prepared.entry is None and prepared.note is None
    monkeypatch.setenv(ENV_CACHE, str(tmp_path / "c"))
    assert prepare_grid("case9", options=options(), use_cache=False).entry is None
    assert not (tmp_path / "c").exists()


def test_an_entry_is_one_file_with_no_temporary_left(cache: Path) -> None:
    prepared = prepare_grid("case118", options=options())
    assert [p.name for p in cache.iterdir()] == [prepared.entry.name]  # type: ignore[union-attr]
    with np.load(prepared.entry, allow_pickle=False) as npz:  # no object array inside
        meta = json.loads(npz["meta"].tobytes())
        assert all(npz[name].dtype != object for name in npz.files)
    assert meta["name"] == "case118" and meta["n_bus"] == 118


def test_an_unwritable_cache_folder_still_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setenv(ENV_CACHE, str(blocker / "cache"))
    prepared = prepare_grid("case9", options=options())
    assert not prepared.cached and prepared.entry is None
    assert prepared.note is not None and prepared.note.startswith("cannot write")
    assert impact_of(prepared.compiled, []).to_dict()["load_mw"] == pytest.approx(315.0, abs=1e-9)


def test_a_cached_grid_pickles_with_its_net(cache: Path) -> None:
    import pickle

    prepare_grid("case9", options=options())
    cached = prepare_grid("case9", options=options()).compiled.grid
    assert not cached.net_loaded
    copy = pickle.loads(pickle.dumps(cached))  # as sent to a worker process
    assert copy.net_loaded and cached.net_loaded
    assert copy.net.load["p_mw"].tolist() == [90.0, 100.0, 125.0]  # case9's loads
    same(cached.substations, copy.substations, "substations")


def test_prune_keeps_the_newest_entries_and_removes_stale_temporaries(tmp_path: Path) -> None:
    import os

    from gridmodel.engine.prepare import STALE_TEMPORARY_S, prune

    for age, name in ((300, "a.npz"), (200, "b.npz"), (100, "c.npz"), (0, "d.npz")):
        (tmp_path / name).write_bytes(b"x")
        os.utime(tmp_path / name, (1e9 - age, 1e9 - age))
    (tmp_path / ".entry-old.tmp").write_bytes(b"x")
    os.utime(tmp_path / ".entry-old.tmp", (0, 0))
    (tmp_path / ".entry-now.tmp").write_bytes(b"x")  # a write under way elsewhere
    prune(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".entry-now.tmp", "c.npz", "d.npz"]
    assert STALE_TEMPORARY_S >= 60


def test_network_without_coordinates_round_trips(tmp_path: Path, cache: Path) -> None:
    import pandapower as pp

    net = pp.create_empty_network()
    b0, b1 = pp.create_bus(net, vn_kv=110.0), pp.create_bus(net, vn_kv=110.0)
    pp.create_ext_grid(net, b0)
    pp.create_line_from_parameters(net, b0, b1, 10.0, 0.05, 0.4, 10.0, 1.0)
    pp.create_load(net, b1, p_mw=7.0)
    path = tmp_path / "two.json"
    pp.to_json(net, str(path))
    fresh, first, second = round_trip(str(path))
    assert first.entry is not None and second.cached
    assert second.compiled.grid.substations["lat"].isna().all()  # no coordinates given
    for field in dataclasses.fields(CompiledGrid):
        same(getattr(fresh, field.name), getattr(second.compiled, field.name), field.name)
    assert impact_of(second.compiled, []).to_dict()["served_mw"] == pytest.approx(7.0, abs=1e-9)
