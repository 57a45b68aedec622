"""limit/offset paging as the contract's list endpoints use it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Query


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def page_params(default_limit: int) -> Callable[..., Page]:
    def dependency(
        limit: Annotated[int, Query(ge=1, le=100, description="1–100")] = default_limit,
        offset: Annotated[int, Query(ge=0, le=1_000_000, description="≥ 0")] = 0,
    ) -> Page:
        return Page(limit=limit, offset=offset)

    return dependency


def comma_list_pattern(*values: str) -> str:
    """A regex (JSON Schema dialect) for an optional comma list of ``values``."""
    one = "(" + "|".join(values) + ")"
    return rf"^\s*({one}\s*(,\s*{one}\s*)*)?$"
