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


def table_rows(stdout: str, title: str) -> list[list[str]]:
    """The cells of every row of the rich table titled ``title``."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == title)
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("└"):
            break
        if line.startswith("│"):
            rows.append([cell.strip() for cell in line.split("│")[1:-1]])
    return rows


def test_show_table_has_one_row_per_region(runner: CliRunner) -> None:
    result = runner.invoke(app, ["networks", "show", "case30"])
    assert result.exit_code == 0, result.output
    rows = table_rows(result.stdout, "Regions")
    # regions 1, 2, 3 (zones of case30) and the total row
    assert [r[0] for r in rows] == ["1", "2", "3", "total"]
    assert rows[-1][3] == "189.2"  # case30 total load, MW


def test_show_ua_oblasts_equipment_tables(runner: CliRunner) -> None:
    # Figures of networks/ua-oblasts/README.md (derived from its inputs in
    # tests/network/test_inventory.py): 12 substations with a 750 kV bus of 30;
    # 750 kV: 12 circuits in service, 1 out (3,100 km in all); 330 kV: 65
    # circuits, 10,429 km; 24 plants, 36,350 MW installed, 30,000 MW in
    # service, 24,092 MW available; the EU import (700 MW) apart.
    result = runner.invoke(app, ["networks", "show", "ua-oblasts"])
    assert result.exit_code == 0, result.output
    assert table_rows(result.stdout, "Substations") == [["750 kV", "12"], ["330 kV", "18"]]
    lines = table_rows(result.stdout, "Lines by voltage (km of circuit)")
    assert [row[0] for row in lines] == ["750 kV", "330 kV"]
    assert (lines[0][1], lines[0][3]) == ("12", "1")
    assert lines[1][:2] == ["330 kV", "65"] and lines[1][2].startswith("10,429.")
    generation = table_rows(result.stdout, "Generation by type")
    assert generation[-1] == ["total", "24", "22", "36,350.0", "30,000.0", "24,092.0"]
    assert ["nuclear", "4", "3", "13,835.0", "7,835.0", "7,835.0"] in generation
    assert "1 of 1 in service, max 700.0 MW" in result.stdout
    regions = table_rows(result.stdout, "Regions")
    assert len(regions) == 25 and regions[-1][3] == "18,000.0"  # peak demand, MW


def test_show_json_has_the_equipment_tables(runner: CliRunner) -> None:
    result = runner.invoke(app, ["networks", "show", "ua-oblasts", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["substations_by_voltage"] == [
        {"vn_kv": 750.0, "substations": 12},
        {"vn_kv": 330.0, "substations": 18},
    ]
    by_kv = {row["vn_kv"]: row for row in data["lines_by_voltage"]}
    assert by_kv[750.0]["length_km"] + by_kv[750.0]["length_out_km"] == pytest.approx(3100, abs=0.5)
    assert by_kv[330.0]["length_km"] == pytest.approx(10429, abs=0.5)
    assert data["generation_total"]["installed_mw"] == pytest.approx(36350.0)
    assert {row["type"] for row in data["generation_by_type"]} == {
        "nuclear",
        "thermal",
        "chp",
        "hydro",
        "pumped_storage",
    }
    assert data["external_grids"]["max_p_mw"] == pytest.approx(700.0)
    assert data["load_mw"] == pytest.approx(18000.0) and len(data["regions"]) == 24
    help_text = runner.invoke(app, ["networks", "show", "--help"]).stdout
    for key in ("substations_by_voltage", "lines_by_voltage", "generation_total"):
        assert key in help_text


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
    assert_one_line_error(result, str(loads), "priority", "allowed: 1, 2, 3, 4, 5")


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
