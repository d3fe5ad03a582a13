"""Branch ratings (gridmodel.engine.ratings), split out of gridmodel.engine.compiled."""

from __future__ import annotations

import pytest

from gridmodel.engine import compiled, ratings
from gridmodel.errors import OptionError


def test_names_stay_importable_from_compiled() -> None:
    # callers that imported the ratings names from gridmodel.engine.compiled keep working
    for name in ("ratings_margin", "RAISE_BASE_HEADROOM", "MIN_MARGIN_RATING_MW"):
        assert getattr(compiled, name) is getattr(ratings, name)


@pytest.mark.parametrize(
    ("mode", "margin"), [("file", None), ("raise-base", None), ("margin:0.3", 0.3)]
)
def test_ratings_margin_parses_the_three_modes(mode: str, margin: float | None) -> None:
    assert ratings.ratings_margin(mode) == margin


@pytest.mark.parametrize("mode", ["margin:0", "margin:-1", "margin:nan", "margin:x", "rated"])
def test_a_bad_ratings_mode_names_the_field_and_the_modes(mode: str) -> None:
    with pytest.raises(OptionError) as caught:
        ratings.ratings_margin(mode)
    assert caught.value.field == "ratings"
    assert "raise-base" in (caught.value.allowed or "")
