"""The catalog listing keeps its rows on disk and notices when a source changes."""

from __future__ import annotations

import json
from pathlib import Path

import pandapower as pp
import pytest
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.network import catalog
from gridmodel.network.catalog import ENV_PATH
from gridmodel.network.listing import CATALOG_FILE, ENV_CACHE, summarize_catalog


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(ENV_CACHE, str(folder))
    monkeypatch.setattr(catalog, "BUILTIN_CASES", ("case9",))  # one built-in case: fast
    networks = tmp_path / "networks"
    networks.mkdir()
    monkeypatch.setenv(ENV_PATH, str(networks))
    result = CliRunner().invoke(app, ["networks", "import", "case9", "--name", "nine"])
    assert result.exit_code == 0, result.output
    return folder / CATALOG_FILE


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {row["name"]: row for row in rows}


def test_rows_are_kept_and_reused(cache: Path) -> None:
    rows = by_name(summarize_catalog())
    # case9 (MATPOWER): 9 buses, 315 MW of load, 820 MW of generator Pmax
    for name in ("nine", "case9"):
        assert rows[name]["buses"] == 9
        assert rows[name]["load_mw"] == pytest.approx(315.0)
        assert rows[name]["gen_mw"] == pytest.approx(820.0)
    assert rows["nine"]["kind"] == "bundled" and rows["case9"]["kind"] == "builtin"
    kept = json.loads(cache.read_text())
    assert {row["name"] for row in kept.values()} == set(rows)
    # a kept row is shown as kept: the network is not loaded again
    key = next(k for k, row in kept.items() if row["name"] == "case9")
    kept[key]["gen_mw"] = 1.5
    cache.write_text(json.dumps(kept))
    assert by_name(summarize_catalog())["case9"]["gen_mw"] == 1.5


def test_a_changed_bundled_network_is_summarised_again(cache: Path) -> None:
    summarize_catalog()
    network = Path(catalog.network_dirs()[0]) / "nine" / "network.json"
    net = pp.from_json(str(network))
    net.load["p_mw"] *= 2.0  # 630 MW of load instead of 315 MW
    pp.to_json(net, str(network))
    rows = by_name(summarize_catalog())
    assert rows["nine"]["load_mw"] == pytest.approx(630.0)
    assert rows["case9"]["load_mw"] == pytest.approx(315.0)
    kept = json.loads(cache.read_text())
    assert [row["load_mw"] for row in kept.values() if row["name"] == "nine"] == [630.0]


def test_bad_kept_rows_and_files_are_ignored(cache: Path, tmp_path: Path) -> None:
    expected = summarize_catalog()
    kept = json.loads(cache.read_text())
    for row in kept.values():
        row["buses"] = "many"  # malformed: computed afresh
    cache.write_text(json.dumps(kept))
    assert summarize_catalog() == expected
    cache.write_text("{oops")
    assert summarize_catalog() == expected
    assert json.loads(cache.read_text())  # written again, readable
    # a cache folder that cannot be made: listed all the same, nothing raised
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_CACHE, str(blocker / "cache"))
        assert summarize_catalog() == expected
        # a folder under an unknown user's home: no cache, no traceback
        mp.setenv(ENV_CACHE, "~no-such-user-here/cache")
        assert summarize_catalog() == expected


def test_a_broken_network_is_never_kept(cache: Path) -> None:
    broken = Path(catalog.network_dirs()[0]) / "broken"
    broken.mkdir()
    (broken / "network.json").write_text("{oops")
    for _ in range(2):
        rows = by_name(summarize_catalog())
        assert "network.json" in rows["broken"]["error"]
        assert "buses" not in rows["broken"]
    assert all(row["name"] != "broken" for row in json.loads(cache.read_text()).values())
