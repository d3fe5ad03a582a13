"""``gridmodel run`` prints one line on what the frequency rule found at the first strike."""

from __future__ import annotations

import math

from gridmodel.cli.run import frequency_line
from gridmodel.restoration.frequency import FrequencyEvent


def event(**fields: object) -> FrequencyEvent:
    base = dict(
        wave=0, time_h=0.0, load_mw=100.0, deficit_mw=24.0, separated=True, stages=4,
        shed_mw=30.0, blackout=False, energised_h=0.0, lowest_hz=48.4,
    )  # fmt: skip
    return FrequencyEvent(**{**base, **fields})  # type: ignore[arg-type]


def test_ufls_blackout_and_nothing() -> None:
    # the hand case of tests/restoration/test_generation.py: 24 MW short, 4 steps
    assert frequency_line((event(),)) == (
        "frequency: 24 MW short of 100 MW at the strike; ties tripped, "
        "UFLS shed 30 MW in 4 steps down to 48.4 Hz"
    )
    # the largest island of the first wave is shown, a later wave is not
    small = event(load_mw=10.0, deficit_mw=1.0, separated=False, stages=1, shed_mw=0.75)
    later = event(wave=1, load_mw=1000.0)
    assert frequency_line((small, event(), later)).startswith("frequency: 24 MW short of 100 MW")
    dark = event(deficit_mw=60.0, stages=8, blackout=True, energised_h=0.25, shed_mw=0.0)
    assert frequency_line((dark,)).endswith("blackout, energised again after 0.25 h")
    never = event(separated=False, blackout=True, stages=8, energised_h=math.inf)
    assert frequency_line((never,)).endswith("no black-start unit or tie to energise it")
    assert "covered every loss" in frequency_line(())
