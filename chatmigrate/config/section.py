"""How a config key is declared: the one ``key`` helper every model uses, and the base of every table."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError


def key(default: Any = ..., doc: str = "", *, cli: str | None = None, policy: bool = False, factory: Any = None) -> Any:
    """A config key. ``cli`` names the option that sets it; ``policy`` marks what the audit may assume about a
    config file's targets (fixed for the embedded server)."""
    extra: dict[str, Any] = {"cli": cli} if cli else {}
    if policy:
        extra["policy"] = True
    if factory is not None:
        return Field(default_factory=factory, description=doc, json_schema_extra=extra)
    return Field(default, description=doc, json_schema_extra=extra)


def internal(default: Any = None, doc: str = "") -> Any:
    """A field the program fills in, never a key a user writes."""
    return Field(default, description=doc, exclude=True, repr=False, json_schema_extra={"internal": True})


def invalid(message: str, field: str) -> PydanticCustomError:
    """An error about one field of the table being validated, so it is reported at that key."""
    return PydanticCustomError("config", message, {"field": field})


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)
