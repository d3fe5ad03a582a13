"""Group counts are ASCII digits (gridmodel.schedule.groups.group_labels, ScheduleOptions.groups).

``--groups ６`` (a fullwidth six) or ``٦`` (Arabic-Indic) would be six groups
through Python's ``int``; gridmodel takes ``N`` or ``NxM`` in ``0-9`` only.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from gridmodel.cli import app
from gridmodel.errors import GridModelError, OptionError
from gridmodel.schedule import group_labels
from gridmodel.schedule.options import ScheduleOptions
from gridmodel.schema import build

runner = CliRunner()

NEAR_SPECS = st.text(
    alphabet=st.one_of(
        st.characters(categories=["Nd", "Nl", "No", "Zs"]),
        st.sampled_from("0123456789xX "),
    ),
    max_size=12,
)


def _count(spec: str) -> int | None:
    """Groups the spec names by the documented rule, or None (stated without a regex)."""
    text = spec.strip(" ")
    if not text.isascii():
        return None
    head, sep, tail = text.lower().partition("x")
    head, tail = head.strip(" "), tail.strip(" ")
    digits = set("0123456789")
    if not head or not set(head) <= digits or len(head) > 4:
        return None
    if sep and (not tail or not set(tail) <= digits or len(tail) > 4):
        return None
    n, m = int(head), int(tail) if sep else 1
    if not 1 <= n <= 99 or (sep and not 1 <= m <= 9):
        return None
    return n * m


@given(spec=st.one_of(NEAR_SPECS, st.text(max_size=12)))
@example(spec="1\x85")  # NEL: str.strip() took it for whitespace (found by this test)
@example(spec="6\tx2")  # a tab around the x, which the regex's \s allowed
def test_a_spec_is_accepted_exactly_when_written_in_ascii_digits(spec: str) -> None:
    expected = _count(spec)
    if expected is None:
        with pytest.raises(OptionError, match="bad group count"):
            group_labels(spec)
    else:
        assert len(group_labels(spec)) == expected


@given(n=st.integers(1, 99), m=st.integers(1, 9))
def test_every_count_in_range_is_accepted(n: int, m: int) -> None:
    assert len(group_labels(str(n))) == n
    labels = group_labels(f"{n}x{m}")
    assert len(labels) == n * m and labels[-1] == f"{n}.{m}"
    assert ScheduleOptions(groups=f"{n}x{m}").groups == f"{n}x{m}"


@pytest.mark.parametrize("spec", ["６", "٦", "６x２", "6x٢", "9" * 5000, "9" * 5000 + "x2"])
def test_other_digits_and_long_numbers_are_one_error(spec: str) -> None:
    with pytest.raises(GridModelError) as info:
        build(ScheduleOptions, groups=spec) if "x" in spec else group_labels(spec)
    assert "6x2" in info.value.line()
    assert len(info.value.line()) < 300


def test_a_huge_int_is_an_error_not_a_conversion_failure() -> None:
    with pytest.raises(OptionError, match="bad group count above 99"):
        group_labels(10**5000)


@pytest.mark.parametrize("spec", ["６", "٦x2", "6 x ２"])
def test_gridmodel_schedule_refuses_them_in_one_line(tmp_path: Path, spec: str) -> None:
    out = tmp_path / "out"
    args = ["schedule", "--network", "case9", "--queues", "2", "--groups", spec, "--days", "1"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 2, (result.output, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert re.match(r"gridmodel: error: (--)?groups: ", lines[0]), lines[0]
    assert not out.exists()
