"""Social accounts a workspace posts to (TikTok, Instagram, Pinterest)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from slideforge.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped


class Account(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "account"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "platform", "platform_user_id"),)

    platform: Mapped[str] = mapped_column(sa.String(16))  # tiktok | instagram | pinterest
    type: Mapped[str] = mapped_column(sa.String(16), default="byo")
    username: Mapped[str] = mapped_column(sa.String(200))
    display_name: Mapped[str] = mapped_column(sa.String(200), default="")
    # The platform's id for the user (TikTok open_id, IG user id, Pinterest username/id).
    platform_user_id: Mapped[str] = mapped_column(sa.String(200))
    # active | paused | reauth_required | revoked
    status: Mapped[str] = mapped_column(sa.String(20), default="active", index=True)
    tags: Mapped[list[str]] = mapped_column(default=list)
    user_group: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    org_group: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    # Posting policy: min_gap_minutes, max_posts_per_24h, allowed_hours {start, end}, timezone.
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Platform-specific settings (e.g. Pinterest default board, IG login model).
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)

    # Tokens are Fernet-encrypted; never returned, never logged.
    access_token_enc: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    refresh_token_enc: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    access_token_expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    refresh_token_expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    granted_scopes: Mapped[str] = mapped_column(sa.String(500), default="")

    last_posted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Set when its analytics target is deleted: its posts are no longer measured, until a
    # target for it is created again.
    analytics_stopped_at: Mapped[datetime | None] = mapped_column(nullable=True)


# GET /accounts: a workspace's accounts in the order they were added.
sa.Index("ix_account_workspace_created", Account.workspace_id, Account.created_at, Account.id)
