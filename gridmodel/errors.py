"""Error hierarchy.

Every error a user can cause is a :class:`GridModelError`. It carries the file,
the field and what is allowed, so the command line can print one clear line and
exit with code 2 instead of a traceback. A result that breaks an invariant of
the model (served load above demand, say) is an :class:`InternalError`: a bug
to report, never hidden by clamping the numbers.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class GridModelError(Exception):
    """A problem with the user's input, reported as one line.

    Parameters
    ----------
    message
        What is wrong, in words.
    file
        The file the problem is in, if any.
    field
        The field (dotted path) the problem is in, if any.
    allowed
        What would have been accepted, in words (for example ``"dc, ac"``).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        field: str | None = None,
        allowed: str | None = None,
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.field = field
        self.allowed = allowed
        super().__init__(self.line())

    def line(self) -> str:
        """The one-line form printed by the command line."""
        where = ": ".join(part for part in (self.file, self.field) if part)
        text = f"{where}: {self.message}" if where else self.message
        if self.allowed:
            text += f" (allowed: {self.allowed})"
        return text


class NetworkError(GridModelError):
    """A network name, file or its metadata is unusable."""


class ScenarioError(GridModelError):
    """A scenario file is unusable."""


class OptionError(GridModelError):
    """A command-line option or modelling option has a bad value."""


class OutputError(GridModelError):
    """The output folder cannot be written."""


def close_matches(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Return up to ``n`` entries of ``choices`` that look like ``word``."""
    options = [str(c) for c in choices]
    lower = {c.lower(): c for c in options}
    found = difflib.get_close_matches(word.lower(), list(lower), n=n, cutoff=0.6)
    return [lower[f] for f in found]


def unknown_name(
    kind: str,
    name: str,
    choices: Iterable[str],
    *,
    error: type[GridModelError] = GridModelError,
    file: str | Path | None = None,
    field: str | None = None,
    list_all: bool = True,
) -> GridModelError:
    """Build the error for an unknown name, with "did you mean" and the valid names.

    With ``list_all=False`` only the close matches are named (for long lists
    such as element indices).
    """
    options = sorted({str(c) for c in choices})
    near = close_matches(name, options)
    message = f"unknown {kind} {name!r}"
    if near:
        message += f"; did you mean {', '.join(repr(m) for m in near)}?"
    allowed = ", ".join(options) if list_all and len(options) <= 60 else None
    if allowed is None and options and not near:
        allowed = f"{len(options)} names, e.g. {', '.join(options[:8])}"
    return error(message, file=file, field=field, allowed=allowed)


def interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is, or was raised because of, a Ctrl-C.

    Compiled (numba) code that is interrupted while loading re-raises the
    ``KeyboardInterrupt`` as the cause of another error.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, KeyboardInterrupt):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


class InternalError(Exception):
    """A result that breaks an invariant of the model: a bug, not the user's input.

    The command line prints ``internal error: ..., please report`` and exits
    with code 1 (the traceback only with ``--debug``).
    """
