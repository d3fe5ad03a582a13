"""Hostile names in every human-facing output: CSV, iCalendar and the HTML report.

A network whose region is ``=HYPERLINK(...)`` and whose substations are named
like spreadsheet formulas, and a scenario titled ``<script>alert(1)</script>``,
go through ``gridmodel run``, ``criticality`` and ``schedule``. No text cell of
any CSV file may start a formula (OWASP "CSV injection": ``= + - @``, tab, CR),
numbers stay numbers, the calendar reads back the names unchanged (RFC 5545
escaping, checked with the ``icalendar`` parser), and the report shows the
title as text.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import icalendar
import pytest
from typer.testing import CliRunner

from gridmodel.cli import app

runner = CliRunner()

EVIL_REGION = '=HYPERLINK("http://evil.example","a;b,c\\d")'
SUBSTATIONS = """\
substation,name,region,lat,lon,buses
A,"=cmd|' /C calc'!A0",North,50.0,30.0,0 3 4 8
B,"@SUM(1+1)","=HYPERLINK(""http://evil.example"",""a;b,c\\d"")",50.5,30.5,1 5 6 7
C,"+plain",-South,49.5,29.5,2
"""
TITLE = "<script>alert(1)</script>"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _ok(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0, (result.output, result.exception)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The evil network (case9 with hostile names), and the folders the commands write."""
    root = tmp_path_factory.mktemp("escaping")
    (root / "subs.csv").write_text(SUBSTATIONS, encoding="utf-8")
    _ok(
        [
            *("networks", "import", "case9", "--name", "evil9", "--dest", str(root / "nets")),
            *("--substations", str(root / "subs.csv")),
        ]
    )
    scenario = root / "evil.toml"
    scenario.write_text(
        f'title = "{TITLE}"\nnetwork = "nets/evil9"\nseed = 1\n\n'
        '[[waves]]\ntargets = ["substation:B"]\n\n'
        "[repair]\ncrews = 1\nhorizon_h = 24\n\n[schedule]\ngroups = 2\ndays = 1\n",
        encoding="utf-8",
    )
    network = str(root / "nets" / "evil9")
    _ok(["run", str(scenario), "-o", str(root / "run")])
    _ok(["criticality", network, "-o", str(root / "crit"), "--no-progress"])
    _ok(["schedule", "-o", str(root / "sched"), "--stage", "1", "--network", network])
    return {"run": root / "run", "crit": root / "crit", "sched": root / "sched"}


def _rows(file: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(file.read_text(encoding="utf-8"))))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_no_csv_cell_starts_a_formula_and_numbers_stay_numbers(
    folders: dict[str, Path],
) -> None:
    files = sorted(f for folder in folders.values() for f in folder.glob("*.csv"))
    names = {f.name for f in files}
    assert {"timeline.csv", "tasks.csv", "schedule.csv", "groups.csv", "criticality.csv"} <= names
    for file in files:
        for row in _rows(file):
            for column, cell in row.items():
                if cell.startswith(FORMULA_START):
                    assert _is_number(cell), (file.name, column, cell)


@pytest.mark.parametrize(
    ("folder", "file", "column"),
    [
        ("run", "timeline.csv", "region"),
        ("run", "tasks.csv", "region"),
        ("run", "schedule.csv", "region"),
        ("run", "groups.csv", "region"),
        ("sched", "schedule.csv", "region"),
        ("sched", "groups.csv", "region"),
        ("crit", "criticality.csv", "regions"),
    ],
)
def test_hostile_region_is_quoted_with_an_apostrophe(
    folders: dict[str, Path], folder: str, file: str, column: str
) -> None:
    cells = {row[column] for row in _rows(folders[folder] / file)}
    assert any(c.startswith("'" + EVIL_REGION) for c in cells), cells


def test_criticality_names_are_quoted_and_numbers_are_not(folders: dict[str, Path]) -> None:
    rows = {row["substations"]: row for row in _rows(folders["crit"] / "criticality.csv")}
    assert rows["A"]["names"] == "'=cmd|' /C calc'!A0"
    assert rows["B"]["names"] == "'@SUM(1+1)"
    assert rows["C"]["names"] == "'+plain"
    assert rows["C"]["regions"] == "'-South"
    # numbers are plain numbers: losing B (pandapower buses 1, 5, 6, 7) darkens the one
    # case9 load among them, 100 MW at bus 6 (MATPOWER bus 7); generators at buses 0 and 2
    # (250 + 270 MW) still cover the other 215 MW. Exact up to the printed digits.
    assert float(rows["B"]["unserved_mw"]) == pytest.approx(100.0, abs=1e-6)


def test_calendar_reads_back_the_names_unchanged(folders: dict[str, Path]) -> None:
    calendar = icalendar.Calendar.from_ical((folders["run"] / "schedule.ics").read_bytes())
    summaries = {str(e["SUMMARY"]) for e in calendar.walk("VEVENT")}
    assert any(s.startswith(EVIL_REGION + ", group ") for s in summaries), summaries
    raw = (folders["run"] / "schedule.ics").read_text(encoding="utf-8").replace("\r\n ", "")
    # RFC 5545 3.3.11: , ; and \ escaped with a backslash
    assert '=HYPERLINK("http://evil.example"\\,"a\\;b\\,c\\\\d")' in raw


def test_report_shows_the_title_as_text(folders: dict[str, Path]) -> None:
    html = (folders["run"] / "report.html").read_text(encoding="utf-8")
    assert TITLE not in html and "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # the names appear as they are, without the apostrophe that guards the CSV cells
    assert "'=HYPERLINK" not in html and "&#x27;=HYPERLINK" not in html
