"""Element ids are ASCII digits (gridmodel.network.grid.parse_element).

Python's ``int`` and ``str.isdigit`` take other scripts' digits (``"١"``,
``"４"``) and surrounding spaces; an element id takes ``0-9`` only, from the
command line, a scenario file and the Python API alike.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import gridmodel
from gridmodel.cli import app
from gridmodel.errors import OptionError
from gridmodel.network.grid import TABLE_KINDS, Element, parse_element

runner = CliRunner()
KINDS = sorted(TABLE_KINDS)
INT64_MAX = 9_223_372_036_854_775_807

#: Text close to a number: digits of every script, spaces, signs, and ASCII digits.
NEAR_DIGITS = st.text(
    alphabet=st.one_of(
        st.characters(categories=["Nd", "Nl", "No", "Zs", "Cc"]),
        st.sampled_from("0123456789+-_. \t\n"),
    ),
    max_size=24,
)


def _ascii_index(text: str) -> bool:
    """The rule, stated independently of the implementation's regular expression."""
    return (
        0 < len(text) <= 19
        and text.isascii()
        and all("0" <= c <= "9" for c in text)
        and int(text) <= INT64_MAX
    )


@given(kind=st.sampled_from(KINDS), ident=st.one_of(NEAR_DIGITS, st.text(max_size=24)))
def test_an_id_is_accepted_exactly_when_it_is_ascii_digits(kind: str, ident: str) -> None:
    text = f"{kind}:{ident}"
    if _ascii_index(ident):
        assert parse_element(text) == Element(kind, int(ident))
    else:
        with pytest.raises(ValueError, match=r"ASCII digits|not 'kind:id'"):
            parse_element(text)


@given(kind=st.sampled_from(KINDS), index=st.integers(min_value=0, max_value=INT64_MAX))
def test_every_index_in_range_is_accepted(kind: str, index: int) -> None:
    assert parse_element(f"{kind}:{index}") == Element(kind, index)
    assert str(parse_element(f"{kind}:{index}")) == f"{kind}:{index}"


@given(index=st.integers(min_value=INT64_MAX + 1, max_value=10**40))
def test_an_index_beyond_int64_is_refused(index: int) -> None:
    with pytest.raises(ValueError, match=r"ASCII digits 0-9 \(at most 9223372036854775807\)"):
        parse_element(f"bus:{index}")


@pytest.mark.parametrize("text", ["bus :4", " bus:4", "substation: KYIV", "substation:KYIV "])
def test_spaces_around_the_colon_or_the_text_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_element(text)


def test_a_substation_id_is_kept_as_written() -> None:
    assert parse_element("substation:KYIV") == Element("substation", "KYIV")
    assert parse_element("substation:bus٤") == Element("substation", "bus٤")


BAD_IDS = ["bus:١", "bus:４", "bus: 4", "line:٣", "bus:4\n"]


@pytest.mark.parametrize("strike", BAD_IDS)
def test_the_command_line_refuses_them_in_one_line(strike: str) -> None:
    result = runner.invoke(app, ["impact", "case9", "--strike", strike])
    assert result.exit_code == 2, (result.output, result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("gridmodel: error: strikes: "), lines[0]
    assert "ASCII digits 0-9" in lines[0]


@pytest.mark.parametrize("strike", BAD_IDS)
def test_a_scenario_file_refuses_them_naming_the_field(tmp_path: Path, strike: str) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        f'network = "case9"\nseed = 1\n\n[[waves]]\ntargets = [{strike!r}]\n'.replace("'", '"'),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["scenario", "validate", str(path)])
    assert result.exit_code == 2, (result.output, result.exception)
    assert f"{path}: waves[0].targets[0]: " in result.stderr
    assert "ASCII digits 0-9" in result.stderr
    assert "Traceback" not in result.output


def test_the_python_api_refuses_them() -> None:
    grid = gridmodel.load_network("case9")
    with pytest.raises(OptionError, match="ASCII digits 0-9"):
        gridmodel.impact(grid, ["bus:４"])
