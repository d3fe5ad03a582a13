"""Checking JSON read back from a file against a typed shape, with ranges.

A shape is a Python type as the output contract (:mod:`gridmodel.contract`)
writes it: ``str``, ``int``, ``float``, ``bool``, ``None``, unions,
``list[X]``, ``dict[str, X]``, a :class:`~typing.TypedDict` (its required keys
must be present, keys it does not name are not checked) and
``Annotated[X, Range(low, high)]`` for a number with bounds. The contract's
``TypedDict`` classes are the single statement of a file's shape: writers are
type-checked against them and readers call :func:`check_shape` with them.

Numbers are finite: :func:`loads` reads ``NaN``, ``Infinity`` and numbers
that overflow a float (``1e999``) as :class:`NonFinite` markers, so the check
can name the field that holds one, and an integer of more than
:data:`MAX_INT` in size is refused (it cannot become a float or a count).
"""

from __future__ import annotations

import functools
import json
import math
import types
from dataclasses import dataclass
from pathlib import Path
from typing import (
    Annotated,
    Any,
    Literal,
    NotRequired,
    Required,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

from gridmodel.errors import GridModelError, OptionError

#: Largest integer (in size) a file may hold: exact as a float (2**53).
MAX_INT = 2**53


@dataclass(frozen=True)
class Range:
    """Bounds of a number: ``low <= value <= high``."""

    low: float
    high: float

    def allowed(self, kind: str) -> str:
        """The range in words, e.g. ``"an integer from 0 to 1e+15"``."""
        if math.isinf(self.high):
            return f"a finite {kind.split(' ', 1)[-1]} at least {self.low:g}"
        return f"{kind} from {self.low:g} to {self.high:g}"


@dataclass(frozen=True)
class NonFinite:
    """A number that is not finite as the file spells it (``NaN``, ``Infinity``, ``1e999``)."""

    text: str


def loads(text: str) -> Any:
    """Parse JSON text; ``NaN``, ``Infinity`` and overflowing numbers become :class:`NonFinite`."""

    def number(token: str) -> float | NonFinite:
        value = float(token)
        return value if math.isfinite(value) else NonFinite(token)

    return json.loads(text, parse_constant=NonFinite, parse_float=number)


def check_shape(
    value: Any,
    shape: Any,
    *,
    file: str | Path | None,
    field: str = "",
    error: type[GridModelError] = OptionError,
) -> None:
    """Raise ``error`` naming ``file`` and the field (``impact.by_region[2].customers_off``).

    Parameters
    ----------
    value
        Parsed JSON (from :func:`loads` or :func:`json.loads`).
    shape
        The type ``value`` must have (see the module docstring).
    file, field
        Named in the error; ``field`` is the dotted path of ``value``.
    error
        The error class raised.
    """
    problem = _problem(value, shape, field)
    if problem is not None:
        where, message, allowed = problem
        raise error(message, file=file, field=where or None, allowed=allowed)


def shape_problem(value: Any, shape: Any = Any) -> str | None:
    """What is wrong with ``value`` as ``shape`` in one line (``field: problem (allowed: ...)``).

    ``None`` when nothing is. For data about to be written: a float NaN or
    infinity is a problem as much as one read back.
    """
    problem = _problem(value, shape, "")
    if problem is None:
        return None
    where, message, allowed = problem
    return f"{where + ': ' if where else ''}{message} (allowed: {allowed})"


_Problem = tuple[str, str, str]


def _problem(value: Any, shape: Any, field: str) -> _Problem | None:
    """``(field, message, allowed)`` of the first thing wrong with ``value``, or ``None``."""
    origin = get_origin(shape)
    if origin in (NotRequired, Required):
        return _problem(value, get_args(shape)[0], field)
    if origin is Annotated:
        base, *extras = get_args(shape)
        found = _problem(value, base, field)
        if found is not None:
            return found
        for extra in extras:
            if isinstance(extra, Range) and not extra.low <= value <= extra.high:
                kind = "an integer" if base is int else "a number"
                return field, f"{shown(value)} is out of range", extra.allowed(kind)
        return None
    if origin in (Union, types.UnionType):
        arms = get_args(shape)
        if value is None and type(None) in arms:
            return None
        problems = [_problem(value, arm, field) for arm in arms if arm is not type(None)]
        failures = [p for p in problems if p is not None]
        if len(failures) < len(problems):
            return None
        allowed = " or ".join(_kind(arm) for arm in arms)
        deepest = max(failures, key=lambda p: len(p[0]))
        if deepest[0] != field:
            return deepest
        return field, deepest[1] if len(failures) == 1 else _wrong(value), allowed
    if origin is Literal:
        ok = value in get_args(shape) and isinstance(value, str | int)
        return None if ok else (field, _wrong(value), _kind(shape))
    if origin is list:
        return _items(value, get_args(shape)[0], field)
    if origin is dict:
        return _values(value, get_args(shape)[1], field)
    if is_typeddict(shape):
        return _object(value, shape, field)
    return _scalar(value, shape, field)


def _items(value: Any, item: Any, field: str) -> _Problem | None:
    if not isinstance(value, list):
        return field, f"{shown(value)} is not a list", "a list"
    for i, entry in enumerate(value):
        found = _problem(entry, item, f"{field}[{i}]")
        if found is not None:
            return found
    return None


def _values(value: Any, item: Any, field: str) -> _Problem | None:
    if not isinstance(value, dict):
        return field, f"{shown(value)} is not an object", "a JSON object"
    for key, entry in value.items():
        found = _problem(entry, item, _join(field, key))
        if found is not None:
            return found
    return None


def _object(value: Any, shape: Any, field: str) -> _Problem | None:
    if not isinstance(value, dict):
        return field, f"{shown(value)} is not an object", "a JSON object"
    hints, required = _keys(shape)
    for key in required:
        if key not in value:
            return _join(field, key), "missing", _kind(hints[key])
    for key, hint in hints.items():
        if key in value:
            found = _problem(value[key], hint, _join(field, key))
            if found is not None:
                return found
    return None


@functools.cache
def _keys(shape: Any) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The type hints of a ``TypedDict`` and its required keys, sorted (computed once)."""
    hints = get_type_hints(shape, include_extras=True)
    return hints, tuple(sorted(k for k, hint in hints.items() if _required(shape, hint)))


def _required(shape: Any, hint: Any) -> bool:
    """Whether a key of a ``TypedDict`` must be present.

    Read from the hint, since ``__required_keys__`` ignores ``NotRequired``
    in a module with ``from __future__ import annotations`` (Python 3.11).
    """
    origin = get_origin(hint)
    return origin is Required or (bool(shape.__total__) and origin is not NotRequired)


def _scalar(value: Any, shape: Any, field: str) -> _Problem | None:
    if shape is Any:
        return _any(value, field)
    if isinstance(value, float) and not math.isfinite(value):  # data about to be written
        value = NonFinite(repr(value))
    if isinstance(value, NonFinite):
        return field, _wrong(value), _kind(shape)
    if shape is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and isinstance(value, int) and abs(value) > MAX_INT:
            return field, f"{shown(value)} is too large", f"a number up to {MAX_INT:.0e}"
    elif shape is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if ok and abs(value) > MAX_INT:
            return field, f"{shown(value)} is too large", f"an integer up to {MAX_INT:.0e}"
    elif shape is type(None):
        ok = value is None
    else:
        ok = isinstance(value, shape) and (shape is bool or not isinstance(value, bool))
    return None if ok else (field, _wrong(value), _kind(shape))


def _any(value: Any, field: str) -> _Problem | None:
    """Any JSON value, but with finite numbers of a size a float holds."""
    if isinstance(value, dict):
        return _values(value, Any, field)
    if isinstance(value, list):
        return _items(value, Any, field)
    if isinstance(value, float) and not math.isfinite(value):
        value = NonFinite(repr(value))
    if isinstance(value, NonFinite):
        return field, _wrong(value), "a finite number"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
        return field, f"{shown(value)} is too large", f"a number up to {MAX_INT:.0e}"
    return None


def _kind(shape: Any) -> str:
    """A shape in words, for the ``allowed`` part of an error."""
    origin = get_origin(shape)
    if origin in (NotRequired, Required):
        return _kind(get_args(shape)[0])
    if origin is Annotated:
        base, *extras = get_args(shape)
        ranges = [e for e in extras if isinstance(e, Range)]
        kind = "an integer" if base is int else "a number"
        return ranges[0].allowed(kind) if ranges else _kind(base)
    if origin in (Union, types.UnionType):
        return " or ".join(_kind(arm) for arm in get_args(shape))
    if origin is Literal:
        return ", ".join(str(v) for v in get_args(shape))
    if origin is list:
        return "a list"
    if origin is dict or is_typeddict(shape):
        return "a JSON object"
    names = {str: "text", int: "an integer", float: "a finite number", bool: "true or false"}
    return "null" if shape is type(None) else names.get(shape, "any value")


def _wrong(value: Any) -> str:
    """What is wrong with a value of the wrong type, in words."""
    if isinstance(value, NonFinite):
        return f"{value.text} is not a finite number"
    return "null is not allowed" if value is None else f"{shown(value)} has the wrong type"


def shown(value: Any) -> str:
    """A value as the error shows it: JSON-like, at most 40 characters."""
    if isinstance(value, NonFinite):
        return value.text
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    try:
        text = json.dumps(value, ensure_ascii=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _join(field: str, key: Any) -> str:
    return f"{field}.{key}" if field else str(key)
