"""The options schema shared by scenario files, the Python API and the command line.

Every stage declares its options once, as a strict, frozen pydantic model
(:class:`StrictModel`) whose fields remember in words what they accept
(:func:`allowed_field`). A scenario file's sections are these very models, so
the scenario keys, the stage options and their defaults cannot drift apart.

A validation problem becomes one :class:`~gridmodel.errors.GridModelError`
naming the field and what is allowed (:func:`convert_error`): a
:class:`~gridmodel.errors.ScenarioError` for a file, an
:class:`~gridmodel.errors.OptionError` for a Python or command-line value
(:func:`build`).
"""

from __future__ import annotations

import functools
import re
import types
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from gridmodel.errors import GridModelError, OptionError, close_matches
from gridmodel.inputs import DEFAULT_TIMEZONE as DEFAULT_TIMEZONE

#: What a time zone may be, in words.
TIMEZONE_ALLOWED = "an IANA time zone name such as Europe/Kyiv, Africa/Johannesburg, UTC"
#: First and last year of a scenario start or a schedule day (pandas' times end in 2262).
FIRST_YEAR, LAST_YEAR = 1970, 2200
#: Most MW (or Mvar) a load, generator, region or deficit may hold: several
#: times the peak of the largest grid on Earth.
MAX_MW = 1e7
#: Most customers a load or region may count (sums stay far inside 64 bits).
MAX_CUSTOMERS = 1e9
#: What a date may be, in words.
DATE_ALLOWED = f"a date from {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31"

#: pydantic's error type for the checks written with :func:`fail`.
CUSTOM_ERROR = "gridmodel"

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_GENERIC_ALLOWED = {
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true, false",
    "string_type": "a string in quotes",
    "tuple_type": "a list [ ... ]",
    "list_type": "a list [ ... ]",
    "dict_type": "a table",
    "model_type": "a table",
    "finite_number": "a finite number",
}

Model = TypeVar("Model", bound=BaseModel)


class StrictModel(BaseModel):
    """Strict (a quoted number is not a number), frozen, and no unknown keys."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")


def allowed_field(default: Any, allowed: str, **constraints: Any) -> Any:
    """A pydantic Field that remembers, in words, what it accepts."""
    return Field(default, json_schema_extra={"allowed": allowed}, **constraints)


def fail(message: str, allowed: str, field: str | None = None) -> PydanticCustomError:
    """A validation error carrying what is allowed and, for model-level checks, the field."""
    ctx: dict[str, Any] = {"allowed": allowed}
    if field is not None:
        ctx["field"] = field
    return PydanticCustomError(CUSTOM_ERROR, message, ctx)


@functools.cache
def timezone_names() -> frozenset[str]:
    """The IANA time zone names of the installed tz database."""
    return frozenset(available_timezones())


def is_timezone(name: Any) -> bool:
    """Whether ``name`` is an IANA time zone name (``Europe`` alone, a folder, is not)."""
    return isinstance(name, str) and name in timezone_names()


def in_date_range(day: date) -> bool:
    """Whether ``day`` (a date or date-time) lies in :data:`FIRST_YEAR` .. :data:`LAST_YEAR`."""
    return FIRST_YEAR <= day.year <= LAST_YEAR


def is_number(value: Any) -> bool:
    """A TOML integer or float (not a boolean)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def quote_key(key: str) -> str:
    """A key as TOML writes it: bare if it can be, else in double quotes."""
    return key if _BARE_KEY.match(key) else '"' + key.replace('"', '\\"') + '"'


def format_field(loc: tuple[int | str, ...]) -> str:
    """Write a pydantic location as a field path: ``waves[0].salvos[1].interception``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{quote_key(part)}" if text else quote_key(part)
    return text


def build(
    model: type[Model],
    *,
    error: type[GridModelError] = OptionError,
    names: Mapping[str, str] | None = None,
    **values: Any,
) -> Model:
    """Validate ``values`` as ``model``; the first problem raises one clear error.

    Parameters
    ----------
    model
        The options model.
    error
        The error class raised (:class:`~gridmodel.errors.OptionError` by default).
    names
        How the caller spells a field (``{"overload_limit_percent": "--limit"}``),
        so a message names what the user wrote.
    **values
        The field values.
    """
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        first = convert_error(exc.errors()[0], root=model, file=None, error_class=error)
        field = (names or {}).get(first.field or "", first.field)
        raise error(first.message, field=field, allowed=first.allowed) from None


def convert_error(
    error: Any,
    *,
    root: type[BaseModel],
    file: str | Path | None,
    error_class: type[GridModelError] = OptionError,
) -> GridModelError:
    """Turn one pydantic error dict into a :class:`~gridmodel.errors.GridModelError`.

    ``root`` is the model that was validated (to find the field's ``allowed``
    text); the error is an ``error_class``.
    """
    cls = error_class
    loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    owner, allowed = _locate(root, loc)
    field = format_field(loc) or None
    if kind == CUSTOM_ERROR and "field" in ctx:
        # a model-level check names its field as a path relative to the model
        field = f"{field}.{ctx['field']}" if field else str(ctx["field"])
    if kind == "extra_forbidden":
        key = str(loc[-1])
        names = list(owner.model_fields) if owner is not None else []
        near = close_matches(key, names)
        message = f"unknown key {key!r}"
        if near:
            message += f"; did you mean {', '.join(repr(n) for n in near)}?"
        return cls(message, file=file, field=field, allowed=", ".join(names))
    if kind == "missing":
        return cls("required key is missing", file=file, field=field, allowed=allowed)
    if kind == CUSTOM_ERROR:
        return cls(error["msg"], file=file, field=field, allowed=ctx.get("allowed"))
    message = str(error["msg"])
    message = re.sub(r"^Input should be", "must be", message)
    message = re.sub(r"^Value error, ", "", message)
    if kind in ("model_type", "dict_type"):
        message = "must be a table"
    elif kind in ("tuple_type", "list_type") and isinstance(error.get("input"), dict):
        message = f"must be a list; write [[{field}]] (double brackets) for each entry"
    elif kind in ("tuple_type", "list_type"):
        message = f"must be a list [ ... ], got {_shown(error.get('input'))}"
    elif not isinstance(error.get("input"), dict | list):
        message += f", got {_shown(error.get('input'))}"
    return cls(message, file=file, field=field, allowed=allowed or _GENERIC_ALLOWED.get(kind))


def _core(annotation: Any) -> Any:
    """Strip ``Annotated`` and ``None`` from an annotation."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
        annotation = models[0] if models else args[0]
        return _core(annotation)
    return annotation


def _locate(
    root: type[BaseModel], loc: tuple[int | str, ...]
) -> tuple[type[BaseModel] | None, str | None]:
    """Walk ``loc`` through the schema from ``root``.

    Returns the model holding the last key and the key's ``allowed`` text.
    """
    current: Any = root
    owner: type[BaseModel] | None = root
    allowed: str | None = None
    for part in loc:
        current = _core(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            owner, allowed = current, None
            info = current.model_fields.get(str(part))
            if info is None:
                return owner, None
            extra = info.json_schema_extra
            allowed = extra.get("allowed") if isinstance(extra, dict) else None  # type: ignore[assignment]
            current = info.annotation
        elif get_origin(current) in (tuple, list):
            current = get_args(current)[0]
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            return owner, allowed
    return owner, allowed


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
