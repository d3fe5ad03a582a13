"""The report in a real browser: headless Chromium (Debian's) through Playwright.

One page load for the whole module: the report of a complete run folder whose
scenario title, a region and a group name are hostile HTML. The page is
opened from ``file://`` with every other request aborted and recorded.
Set ``GRIDMODEL_SCREENSHOT=path.png`` to keep a screenshot of the page.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from report_run import HOSTILE_GROUP, HOSTILE_REGION, HOSTILE_TITLE, write_run_folder

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: Charts of a complete run folder: map, impact, cascade, restoration, comparison,
#: schedule, spread of the samples, CCDF, metrics table.
EXPECTED_CHARTS = 9

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,  # one page load for the module, about 10 s
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} not installed (CI installs it)"),
]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright's Python package is not installed"
    )
    from gridmodel.report import render_report

    folder = tmp_path_factory.mktemp("browser") / "run"
    write_run_folder(folder, hostile=True)
    report = render_report(folder)
    url = report.resolve().as_uri()
    seen: dict[str, Any] = {"blocked": [], "console": [], "page_errors": [], "dialogs": []}

    def route(r: Any) -> None:
        if r.request.url == url:
            r.continue_()
        else:
            seen["blocked"].append(r.request.url)
            r.abort()

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("**/*", route)
        page.on(
            "console",
            lambda m: seen["console"].append(m.text) if m.type in ("error", "warning") else None,
        )
        page.on("pageerror", lambda e: seen["page_errors"].append(str(e)))

        def dialog(d: Any) -> None:
            seen["dialogs"].append(d.message)
            d.dismiss()

        page.on("dialog", dialog)
        page.goto(url, wait_until="load")
        page.wait_for_function(
            "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n",
            arg=EXPECTED_CHARTS,
            timeout=120_000,  # a readiness wait, generous for a loaded machine
        )
        seen.update(page=page, folder=folder, report=report)
        yield seen
        browser.close()


def test_nothing_is_requested_outside_the_file(loaded: dict[str, Any]) -> None:
    # No CDN, fonts, tiles or MathJax: the only request is the file itself.
    assert loaded["blocked"] == []


def test_every_chart_renders(loaded: dict[str, Any]) -> None:
    page = loaded["page"]
    charts = page.locator("div.chart").count()
    plots = page.locator(".js-plotly-plot").count()
    assert charts == plots == EXPECTED_CHARTS
    # every plot drew its SVG (a failed newPlot leaves an empty div)
    drawn = page.evaluate(
        "Array.from(document.querySelectorAll('div.chart'))"
        ".filter(d => d.querySelector('.main-svg') && d._fullLayout).length"
    )
    assert drawn == EXPECTED_CHARTS


def test_no_console_error_and_no_script_ran_from_names(loaded: dict[str, Any]) -> None:
    assert loaded["page_errors"] == []
    assert [m for m in loaded["console"] if "error" in m.lower()] == []
    # hostile names would have opened an alert() dialog if they ran
    assert loaded["dialogs"] == []


def test_hostile_names_show_as_text(loaded: dict[str, Any]) -> None:
    page = loaded["page"]
    assert page.locator("h1").inner_text() == HOSTILE_TITLE
    assert page.title().startswith(HOSTILE_TITLE)
    # the only <script> elements are the page's own: config, plotly.js, one per chart
    assert page.locator("script").count() == 2 + EXPECTED_CHARTS
    assert page.locator("img").count() == 0
    # the hostile region name is a dropdown label of the restoration chart, as text
    labels = page.evaluate(
        "document.getElementById(document.querySelector('#restoration div.chart').id)"
        ".layout.updatemenus[0].buttons.map(b => b.label)"
    )
    assert any("alert(2)" in label for label in labels)
    assert HOSTILE_REGION not in page.content().split("<body>", 1)[1].split("<script", 1)[0]
    assert HOSTILE_GROUP.startswith("<img")


def test_region_selector_changes_the_restoration_chart(loaded: dict[str, Any]) -> None:
    page = loaded["page"]
    chart = page.locator("#restoration div.chart")
    chart_id = chart.get_attribute("id")
    visible = f"document.getElementById('{chart_id}').data.map(t => t.visible !== false)"
    before = page.evaluate(visible)
    # 3 traces (demand, served, deliverable) per choice; "all regions" shown first
    assert before[:3] == [True, True, True] and not any(before[3:])
    chart.locator(".updatemenu-header-group").click()
    buttons = chart.locator(".updatemenu-dropdown-button")
    assert buttons.count() == 4  # all regions + the 3 regions of the timeline
    buttons.nth(1).click()
    page.wait_for_function(f"!({visible})[0]", timeout=60_000)
    after = page.evaluate(visible)
    assert after[:3] == [False, False, False]
    assert after[3:6] == [True, True, True] and not any(after[6:])
    title = page.evaluate(f"document.getElementById('{chart_id}').layout.title.text")
    assert title.startswith("Restoration: ") and title != "Restoration: all regions"


def test_screenshot(loaded: dict[str, Any], tmp_path: Path) -> None:
    page = loaded["page"]
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000  # a blank page is a few kB
    target = os.environ.get("GRIDMODEL_SCREENSHOT")
    if target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, target)
