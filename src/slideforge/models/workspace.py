"""Workspaces, their members and API keys."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from slideforge.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped, utcnow


class Workspace(IdMixin, TimestampMixin, Base):
    __tablename__ = "workspace"

    name: Mapped[str] = mapped_column(sa.String(120), unique=True)


class Member(IdMixin, WorkspaceScoped, Base):
    __tablename__ = "member"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "name"),)

    name: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(IdMixin, WorkspaceScoped, Base):
    """``public_id.secret``; only a SHA-256 of the (high-entropy) secret is stored."""

    __tablename__ = "api_key"

    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    # "workspace" keys act for the workspace; "personal" keys act for one member.
    scope: Mapped[str] = mapped_column(sa.String(16))
    member_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("member.id", ondelete="CASCADE"), nullable=True
    )
    name: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)


class BrowserSession(IdMixin, WorkspaceScoped, Base):
    """A dashboard sign-in: an API key exchanged for an HTTP-only cookie. Only a SHA-256 of
    the (random, 256-bit) cookie token is stored; the session acts as the key it was made
    from and ends with it (revoking the key ends its sessions)."""

    __tablename__ = "browser_session"

    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    api_key_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("api_key.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The absolute end; an idle session ends earlier (settings.dashboard_idle_minutes).
    expires_at: Mapped[datetime] = mapped_column()
