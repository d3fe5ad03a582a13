"""``gridmodel run``'s first line: MW with thousands separators, the time named."""

from __future__ import annotations

from gridmodel.cli.run import impact_line


def test_impact_line_has_separators_and_names_its_time() -> None:
    summary = {
        "impact": {"unserved_mw": 9019.4, "load_mw": 15480.2, "customers_off": 4567890},
        "impact_at_peak": {"unserved_mw": 11539.0, "load_mw": 18000.0},
    }
    assert impact_line("16 Dec", summary, "at the strike, 07:00") == (
        "16 Dec: 9,019 MW of 15,480 MW unserved at the strike, 07:00, "
        "4,567,890 customers off (11,539 MW of 18,000 MW at peak demand)"
    )
