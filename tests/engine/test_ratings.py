"""Branch ratings modes (gridmodel.engine.ratings) and how the options parse them.

Expected ratings are worked out by hand from the base-case DC flows of a
radial net (tolerance 1e-6 MW).
"""

from __future__ import annotations

import math
from typing import Any

import pandapower as pp
import pydantic
import pytest

from gridmodel.engine import EngineOptions, compile_grid
from gridmodel.engine.ratings import MIN_MARGIN_RATING_MW, RAISE_BASE_HEADROOM
from gridmodel.errors import OptionError
from gridmodel.network.metadata import build_grid
from gridmodel.schema import build

TOL_MW = 1e-6
VN_KV = 110.0


def radial_net() -> Any:
    """ext_grid (bus 0) -- line 0 rated 30 MW -- bus 1 with a 50 MW load
    -- line 1 rated 100 MW -- bus 2 with no load (line 1 carries nothing)."""
    net = pp.create_empty_network()
    b = [pp.create_bus(net, vn_kv=VN_KV) for _ in range(3)]
    pp.create_ext_grid(net, b[0])
    for f, t, rating in ((0, 1, 30.0), (1, 2, 100.0)):
        pp.create_line_from_parameters(
            net, b[f], b[t], length_km=10, r_ohm_per_km=0.05, x_ohm_per_km=0.4, c_nf_per_km=0,
            max_i_ka=rating / (math.sqrt(3) * VN_KV),
        )  # fmt: skip
    pp.create_load(net, b[1], p_mw=50.0)
    return net


def ratings_of(**options: Any) -> Any:
    grid = build_grid(radial_net(), name="radial", source="test")
    return compile_grid(grid, options=build(EngineOptions, **options)).branch_rating_mw


def test_file_ratings_are_the_line_current_limits() -> None:
    # sqrt(3) * 110 kV * max_i_ka gives back the 30 and 100 MW the lines were made with
    assert ratings_of(ratings="file") == pytest.approx([30.0, 100.0], abs=TOL_MW)


@pytest.mark.parametrize("limit", [100.0, 80.0])
def test_raise_base_lifts_only_the_branch_over_its_rating(limit: float) -> None:
    # Line 0 carries the 50 MW load, above its 30 MW rating (times the limit):
    # its rating becomes 50 * (1 + 0.2) / (limit / 100), i.e. 60 MW at 100 % and
    # 75 MW at 80 %. Line 1 carries 0 MW, under its 100 MW rating: unchanged.
    assert RAISE_BASE_HEADROOM == 0.2
    expected = [50.0 * 1.2 / (limit / 100.0), 100.0]
    ratings = ratings_of(ratings="raise-base", overload_limit_percent=limit)
    assert ratings == pytest.approx(expected, abs=TOL_MW)


def test_margin_rates_every_branch_at_its_base_flow_with_a_floor() -> None:
    # margin:0.3: line 0 is rated 1.3 * 50 = 65 MW whatever the file says; line 1
    # carries no base flow and gets the 1 MW floor instead of 0 MW.
    assert MIN_MARGIN_RATING_MW == 1.0
    assert ratings_of(ratings="margin:0.3") == pytest.approx([65.0, 1.0], abs=TOL_MW)


@pytest.mark.parametrize(
    ("mode", "margin"),
    [("file", None), ("raise-base", None), ("margin:0.3", 0.3), ("margin: 2.5", 2.5)],
)
def test_ratings_margin_parses_the_three_modes(mode: str, margin: float | None) -> None:
    assert build(EngineOptions, ratings=mode).ratings_margin == margin


@pytest.mark.parametrize("mode", ["margin:0", "margin:-1", "margin:nan", "margin:x", "rated"])
def test_a_bad_ratings_mode_names_the_field_and_the_modes(mode: str) -> None:
    with pytest.raises(OptionError) as caught:
        build(EngineOptions, ratings=mode)
    assert caught.value.field == "ratings"
    assert "raise-base" in (caught.value.allowed or "")
    # constructed directly, the model refuses it too (pydantic's error)
    with pytest.raises(pydantic.ValidationError):
        EngineOptions(ratings=mode)
