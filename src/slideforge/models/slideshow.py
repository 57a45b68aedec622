"""Slideshows: settings, slides (JSON, contract §5.4 shape) and render state."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from slideforge.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped


class Slideshow(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "slideshow"

    # Set when a personal key created it: then only that member's keys see it.
    member_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("member.id", ondelete="CASCADE"), nullable=True
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    # draft | rendered
    status: Mapped[str] = mapped_column(sa.String(16), default="draft", index=True)
    # educational | personal
    slideshow_type: Mapped[str] = mapped_column(sa.String(16), default="educational")
    language: Mapped[str] = mapped_column(sa.String(32), default="en")
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("product.id", ondelete="SET NULL"), nullable=True
    )
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("template.id", ondelete="SET NULL"), nullable=True
    )
    original_prompt: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    # partner_api | copy_tiktok | duplicate
    source: Mapped[str] = mapped_column(sa.String(32), default="partner_api")
    # image_pack_id, aspect_ratio, slideshow_type, advanced_settings, pack_assignments
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Stored slides (see slideshows.slides); render results live inside each slide.
    slides: Mapped[list[Any]] = mapped_column(default=list)
    preview_image_url: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    last_rendered_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # The render whose files the slides point at (keys renders/{id}/{render_id}/…).
    render_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    # Bumped by every edit: optimistic checks of PATCH and of a render that ran meanwhile.
    revision: Mapped[int] = mapped_column(default=1)


# GET /slideshows: newest first, ties by id (with and without ?status=).
sa.Index(
    "ix_slideshow_workspace_created",
    Slideshow.workspace_id,
    Slideshow.created_at.desc(),
    Slideshow.id,
)
sa.Index(
    "ix_slideshow_workspace_status_created",
    Slideshow.workspace_id,
    Slideshow.status,
    Slideshow.created_at.desc(),
    Slideshow.id,
)
