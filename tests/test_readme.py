"""The README's Python example runs as written (from the repository root)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


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
