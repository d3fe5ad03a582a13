"""The README's examples run as written: the Python example (from the repository
root), and the main command of "A first run" prints the lines the README quotes."""

from __future__ import annotations

import difflib
import os
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridmodel.cli import app

ROOT = Path(__file__).resolve().parents[1]
#: A number as the command line prints it: 5,032 or 0.25.
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _python_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the Python section has one example"
    return blocks[0]


@pytest.mark.slow
def test_readme_python_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    here = Path.cwd()
    os.chdir(ROOT)
    try:
        exec(compile(_python_example(), "README.md", "exec"), {})
    finally:
        os.chdir(here)
    out = capsys.readouterr().out
    # case30 has 41 lines (pandapower's case30: indices 0..40); the message names
    # the network, the field and what is allowed, as the command line prints it
    assert (
        "line: no line with index 999 in network 'case30' (allowed: 41 line indices in 0..40)"
        in out
    )


def _first_run() -> tuple[list[str], list[str]]:
    """The arguments of the command the README quotes under "A first run" and the
    lines it shows the command print."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## A first run", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```console\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "'A first run' quotes one command and its output"
    command, *printed = blocks[0].strip().splitlines()
    assert command.startswith("$ gridmodel run "), command
    return shlex.split(command[2:])[1:], printed


@pytest.mark.slow  # the main run, about a minute
def test_readme_first_run_quotes_what_the_command_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    args, quoted = _first_run()
    # the command as the README gives it, from a folder with the scenarios
    (tmp_path / "scenarios").symlink_to(ROOT / "scenarios", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    printed = result.stdout.strip().splitlines()
    diff = "\n".join(
        difflib.unified_diff(quoted, printed, "README.md", "gridmodel run", lineterm="")
    )
    message = f"the README quotes other lines than the command prints; update it:\n{diff}"
    # every headline number, line by line, then the words around them
    assert [NUMBER.findall(line) for line in printed] == [
        NUMBER.findall(line) for line in quoted
    ], message
    assert printed == quoted, message
