"""The package's architecture holds: one-way layers, no import cycle, small modules.

The import contracts are import-linter's (``[tool.importlinter]`` in
``pyproject.toml``): layers cli -> studies -> scenario -> restoration,
schedule, report -> engine, strikes -> network -> foundation, and no cycle
between sibling modules at any depth, whether the import is at module level
or inside a function. A future upward import or cycle fails here.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "gridmodel"

#: Limits of STYLE.md and the layout issue.
MAX_MODULE_LINES = 400
MAX_FUNCTION_BODY_LINES = 80


def test_import_contracts_hold() -> None:
    linter = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    done = subprocess.run(
        [linter, "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "2 kept, 0 broken" in done.stdout


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_is_small_and_functions_are_short(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = len(text.splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path.name}: {lines} lines"
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        body = node.body
        first = body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            body = body[1:]  # the docstring is not body
        if not body:
            continue
        # the body only: a command's option declarations are its signature
        length = (node.end_lineno or 0) - body[0].lineno + 1
        assert length <= MAX_FUNCTION_BODY_LINES, f"{path.name}: {node.name} has {length} lines"


def test_the_public_api_is_exported_and_typed() -> None:
    import gridmodel

    for name in gridmodel.__all__:
        assert getattr(gridmodel, name) is not None, name
    assert (PACKAGE / "py.typed").is_file()
