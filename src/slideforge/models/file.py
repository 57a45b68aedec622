"""Media files: uploads through the presigned flow, rendered slides, ingested post media."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from slideforge.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped


class File(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "file"

    member_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("member.id", ondelete="SET NULL"), nullable=True
    )
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    # partner-upload | render | post-media | copy-tiktok | pack-image
    context: Mapped[str] = mapped_column(sa.String(40), default="partner-upload", index=True)
    # pending (upload URL issued) | ready (bytes stored and probed)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    storage_key: Mapped[str] = mapped_column(sa.String(400))
    size: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    declared_size: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    width: Mapped[int | None] = mapped_column(nullable=True)
    height: Mapped[int | None] = mapped_column(nullable=True)
    duration_seconds: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    declared_duration_seconds: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    sha256: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    # Single-use upload token: we keep only its hash; cleared once the PUT succeeded.
    upload_token_hash: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, unique=True)
    upload_expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    uploaded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Render-ready derivatives beside the bytes (files/derivatives.py):
    # {"base": storage key prefix, "sizes": ["1080x1920", ...]}; None: none made yet.
    derivatives: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
