"""Take ``docs/report.png``, the README's picture of a report, from the main run.

Usage::

    python docs/screenshot.py                  # run the README's main command, then shoot
    python docs/screenshot.py --from reports/dec16   # shoot an existing run folder's report

The main run is the README's "A first run" command, ``gridmodel run
scenarios/ua-2022-12-16.toml --out reports/dec16`` (run into a temporary
folder unless ``--from`` names one). The picture is the top of
``report.html`` in headless Chromium (Debian's ``/usr/bin/chromium`` through
Playwright's Python package) at 1400 x 1100 px, after the charts are drawn.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PICTURE = ROOT / "docs" / "report.png"
SCENARIO = ROOT / "scenarios" / "ua-2022-12-16.toml"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WIDTH, HEIGHT = 1400, 1100


def main_run(out: Path) -> Path:
    """Run the README's main command into ``out``; return the report's path."""
    from typer.testing import CliRunner

    from gridmodel.cli import app

    result = CliRunner().invoke(app, ["run", str(SCENARIO), "--out", str(out)])
    if result.exit_code != 0:
        raise SystemExit(f"gridmodel run failed:\n{result.output}")
    print(result.output, end="")
    return out / "report.html"


def shoot(report: Path, picture: Path = PICTURE) -> Path:
    """Write the top ``WIDTH`` x ``HEIGHT`` px of ``report`` as it renders to ``picture``."""
    from playwright.sync_api import sync_playwright

    url = report.resolve().as_uri()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
        # the page is self-contained: nothing but the file itself is loaded
        page.route("**/*", lambda r: r.continue_() if r.request.url == url else r.abort())
        page.goto(url, wait_until="load")
        page.wait_for_function(
            "document.querySelectorAll('.js-plotly-plot').length > 0 && "
            "[...document.querySelectorAll('.js-plotly-plot')]"
            ".every(p => p.querySelector('.main-svg'))",
            timeout=60_000,
        )
        page.wait_for_timeout(500)  # the last layout pass of the charts
        page.screenshot(path=str(picture), full_page=False)
        browser.close()
    return picture


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="folder", type=Path, help="an existing run folder")
    parser.add_argument("--out", type=Path, default=PICTURE, help="the picture (PNG)")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"{CHROMIUM} not found: apt-get install chromium", file=sys.stderr)
        return 1
    if args.folder is not None:
        print(shoot(args.folder / "report.html", args.out))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        print(shoot(main_run(Path(tmp) / "dec16"), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
