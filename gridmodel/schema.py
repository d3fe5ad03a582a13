"""Building blocks of the scenario schema: the strict, frozen base model and
fields that remember, in words, what they accept."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError


def allowed_field(default: Any, allowed: str, **constraints: Any) -> Any:
    """A pydantic Field that remembers, in words, what it accepts."""
    return Field(default, json_schema_extra={"allowed": allowed}, **constraints)


def fail(message: str, allowed: str, field: str | None = None) -> PydanticCustomError:
    """A validation error carrying what is allowed and, for model-level checks, the field."""
    ctx: dict[str, Any] = {"allowed": allowed}
    if field is not None:
        ctx["field"] = field
    return PydanticCustomError("scenario", message, ctx)


def is_number(value: Any) -> bool:
    """A TOML integer or float (not a boolean)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


class Section(BaseModel):
    """Strict, frozen, and no unknown keys."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")
