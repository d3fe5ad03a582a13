"""N-k criticality: the ranking equals single evaluations, pairs are exhaustive or sampled."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.engine import EngineOptions, compile_grid
from gridmodel.errors import OptionError
from gridmodel.network.catalog import load_network
from gridmodel.network.grid import Element
from gridmodel.outputs import MARKER
from gridmodel.studies.criticality import rank_outages
from gridmodel.studies.impact import impact, impact_of
from gridmodel.studies.outages import (
    MAX_PAIRS,
    CriticalityOptions,
    outage_set,
    pair_from_index,
)


@pytest.fixture(scope="module")
def case30():
    return compile_grid(load_network("case30"))


@pytest.fixture(scope="module")
def case14():
    return compile_grid(load_network("case14"))


def _independent(compiled, outages: list[list[str]]) -> pd.DataFrame:
    """Each outage evaluated on its own and summarised by Impact.to_dict() (the JSON path)."""
    rows = []
    for outage in outages:
        summary = impact_of(compiled, [Element("substation", s) for s in outage]).to_dict()
        rows.append(
            {
                "substations": ";".join(outage),
                "unserved_mw": summary["unserved_mw"],
                "customers_off": summary["customers_off"],
                "tripped": len(summary["tripped_branches"]),
            }
        )
    return pd.DataFrame(rows)


def test_n1_case30_matches_single_outages_sorted(case30) -> None:
    table, outages = rank_outages(case30, options=CriticalityOptions(k=1))
    subs = [str(s) for s in case30.grid.substations.index]
    assert outages.total == len(table) == len(subs) == 30 and not outages.sampled
    expected = _independent(case30, [[s] for s in subs])
    # sort the independent figures the documented way: unserved MW, then customers
    # off, both descending, ties in substation order (a stable sort)
    expected = expected.sort_values(
        ["unserved_mw", "customers_off"], ascending=False, kind="stable"
    ).reset_index(drop=True)
    assert table["rank"].tolist() == list(range(1, 31))
    assert table["substations"].tolist() == expected["substations"].tolist()
    np.testing.assert_allclose(table["unserved_mw"], expected["unserved_mw"], atol=1e-6)
    assert table["customers_off"].tolist() == expected["customers_off"].tolist()
    assert table["tripped"].tolist() == expected["tripped"].tolist()
    # losing a substation never cuts more than the whole load, and the figures add up
    load = case30.load_p_mw.sum()
    assert ((table["unserved_mw"] >= 0) & (table["unserved_mw"] <= load + 1e-6)).all()
    np.testing.assert_allclose(table["dark_mw"] + table["shed_mw"], table["unserved_mw"], atol=1e-5)
    assert table["unserved_mw"].is_monotonic_decreasing


def test_n2_is_exhaustive_on_case14(case14) -> None:
    table, outages = rank_outages(case14, options=CriticalityOptions(k=2))
    n = len(case14.grid.substations)
    assert n == 14 and len(table) == outages.total == n * (n - 1) // 2 == 91
    pairs = {frozenset(s.split(";")) for s in table["substations"]}
    assert len(pairs) == 91 and all(len(p) == 2 for p in pairs)
    # spot-check pairs against single evaluations
    picks = table.sample(8, random_state=1)
    expected = _independent(case14, [s.split(";") for s in picks["substations"]])
    np.testing.assert_allclose(picks["unserved_mw"], expected["unserved_mw"], atol=1e-6)
    assert picks["customers_off"].tolist() == expected["customers_off"].tolist()
    assert table["unserved_mw"].is_monotonic_decreasing


def test_pair_numbering_matches_triu_indices() -> None:
    for n in (2, 3, 7, 50, 633):
        i, j = np.triu_indices(n, k=1)
        pairs = pair_from_index(np.arange(len(i)), n)
        assert (pairs[:, 0] == i).all() and (pairs[:, 1] == j).all()


def test_pairs_beyond_the_limit_are_a_seeded_sample() -> None:
    options = CriticalityOptions(k=2, max_pairs=500, seed=3)
    first = outage_set(60, options=options)  # 1770 pairs > 500
    again = outage_set(60, options=options)
    other = outage_set(60, options=CriticalityOptions(k=2, max_pairs=500, seed=4))
    assert first.sampled and first.total == 1770 and len(first.positions) == 500
    assert np.array_equal(first.positions, again.positions)
    assert not np.array_equal(first.positions, other.positions)
    assert (first.positions[:, 0] < first.positions[:, 1]).all()
    assert len({tuple(p) for p in first.positions}) == 500
    # the documented exhaustive limit: 632 substations give 199,396 pairs
    assert not outage_set(632, options=CriticalityOptions(k=2)).sampled
    assert 632 * 631 // 2 <= MAX_PAIRS < 633 * 632 // 2


@pytest.mark.parametrize(
    "kwargs", [{"k": 3}, {"k": 0}, {"k": 2, "max_pairs": 0}, {"k": 1, "seed": -1}]
)
def test_bad_options_are_refused(kwargs: dict) -> None:
    with pytest.raises(OptionError):
        CriticalityOptions(**kwargs)


def test_cli_writes_ranked_csv_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "crit"
    result = CliRunner().invoke(
        app, ["criticality", "case14", "--k", "2", "--top", "3", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    # the screening default is the plain trip cascade, and the output says so
    assert "overloads: the plain trip cascade, a screening bound" in result.output
    table = pd.read_csv(out / "criticality.csv", dtype={"substations": str})
    assert list(table.columns) == [
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
    ]
    assert len(table) == 91 and table["rank"].tolist() == list(range(1, 92))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["k"] == 2 and summary["outages_total"] == 91 and not summary["sampled"]
    assert [r["substations"] for r in summary["top"]] == table["substations"].head(3).tolist()
    assert (out / MARKER).is_file()
    assert "91 of 91 N-2 outages" in result.output


def test_cli_bad_k_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "crit"
    result = CliRunner().invoke(app, ["criticality", "case14", "--k", "3", "--out", str(out)])
    # the message names the option by its Python name (k), with what is allowed
    assert result.exit_code == 2
    assert result.stderr.strip() == "gridmodel: error: k: unsupported k 3 (allowed: 1, 2)"
    assert not out.exists()


def test_csv_cells_that_look_like_formulas_are_quoted() -> None:
    from gridmodel.outputs import safe_frame

    table = pd.DataFrame(
        {"substations": ["=HYPERLINK(1)", "A"], "names": ["+1", "ok"], "regions": ["@x", "-"]}
    )
    safe = safe_frame(table)
    assert safe["substations"].tolist() == ["'=HYPERLINK(1)", "A"]
    assert safe["names"].tolist() == ["'+1", "ok"]
    assert safe["regions"].tolist() == ["'@x", "'-"]


@pytest.mark.slow
def test_two_workers_give_the_serial_table(case14) -> None:
    serial, _ = rank_outages(case14, options=CriticalityOptions(k=2))
    # 91 pairs in chunks of 20: five chunks for the two workers
    parallel, _ = rank_outages(
        case14, options=CriticalityOptions(k=2), workers=2, network="case14", chunk_size=20
    )
    pd.testing.assert_frame_equal(serial, parallel)


@pytest.mark.slow  # two AC N-1 runs through the CLI: 5 s alone, 7-21 s under -n 2
def test_cli_ac_backend_reaches_the_engine_and_the_summary(tmp_path: Path) -> None:
    """AC N-1 on case9 with either backend gives the same unserved MW (both solve
    the same AC flows, equal to 1e-4 MW in tests/test_acflow.py) and records the
    backend it used."""
    tables = {}
    for name in ("pandapower", "lightsim2grid"):
        out = tmp_path / name
        result = CliRunner().invoke(
            app,
            ["criticality", "case9", "--mode", "ac", "--ac-backend", name, "--out", str(out)],
        )
        assert result.exit_code == 0, result.output
        summary = json.loads((out / "summary.json").read_text())
        assert summary["options"]["ac_backend"] == name
        tables[name] = pd.read_csv(out / "criticality.csv", dtype={"substations": str})
    np.testing.assert_allclose(
        tables["lightsim2grid"]["unserved_mw"], tables["pandapower"]["unserved_mw"], atol=1e-6
    )


def test_ac_backend_auto_picks_lightsim2grid_when_installed() -> None:
    import importlib.util

    installed = importlib.util.find_spec("lightsim2grid") is not None
    assert EngineOptions().ac_backend == ("lightsim2grid" if installed else "pandapower")
    assert EngineOptions(ac_backend="pandapower").ac_backend == "pandapower"


def test_cli_table_shows_ids_a_strike_can_name(tmp_path: Path) -> None:
    out = tmp_path / "crit"
    result = CliRunner().invoke(
        app, ["criticality", "case14", "--top", "3", "--out", str(out), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "criticality.csv", dtype={"substations": str, "names": str})
    top = table["substations"].iloc[0]
    assert top.startswith("bus")  # case14's ids are bus0..bus13, its names 1..14
    assert "substation ids" in result.output and f" {top} " in result.output
    # the id shown is one a strike accepts
    assert impact(load_network("case14"), [f"substation:{top}"]).to_dict()["load_mw"] > 0
