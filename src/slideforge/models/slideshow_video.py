"""A slideshow's video (one per slideshow): settings, the render's state and progress, the
MP4's file."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from slideforge.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped


class SlideshowVideo(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "slideshow_video"

    slideshow_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("slideshow.id", ondelete="CASCADE"), unique=True
    )
    member_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("member.id", ondelete="SET NULL"), nullable=True
    )
    # queued | rendering | succeeded | failed
    status: Mapped[str] = mapped_column(sa.String(16), default="queued", index=True)
    # seconds_per_slide, transition, motion, fps, audio_file_id
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Each POST starts attempt n+1: the workflow id is slideshow-video:{id}:{attempt}.
    attempt: Mapped[int] = mapped_column(default=1)
    # Fraction of the work done, 0-1 (rendering the slides 0-0.1, encoding 0.1-1).
    progress: Mapped[float] = mapped_column(sa.Float, default=0.0)
    # The slideshow's revision the video was made from (stale once it changed).
    slideshow_revision: Mapped[int | None] = mapped_column(nullable=True)
    file_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("file.id", ondelete="SET NULL"), nullable=True
    )
    # The MP4's URL (kept like a rendered slide's rendered_image_url).
    url: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    duration_seconds: Mapped[float | None] = mapped_column(sa.Float, nullable=True)
    width: Mapped[int | None] = mapped_column(nullable=True)
    height: Mapped[int | None] = mapped_column(nullable=True)
    error_code: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
