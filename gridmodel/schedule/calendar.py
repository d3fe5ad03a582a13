"""The schedule as an iCalendar file (RFC 5545) that calendar apps subscribe to.

One ``VEVENT`` per outage: consecutive slots of a group in the same state are
merged (an outage over midnight is one event). Definite outages are
``STATUS:CONFIRMED`` and busy, possible outages ``TENTATIVE`` and free,
emergency periods ``CONFIRMED``. ``CATEGORIES`` carries the state name
(``off``, ``possible``, ``emergency``) for programs.

Times are written in UTC (``DTSTART:20221030T010000Z``): unambiguous on
daylight-saving days and valid without a ``VTIMEZONE`` block; apps show them
in the viewer's zone. ``UID`` is a hash of region, group, start and state, so
a re-published schedule updates the same events; ``DTSTAMP`` is the schedule's
issue time, so the same inputs give byte-identical files. Lines end in CRLF
and are folded at 75 octets, text values are escaped (RFC 5545 3.1, 3.3.11).
"""

from __future__ import annotations

import hashlib
import itertools

import pandas as pd

from gridmodel.schedule.states import EMERGENCY, OFF, POSSIBLE, Schedule, outage_runs

PRODID = "-//gridmodel//rolling outage schedule//EN"
#: Words used in SUMMARY for each state.
SUMMARY_WORDS: dict[str, str] = {
    OFF: "power outage",
    POSSIBLE: "possible outage",
    EMERGENCY: "emergency outages",
}
_STATUS = {OFF: "CONFIRMED", POSSIBLE: "TENTATIVE", EMERGENCY: "CONFIRMED"}
_TRANSP = {OFF: "OPAQUE", POSSIBLE: "TRANSPARENT", EMERGENCY: "OPAQUE"}


def to_ics(schedule: Schedule) -> str:
    """The schedule as iCalendar text with CRLF line endings."""
    stamp = _utc(schedule.issued)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text('Rolling outages')}",
        f"X-WR-TIMEZONE:{schedule.tz}",
    ]
    runs = outage_runs(schedule)
    for region, group, state, first, last in zip(
        runs["region"].astype(str),
        runs["group"].astype(str),
        runs["state"].astype(str),
        pd.DatetimeIndex(runs["start"]),
        pd.DatetimeIndex(runs["end"]),
        strict=True,
    ):
        start, end = _utc(first), _utc(last)
        uid = hashlib.sha256(f"{region}\x1f{group}\x1f{start}\x1f{state}".encode()).hexdigest()
        local = f"{first.isoformat()} to {last.isoformat()}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid[:32]}@gridmodel",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{start}",
            f"DTEND:{end}",
            f"SUMMARY:{escape_text(f'{region}, group {group}: {SUMMARY_WORDS[state]}')}",
            f"DESCRIPTION:{escape_text(f'{region}, group {group}, {state}, {local}')}",
            f"CATEGORIES:{state}",
            f"STATUS:{_STATUS[state]}",
            f"TRANSP:{_TRANSP[state]}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def escape_text(text: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma, newline."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str, limit: int = 75) -> str:
    """Fold a content line into pieces of at most ``limit`` octets (RFC 5545 3.1).

    Continuation lines start with one space; a UTF-8 character is never split.
    """
    if len(line.encode("utf-8")) <= limit:
        return line
    if line.isascii():  # one octet per character: cut by position
        cuts = [0, *range(limit, len(line), limit - 1), len(line)]
        return "\r\n ".join(line[i:j] for i, j in itertools.pairwise(cuts))
    pieces: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode("utf-8"))
        room = limit if not pieces else limit - 1  # continuation lines carry the space
        if size + width > room:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def _utc(instant: pd.Timestamp) -> str:
    return instant.tz_convert("UTC").strftime("%Y%m%dT%H%M%SZ")
