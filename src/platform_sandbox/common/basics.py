"""The error every sandbox's Python and admin API raises, validation of admin input and the
small value helpers (timestamps, scope lists, URLs) every stand-in uses."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ValidationError

from slideforge.kit.clock import isoformat, parse_timestamp

MIB = 1024 * 1024
DAY = 86_400.0

M = TypeVar("M", bound=BaseModel)


class SandboxError(Exception):
    """Misuse of the admin / Python API (unknown id, wrong state, bad input)."""

    def __init__(self, message: str, *, status: int = 400, code: str = "bad_request") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


# ---------------------------------------------------------------------- validation of admin input


def validation_message(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in exc.errors()
    )


def build_model(model: type[M], fields: Mapping[str, Any]) -> M:
    """``model`` from admin / Python API fields; SandboxError when they are invalid."""
    try:
        return model.model_validate(dict(fields))
    except ValidationError as exc:
        raise SandboxError(validation_message(exc)) from exc


def with_changes(current: M, changes: Mapping[str, Any]) -> M:
    """A copy of ``current`` with ``changes`` applied and validated again; SandboxError when
    the result is invalid."""
    data = current.model_dump()
    data.update(changes)
    try:
        return type(current).model_validate(data)
    except ValidationError as exc:
        raise SandboxError(validation_message(exc)) from exc


def apply_preset(
    rule: BaseModel, preset: str | None, presets: Mapping[str, Mapping[str, Any]]
) -> None:
    """Fill the fields of a failure rule that are still None from ``presets[preset]`` (for a
    model validator: ValueError for an unknown preset)."""
    if preset is None:
        return
    if preset not in presets:
        raise ValueError(f"unknown preset {preset!r}; known: {sorted(presets)}")
    for key, value in presets[preset].items():
        if getattr(rule, key) is None:
            setattr(rule, key, value)


# ---------------------------------------------------------------------- small helpers


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return isoformat(datetime.fromtimestamp(ts, UTC))


def split_scopes(raw: str) -> list[str]:
    """``a,b c`` → [a, b, c], without repeats."""
    seen: list[str] = []
    for item in re.split(r"[,\s]+", raw.strip()):
        if item and item not in seen:
            seen.append(item)
    return seen


def with_query(url: str, values: Mapping[str, str | None], fragment: str = "") -> str:
    """``url`` with ``values`` (None ones left out) added to its query and ``fragment``."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query.extend((key, value) for key, value in values.items() if value is not None)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), fragment))


def parse_when(raw: str) -> datetime:
    try:
        return parse_timestamp(raw)
    except ValueError as exc:
        raise SandboxError(str(exc)) from exc
