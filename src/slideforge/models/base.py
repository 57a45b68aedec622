"""Columns every table shares."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from slideforge.kit.db import Base
from slideforge.kit.ids import new_id


def utcnow() -> datetime:
    return datetime.now(UTC)


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WorkspaceScoped:
    """Every row carries its workspace; every query filters on it."""

    @declared_attr
    def workspace_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            sa.ForeignKey("workspace.id", ondelete="CASCADE"), index=True, nullable=False
        )


__all__ = ["Base", "IdMixin", "TimestampMixin", "WorkspaceScoped", "utcnow"]
