"""Options of generation and frequency: the ``[generation]`` table of a scenario.

Unit types are the network's generator ``type`` column (``nuclear``,
``thermal``, ``chp``, ``hydro``, ``pumped_storage``, ...); an external grid is
a ``tie``; a unit of any other type (or none) is ``other``. A table keyed by
type (``start_h``, ``ramp_h``, ``energy_h``, ``availability``) adds to or
overrides the defaults below, type by type.

Defaults and their sources (public figures in ``DOMAIN.md`` unless said):

* ``start_h``: hours from the moment a unit may start (its own grid
  energised, or at once for a black-start unit) to synchronisation. Hydro and
  pumped storage start in minutes (0.25 h); coal and CHP units need hours hot
  to about half a day cold (6 h: units that have just tripped are hot);
  nuclear units (VVER-1000) resynchronise in about a day (24 h). ``other``
  units (test cases without types) follow coal.
* ``ramp_h``: hours from synchronisation to full output, linear. Nuclear
  units ramp over a day or two (48 h; on 23 Nov 2022 they came back over
  about 2-3 days in all). A coal or CHP plant's units are synchronised one
  after another, so the plant ramps over 6 h (assumption: with ``start_h``,
  about half a day to full output, the cold-start figure). Hydro and pumped
  storage are at full output once synchronised.
* ``black_start``: types that can energise a dead island by themselves:
  hydro and pumped storage. Nuclear units cannot (they need off-site power);
  coal units need station supply from the grid.
* ``energy_h``: a day's energy of an energy-limited type, in hours at full
  output; it is spent on the day's highest-demand hours (peak shaving).
  Hydro: 6 h (about 25 % capacity factor: Ukrhydroenergo's roughly 10 TWh a
  year from about 4.7 GW of conventional hydro, public figures; winter is a
  low-water season, so this is an upper figure). Pumped storage: 5 h (the
  usual daily cycle of a pumped-storage plant is 4-8 h at full output;
  assumption; pumping at night is assumed to come from the night's surplus
  and is not modelled as load).
* ``availability``: the share of a type's rated output that fuel, repairs and
  reserves of the time leave (1 by default: the network's ratings).
* ``reserve_share``: the frequency containment reserve that answers a sudden
  loss at once, as a share of the system's load before it: 1 % (ENTSO-E
  System Operation Guideline, Art. 153: 3,000 MW reference incident for
  Continental Europe, about 1 % of its load, shared by generation).
* ``tie_reconnect_h``: hours to resynchronise ties that tripped: 1 h (ENTSO-E
  reports of the CE system separations of 4 Nov 2006 and 8 Jan 2021: areas
  resynchronised within about 40 and 60 minutes).
* Under-frequency load shedding (ENTSO-E Network Code on Emergency and
  Restoration, Regulation (EU) 2017/2196, Annex): starts at ``ufls_first_hz``
  49.0 Hz, in ``ufls_steps`` (at least 6) equal steps of
  ``ufls_share / ufls_steps`` of the load, ``ufls_share`` 45 % disconnected
  by ``ufls_last_hz`` 48.0 Hz. Operators reconnect the shed load after
  ``ufls_h`` (1 h, assumption: once frequency restoration reserves, fully
  active within 15 minutes in Continental Europe, have taken over) as far as
  generation allows.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, Strict, model_validator

from gridmodel.schema import StrictModel, allowed_field, fail

Hours = Annotated[float, Field(ge=0, le=8760, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]

#: Hours to synchronise, by unit type (see the module notes).
START_H: dict[str, float] = {
    "nuclear": 24.0,
    "thermal": 6.0,
    "chp": 6.0,
    "hydro": 0.25,
    "pumped_storage": 0.25,
    "tie": 0.0,
    "other": 6.0,
}
#: Hours from synchronisation to full output, by unit type.
RAMP_H: dict[str, float] = {"nuclear": 48.0, "thermal": 6.0, "chp": 6.0, "other": 6.0}
#: A day's energy in hours at full output, by energy-limited unit type.
ENERGY_H: dict[str, float] = {"hydro": 6.0, "pumped_storage": 5.0}
#: Unit types that can energise a dead island.
BLACK_START: tuple[str, ...] = ("hydro", "pumped_storage")


class GenerationOptions(StrictModel):
    """How units start, ramp and run out of energy, and how frequency falls.

    See the module notes for every default and its source.
    """

    enabled: bool = allowed_field(True, "true, false (false: any headroom answers at once)")
    start_h: dict[str, Hours] = allowed_field({}, "a table of unit type = hours from 0 to 8760")
    ramp_h: dict[str, Hours] = allowed_field({}, "a table of unit type = hours from 0 to 8760")
    energy_h: dict[str, Annotated[float, Field(gt=0, le=24, allow_inf_nan=False)]] = allowed_field(
        {}, "a table of unit type = hours at full output per day, > 0 and <= 24"
    )
    availability: dict[str, Share] = allowed_field(
        {}, "a table of unit type = share of rated output from 0 to 1"
    )
    black_start: Annotated[tuple[str, ...], Strict(False)] = allowed_field(
        BLACK_START, "a list of unit types"
    )
    reserve_share: float = allowed_field(
        0.01, "a share of load from 0 to 1", ge=0, le=1, allow_inf_nan=False
    )
    tie_reconnect_h: float = allowed_field(
        1.0, "hours from 0 to 8760", ge=0, le=8760, allow_inf_nan=False
    )
    ufls_first_hz: float = allowed_field(49.0, "Hz from 45 to 50", ge=45, le=50)
    ufls_last_hz: float = allowed_field(48.0, "Hz from 45 to 50", ge=45, le=50)
    ufls_steps: int = allowed_field(6, "a whole number from 1 to 20", ge=1, le=20)
    ufls_share: float = allowed_field(
        0.45, "a share of load from 0 to 1", ge=0, le=1, allow_inf_nan=False
    )
    ufls_h: float = allowed_field(1.0, "hours from 0 to 8760", ge=0, le=8760, allow_inf_nan=False)

    @model_validator(mode="after")
    def _stages_fall(self) -> GenerationOptions:
        if self.ufls_last_hz > self.ufls_first_hz:
            raise fail(
                f"{self.ufls_last_hz} Hz is above ufls_first_hz {self.ufls_first_hz} Hz",
                "a frequency at or below ufls_first_hz",
                "ufls_last_hz",
            )
        return self

    def start_of(self, kind: str) -> float:
        """Hours a unit of type ``kind`` needs to synchronise."""
        return self.start_h.get(kind, START_H.get(kind, START_H["other"]))

    def ramp_of(self, kind: str) -> float:
        """Hours a unit of type ``kind`` needs from synchronisation to full output."""
        if kind in self.ramp_h:
            return self.ramp_h[kind]
        return RAMP_H.get(kind, 0.0 if kind in START_H else RAMP_H["other"])

    def energy_of(self, kind: str) -> float | None:
        """A day's energy of type ``kind`` in hours at full output (``None``: unlimited)."""
        return self.energy_h.get(kind, ENERGY_H.get(kind))

    def available(self, kind: str) -> float:
        """The share of rated output a unit of type ``kind`` can give."""
        return self.availability.get(kind, 1.0)

    def stage_hz(self) -> tuple[float, ...]:
        """The frequency of every UFLS step, first to last."""
        n = self.ufls_steps
        if n == 1:
            return (self.ufls_first_hz,)
        step = (self.ufls_first_hz - self.ufls_last_hz) / (n - 1)
        return tuple(self.ufls_first_hz - k * step for k in range(n))
