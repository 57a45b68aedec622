"""Request bodies accept exactly what their JSON Schema documents: JSON numbers for number
fields (an integral 3.0 is an integer, as JSON Schema says; ``true`` and ``"3"`` are not)
and JSON booleans for boolean fields. Pydantic's lax mode would coerce those silently."""

from __future__ import annotations

import re
import types
import typing
from functools import cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, Field, model_validator

HHMM_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
#: Some character that str.strip() keeps and that is not NUL (requests lose NULs): text that
#: is not blank after trimming. As a JSON Schema ``pattern`` it is searched, not anchored.
NOT_BLANK = (
    r"[^\x00\t\n\x0b\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)


def trimmed(value: object) -> object:
    """Surrounding whitespace removed from text (a ``mode="before"`` field validator)."""
    return value.strip() if isinstance(value, str) else value


TIMEZONES = sorted(available_timezones())
#: Control characters and every character that is whitespace to ECMAScript, Python or Rust
#: regexes (their \s differ: U+0085), spelled out so /openapi.json and the server agree.
_NOT_URL = r"\x00-\x20\x7f-\x9f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
HTTP_URL = rf"^[hH][tT][tT][pP][sS]?://[^{_NOT_URL}/?#]+[^{_NOT_URL}]*$"
_URL_RE = re.compile(HTTP_URL)


def _url(value: str) -> str:
    if not _URL_RE.fullmatch(value):
        raise ValueError("must be an http(s) URL without spaces")
    return value


#: An http(s) URL: the JSON schema carries the pattern; the validator checks it with a
#: readable message.
Url = Annotated[
    str,
    Field(min_length=1, max_length=2048, json_schema_extra={"pattern": HTTP_URL}),
    AfterValidator(_url),
]


def _scalars(annotation: Any) -> set[type]:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _scalars(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        found: set[type] = set()
        for arg in typing.get_args(annotation):
            found |= _scalars(arg)
        return found
    return {annotation} if annotation in (bool, int, float) else set()


@cache
def _checked_fields(model: type[BaseModel]) -> tuple[tuple[str, tuple[str, ...], str], ...]:
    out = []
    for name, field in model.model_fields.items():
        kinds = _scalars(field.annotation)
        if not kinds:
            continue
        kind = "boolean" if kinds == {bool} else "number"
        keys = [name]
        if isinstance(field.validation_alias, AliasChoices):
            keys += [c for c in field.validation_alias.choices if isinstance(c, str)]
        elif isinstance(field.validation_alias, str):
            keys.append(field.validation_alias)
        out.append((name, tuple(keys), kind))
    return tuple(out)


class RequestBody(BaseModel):
    """Base of every JSON request body: unknown fields are ignored (clients send extras),
    scalar JSON types are enforced."""

    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _json_types(cls, data: Any) -> Any:
        """Swap wrongly-typed scalars for a value no field accepts, so pydantic reports them
        at their field, together with every other error of the body."""
        if not isinstance(data, dict):
            return data
        for _name, keys, kind in _checked_fields(cls):
            for key in keys:
                value = data.get(key)
                if value is None:
                    continue
                wrong = (
                    not isinstance(value, bool)
                    if kind == "boolean"
                    else isinstance(value, bool | str)
                )
                if wrong:
                    data = {**data, key: _WrongType(value)}
        return data


class _WrongType:
    """Stands for a JSON value of the wrong type; pydantic cannot coerce it to anything."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return repr(self.value)
