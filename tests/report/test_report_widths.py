"""The run, compare, Monte Carlo and criticality pages on a phone (390 px) and a
desktop (1400 px), in real Chromium.

At each width: no sideways scrolling, no text outside the screen or cut off,
and no chart title, axis title, legend, menu or tool bar on top of another
(bounding boxes, see :mod:`page_layout`). One page load per page and width; the
study folders hold only the files their command writes (hand-made tables).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from page_layout import layout_problems
from report_run import (
    comparison,
    comparison_samples,
    comparison_timeline,
    samples,
    write_run_folder,
)

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: Pages and their chart count: the complete run folder (see
#: test_report_browser.py), a compare folder (strategies), a Monte Carlo folder
#: (spread, CCDF) and a criticality folder (a table and the map of its top rows).
PAGES = {"run": 9, "compare": 1, "montecarlo": 2, "criticality": 1}
#: The compare folder's scenario title: the compare page's title.
COMPARE_TITLE = "Repair orders after a winter strike on the case9 grid"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed (CI installs it)"),
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, Path]]]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright's Python package is not installed"
    )
    from gridmodel.contract import SCHEMA_VERSION
    from gridmodel.network.catalog import load_network
    from gridmodel.report import render_report
    from gridmodel.studies.criticality import criticality

    root = tmp_path_factory.mktemp("widths")
    write_run_folder(root / "run")
    (root / "compare").mkdir()
    comparison().to_csv(root / "compare" / "comparison.csv", index=False)
    about = {"schema_version": SCHEMA_VERSION, "kind": "compare", "scenario": COMPARE_TITLE}
    (root / "compare" / "summary.json").write_text(json.dumps(about | {"network": "case9"}))
    comparison_timeline().to_parquet(root / "compare" / "comparison_timeline.parquet")
    comparison_samples().to_csv(root / "compare" / "samples.csv", index=False)
    (root / "montecarlo" / "samples").mkdir(parents=True)
    samples().to_parquet(root / "montecarlo" / "samples" / "chunk-00000.parquet")
    mc = {"schema_version": SCHEMA_VERSION, "scenario": "mc", "samples": 200}
    (root / "montecarlo" / "summary.json").write_text(json.dumps(mc))
    # what gridmodel criticality case30 --out writes, with two names a phone must show
    criticality(load_network("case30"), k=1, out=root / "criticality")
    table = pd.read_csv(root / "criticality" / "criticality.csv", dtype={"names": str})
    table.loc[:1, "names"] = ["a very long substation name that has to wrap on a phone", "2763"]
    table.to_csv(root / "criticality" / "criticality.csv", index=False)
    reports = {name: render_report(root / name) for name in PAGES}
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium, reports
        chromium.close()


@pytest.mark.parametrize("width", [390, 1400])
@pytest.mark.parametrize("name", PAGES)
def test_page_fits_the_screen(browser: tuple[Any, dict[str, Path]], name: str, width: int) -> None:
    chromium, reports = browser
    page = chromium.new_page(viewport={"width": width, "height": 900})
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    page.goto(reports[name].resolve().as_uri(), wait_until="load")
    page.wait_for_function(
        "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n",
        arg=PAGES[name],
        timeout=120_000,
    )
    assert layout_problems(page) == []
    if name == "compare":  # titled with the scenario, on screen at both widths
        title = page.locator("h1")
        assert title.inner_text() == COMPARE_TITLE
        box = title.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    # the assumptions' values (where the folder has any) are on screen, not pushed off it
    for value in page.locator("dl.options dd").all():
        box = value.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    page.close()
