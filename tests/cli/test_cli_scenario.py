"""``gridmodel scenario validate`` (gridmodel.cli.scenario)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridmodel.cli import app

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
runner = CliRunner()


def validate(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["scenario", "validate", *(str(a) for a in args)])
    return result.exit_code, result.stdout, result.stderr


def test_valid_example_prints_a_short_summary() -> None:
    code, out, err = validate(SCENARIOS / "ua-2022-11-23.toml")
    assert code == 0, err
    assert out.startswith("OK ")
    # two waves: 30 + 40 missiles on 23 Nov, 69 on 5 Dec (plus one explicit target),
    # and two waves of plant damage carried over from earlier strikes (4 plants)
    assert "2 waves and 2 carried over, 139 missiles, 5 explicit targets" in out
    assert "1 trip groups" in out
    assert err == ""


@pytest.mark.parametrize("name", ["ua-2022-12-16.toml", "case118-salvo.toml"])
def test_other_examples_are_valid(name: str) -> None:
    code, out, err = validate(SCENARIOS / name)
    assert code == 0, err
    assert "OK" in out


def test_every_problem_is_printed_and_exit_code_is_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'network = "ua-oblasts"\nseed = "x"\n[model]\nmode = "dcc"\n'
        '[[waves]]\ntime_h = -1\ntargets = ["lin:3"]\n',
        encoding="utf-8",
    )
    code, out, err = validate(path)
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    problems = [line for line in lines if line.startswith("gridmodel: error: ")]
    assert len(problems) == 4
    assert all(str(path) in line for line in problems)
    for field in ("seed", "model.mode", "waves[0].time_h", "waves[0].targets[0]"):
        assert any(f": {field}: " in line for line in problems), field
    assert "did you mean 'line'" in err
    assert lines[-1] == f"gridmodel: 4 problems in {path}"
    assert "Traceback" not in err


def test_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('network = "ua-oblasts"\nseed = \n', encoding="utf-8")
    code, _, err = validate(path)
    assert code == 2
    assert f"{path}: line 2, column 8: TOML syntax error" in err


def test_network_references_are_checked_unless_asked_not_to(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        'network = "ua-oblasts"\n[[waves]]\n[[waves.salvos]]\nmissiles = 5\nregion = "Lvov"\n',
        encoding="utf-8",
    )
    code, _, err = validate(path)
    assert code == 2
    assert "waves[0].salvos[0].region: unknown region 'Lvov'; did you mean 'Lviv'?" in err
    code, out, _ = validate(path, "--no-network")
    assert code == 0
    assert "network references not checked" in out


@pytest.mark.parametrize("kind", ["directory", "missing", "empty", "binary"])
def test_unusable_files(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "s.toml"
    if kind == "directory":
        path.mkdir()
    elif kind == "empty":
        path.write_text("")
    elif kind == "binary":
        path.write_bytes(b"\x00\x89PNG")
    code, out, err = validate(path)
    assert code == 2
    assert out == ""
    assert err.count("gridmodel: error: ") == 1
    assert str(path) in err


def test_title_control_characters_are_escaped(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text('title = "evil\\u001b[2Jtitle"\nnetwork = "ua-oblasts"\n', encoding="utf-8")
    code, out, _ = validate(path)
    assert code == 0
    assert "\x1b" not in out
    assert "\\x1b[2Jtitle" in out
