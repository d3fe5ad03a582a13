"""``gridmodel networks`` through the command line (CliRunner and one real process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.network.catalog import ENV_PATH

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def networks_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "networks"
    folder.mkdir()
    monkeypatch.setenv(ENV_PATH, str(folder))
    return folder


def assert_one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gridmodel: error: ")
    assert "Traceback" not in result.output + result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_show_json_case9(runner: CliRunner) -> None:
    result = runner.invoke(app, ["networks", "show", "case9", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["name"] == "case9"
    assert data["buses"] == 9 and data["substations"] == 9
    # case9: 315 MW of load, 820 MW of generator Pmax, 500 customers per MW
    assert data["load_mw"] == pytest.approx(315.0)
    assert data["gen_mw"] == pytest.approx(820.0)
    (region,) = data["regions"]
    assert set(region) >= {"region", "substations", "load_mw", "gen_mw", "customers"}
    assert region["customers"] == 157_500


def test_show_table_has_one_row_per_region(runner: CliRunner) -> None:
    result = runner.invoke(app, ["networks", "show", "case30"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
    # regions 1, 2, 3 (zones of case30) and the total row
    assert [r.split("│")[1].strip() for r in rows] == ["1", "2", "3", "total"]
    assert "189.2" in result.stdout  # case30 total load, MW


def test_show_file_path(runner: CliRunner) -> None:
    result = runner.invoke(app, ["networks", "show", str(DATA / "case9.m"), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["load_mw"] == pytest.approx(315.0)


def test_show_unknown_name(runner: CliRunner) -> None:
    result = runner.invoke(app, ["networks", "show", "case3O"])
    assert_one_line_error(result, "unknown network 'case3O'", "'case30'")


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("net.json", "{broken", "not a valid pandapower JSON network"),
        ("net.pkl", "x", "pickle"),
        ("net.csv", "a,b\n", "unknown network file type"),
    ],
)
def test_show_bad_file(runner: CliRunner, tmp_path: Path, name: str, content: str, needle: str):
    path = tmp_path / name
    path.write_text(content)
    result = runner.invoke(app, ["networks", "show", str(path)])
    assert_one_line_error(result, str(path), needle)


def test_show_bad_metadata_names_file_and_field(runner: CliRunner, networks_dir: Path) -> None:
    result = runner.invoke(app, ["networks", "import", "case9", "--name", "nine"])
    assert result.exit_code == 0, result.output
    loads = networks_dir / "nine" / "loads.csv"
    loads.write_text("load,customers,priority\n0,100,7\n")
    result = runner.invoke(app, ["networks", "show", "nine"])
    assert_one_line_error(result, str(loads), "priority", "allowed: 1, 2, 3, 4")


def test_import_then_show_and_list(runner: CliRunner, networks_dir: Path) -> None:
    result = runner.invoke(app, ["networks", "import", str(DATA / "case9.m"), "--name", "nine-m"])
    assert result.exit_code == 0, result.output
    assert (networks_dir / "nine-m" / "network.json").is_file()
    shown = runner.invoke(app, ["networks", "show", "nine-m", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["gen_mw"] == pytest.approx(820.0)
    again = runner.invoke(app, ["networks", "import", str(DATA / "case9.m"), "--name", "nine-m"])
    assert_one_line_error(again, "already exists", "--overwrite")
    replaced = runner.invoke(
        app, ["networks", "import", "case14", "--name", "nine-m", "--overwrite"]
    )
    assert replaced.exit_code == 0, replaced.output
    shown = runner.invoke(app, ["networks", "show", "nine-m", "--json"])
    assert json.loads(shown.stdout)["buses"] == 14


def test_import_dest_and_substations(runner: CliRunner, tmp_path: Path) -> None:
    csv = tmp_path / "subs.csv"
    csv.write_text("substation,name,region,lat,lon,buses\nALL,All,one,50,30,0 1 2 3 4 5 6 7 8\n")
    dest = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "networks",
            "import",
            "case9",
            "--name",
            "n9",
            "--dest",
            str(dest),
            "--substations",
            str(csv),
        ],
    )
    assert result.exit_code == 0, result.output
    shown = runner.invoke(app, ["networks", "show", str(dest / "n9"), "--json"])
    data = json.loads(shown.stdout)
    assert data["substations"] == 1 and data["regions"][0]["region"] == "one"


def test_import_bad_substations_csv(runner: CliRunner, tmp_path: Path) -> None:
    csv = tmp_path / "subs.csv"
    csv.write_text("substation,name,region,lat,lon,buses\nA,A,r,95,30,0 1 2 3 4 5 6 7 8\n")
    result = runner.invoke(
        app,
        ["networks", "import", "case9", "--name", "n9", "--dest", str(tmp_path / "out"),
         "--substations", str(csv)],
    )  # fmt: skip
    assert_one_line_error(result, str(csv), "lat")
    assert not (tmp_path / "out" / "n9").exists()


@pytest.mark.slow
def test_list_shows_builtin_and_bundled(runner: CliRunner, networks_dir: Path) -> None:
    assert runner.invoke(app, ["networks", "import", "case9", "--name", "nine"]).exit_code == 0
    result = runner.invoke(app, ["networks", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["nine"]["kind"] == "bundled"
    assert rows["case118"]["kind"] == "builtin"
    assert rows["case118"]["buses"] == 118
    assert rows["case2869pegase"]["buses"] == 2869
    assert rows["nine"]["load_mw"] == pytest.approx(315.0)
    table = runner.invoke(app, ["networks", "list"])
    assert table.exit_code == 0
    for name in ("nine", "case9", "GBreducednetwork", "mv_oberrhein"):
        assert f"│ {name} " in table.stdout
    # a broken bundled network: still listed, named on stderr, exit 2
    (networks_dir / "broken").mkdir()
    (networks_dir / "broken" / "network.json").write_text("{oops")
    result = runner.invoke(app, ["networks", "list"])
    assert result.exit_code == 2
    assert "│ broken " in result.stdout and "│ case9 " in result.stdout
    assert_one_line_error(result, str(networks_dir / "broken" / "network.json"))


@pytest.mark.slow
def test_real_process_is_quiet(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != ENV_PATH}
    ok = subprocess.run(
        [sys.executable, "-m", "gridmodel", "networks", "show", "case9", "--json"],
        capture_output=True, text=True, env=env, check=False, timeout=120,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert ok.stderr == ""  # no numba or pandapower chatter
    assert json.loads(ok.stdout)["buses"] == 9
    bad = subprocess.run(
        [sys.executable, "-m", "gridmodel", "networks", "show", "cse9"],
        capture_output=True, text=True, env=env, check=False, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert len(bad.stderr.strip().splitlines()) == 1
    assert bad.stderr.startswith("gridmodel: error: unknown network 'cse9'; did you mean 'case9'")
