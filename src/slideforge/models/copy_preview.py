"""Copy-a-TikTok previews: a fetched post, its slide images (in storage) and their OCR,
kept for a few minutes so an import can reuse them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from slideforge.models.base import Base, IdMixin, WorkspaceScoped, utcnow


class CopyPreview(IdMixin, WorkspaceScoped, Base):
    __tablename__ = "copy_preview"

    # The URL as sent and the post URL it led to (short links expanded).
    requested_url: Mapped[str] = mapped_column(sa.Text)
    source_url: Mapped[str] = mapped_column(sa.Text)
    post_id: Mapped[str] = mapped_column(sa.String(32))
    slide_count: Mapped[int]
    total_slides: Mapped[int]
    capped: Mapped[bool]
    estimated_credits: Mapped[int]
    # caption, hashtags, music, author, title of the post
    post: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # per slide: storage key, file id, url, size, format and the OCR result (elements)
    slides: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
