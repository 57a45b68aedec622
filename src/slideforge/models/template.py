"""Slideshow templates (config v1): private to their owner or shared with the workspace."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from slideforge.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped

WORKSPACE_OWNER = "workspace"


class Template(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "template"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "owner_key", "name", name="uq_template_owner_name"),
    )

    # The member whose personal key created it; None when a workspace key did.
    member_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("member.id", ondelete="CASCADE"), nullable=True
    )
    # "workspace" or the member id: names are unique per owner (NULLs would not collide).
    owner_key: Mapped[str] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    # private (the owner only) | workspace (every key of the workspace)
    visibility: Mapped[str] = mapped_column(sa.String(16), default="private")
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # A copy of the source slideshow's first rendered slide (from-slideshow), owned here.
    preview_file_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("file.id", ondelete="SET NULL"), nullable=True
    )
    preview_url: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    use_count: Mapped[int] = mapped_column(default=0)
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)
