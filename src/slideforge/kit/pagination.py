"""limit/offset paging as the contract's list endpoints use it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import Depends, Query
from sqlalchemy.orm import Session

T = TypeVar("T")


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


# A list endpoint's ``?limit=&offset=``, 20 rows by default.
PageDep = Annotated[Page, Depends(page_params(20))]


def fetch_page(
    session: Session, query: sa.Select[T], *order_by: Any, limit: int, offset: int
) -> tuple[int, list[T]]:
    """How many rows ``query`` matches in all, and the rows of one page of it in ``order_by``
    order (``limit`` rows from ``offset``)."""
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(*order_by).limit(limit).offset(offset)))
    return total, rows


def newest_first(model: Any) -> tuple[Any, Any]:
    """The order of a list of ``model`` rows: newest first, ties by id (for :func:`fetch_page`)."""
    return model.created_at.desc(), model.id


def oldest_first(model: Any) -> tuple[Any, Any]:
    """The order of ``model`` rows as they were created: oldest first, ties by id."""
    return model.created_at, model.id


# A list endpoint's ``?search=`` (what :func:`text_search` matches).
SearchQuery = Annotated[str | None, Query(max_length=200)]


def text_search(search: str | None, *columns: Any) -> sa.ColumnElement[bool]:
    """Rows where one of ``columns`` holds the ``search`` text (trimmed, case ignored, ``%``
    and ``_`` literal); every row when the search is blank."""
    term = (search or "").strip().lower()
    if not term:
        return sa.true()
    return sa.or_(*(sa.func.lower(column).contains(term, autoescape=True) for column in columns))


def comma_list_pattern(*values: str) -> str:
    """A regex (JSON Schema dialect) for an optional comma list of ``values``."""
    one = "(" + "|".join(values) + ")"
    return rf"^\s*({one}\s*(,\s*{one}\s*)*)?$"
