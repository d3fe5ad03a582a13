"""``docs/replays.md`` shows what the current model gives for the replays.

The page puts the bundled replays next to the public record; it is written by
``docs/replays.py`` from model runs. The test renders it again and compares
it with the committed page, so a change to the model that moves a figure
fails here until the page is written again (``python docs/replays.py``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_replays_page_is_current() -> None:
    spec = importlib.util.spec_from_file_location("replays_page", ROOT / "docs" / "replays.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    expected = module.render(module.SAMPLES)
    current = (ROOT / "docs" / "replays.md").read_text(encoding="utf-8")
    assert current == expected, "docs/replays.md is not current: run python docs/replays.py"
    # every row names a source and a model figure
    rows = [line for line in current.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) > 20
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 4 and all(cells), row
