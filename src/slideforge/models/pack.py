"""Image packs and their images (with computed metadata)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from slideforge.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped, utcnow


class Pack(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "pack"

    name: Mapped[str] = mapped_column(sa.String(120))
    is_public: Mapped[bool] = mapped_column(default=False, index=True)


class PackImage(IdMixin, WorkspaceScoped, Base):
    __tablename__ = "pack_image"

    pack_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("pack.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(sa.Text)
    file_name: Mapped[str] = mapped_column(sa.String(255), default="image")
    content_type: Mapped[str] = mapped_column(sa.String(100), default="image/jpeg")
    # pending | processing | completed | failed
    meta_status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Lower-cased description + keywords, for search.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    # Render-ready derivatives of an image that is not our own media (files/derivatives.py):
    # {"base": storage key prefix, "sizes": [...]}; our own media keep theirs on their file.
    derivatives: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
