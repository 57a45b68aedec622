"""Posts, their per-account targets, and create-request reservations (idempotency)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from slideforge.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped, utcnow


class PostStatus(StrEnum):
    """A post's status, rolled up from its targets (``posts.service.refresh_status``);
    ``draft`` only for posts made with no account yet."""

    DRAFT = "draft"
    PENDING = "pending"
    SCHEDULED = "scheduled"
    POSTED = "posted"
    FAILED = "failed"
    PARTIAL = "partial"
    RETRY = "retry"
    OUTCOME_UNKNOWN = "outcome_unknown"
    DELETED = "deleted"


class TargetStatus(StrEnum):
    """One target's status (one post on one account)."""

    SCHEDULED = "scheduled"
    PENDING = "pending"
    PUBLISHING = "publishing"
    RETRY = "retry"
    POSTED = "posted"
    FAILED = "failed"
    OUTCOME_UNKNOWN = "outcome_unknown"
    CANCELED = "canceled"


class SendState(StrEnum):
    """The witness of a target's one irreversible platform call: ``armed`` by the claim,
    ``sending`` committed just before the call, ``sent`` once its answer is recorded; a
    replay that finds ``sending`` cannot know whether the call happened."""

    NONE = "none"
    ARMED = "armed"
    SENDING = "sending"
    SENT = "sent"


class Post(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "post"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "external_id"),)

    member_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("member.id", ondelete="SET NULL"), nullable=True
    )
    caption: Mapped[str] = mapped_column(sa.Text, default="")
    # {"type": "video", "url"} | {"type": "slideshow", "urls": [...]} as the client sent it.
    media: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Ingested copies: [{"index", "source_url", "file_id", "key", "content_type", "width",
    # "height", "size", "duration"}] and per-platform variants {"tiktok": [urls…], …}.
    media_items: Mapped[list[Any]] = mapped_column(default=list)
    media_variants: Mapped[dict[str, Any]] = mapped_column(default=dict)
    music_url: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    music_post_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    tiktok: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    pinterest: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    # None: publish as soon as possible.
    scheduled_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    # A PostStatus (stored as its string value; StrEnum members compare equal to it).
    status: Mapped[str] = mapped_column(sa.String(20), default=PostStatus.PENDING, index=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    body_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    source: Mapped[str] = mapped_column(sa.String(20), default="partner_api")
    warnings: Mapped[list[Any]] = mapped_column(default=list)
    # How accounts were chosen: null (explicit) or the account_selection object.
    account_selection: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(nullable=True)


# The list's orders (GET /posts: newest first, ties by id; with ?status=), and its per-status
# counts, read from the index alone (the status index covers the summary).
sa.Index("ix_post_workspace_created", Post.workspace_id, Post.created_at.desc(), Post.id)
sa.Index(
    "ix_post_workspace_status_created",
    Post.workspace_id,
    Post.status,
    Post.created_at.desc(),
    Post.id,
)


class PostTarget(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """One post on one account: the unit that is published, exactly once."""

    __tablename__ = "post_target"
    __table_args__ = (
        sa.UniqueConstraint("post_id", "account_id"),
        sa.Index("ix_post_target_account_time", "account_id", "scheduled_for"),
    )

    post_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("post.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(sa.String(16))
    # A TargetStatus (stored as its string value).
    status: Mapped[str] = mapped_column(sa.String(20), default=TargetStatus.SCHEDULED, index=True)
    # When this target is due (the post's time, or the slot the scheduler chose).
    scheduled_for: Mapped[datetime] = mapped_column()
    # Bumped by edits, retries and deletes: a workflow only acts on its own revision.
    revision: Mapped[int] = mapped_column(default=1)
    attempt: Mapped[int] = mapped_column(default=0)
    # The irreversible call's witness, a SendState.
    send_state: Mapped[str] = mapped_column(sa.String(12), default=SendState.NONE)
    publish_id: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    platform_post_id: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    platform_status: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    published_url: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    error_code: Mapped[str | None] = mapped_column(sa.String(80), nullable=True)
    error_message: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    # Platform-specific progress (container ids, media ids …) persisted between steps.
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_attempted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)


class PostRequest(IdMixin, WorkspaceScoped, Base):
    """Reservation of a create request's idempotency key (``ext:<external_id>`` or
    ``body:<sha256>``), taken before the slow media ingest so a retried POST waits (briefly)
    for the first one and answers its post instead of making a second."""

    __tablename__ = "post_request"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "key"),)

    key: Mapped[str] = mapped_column(sa.String(200))
    body_hash: Mapped[str] = mapped_column(sa.String(64))
    post_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    # in_progress | done
    state: Mapped[str] = mapped_column(sa.String(16), default="in_progress")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The process (``process_lease.id``) whose request holds an in_progress reservation: a
    # twin waits for it only while that process is alive, and takes a dead one's over.
    owner_id: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)


class OAuthState(IdMixin, WorkspaceScoped, Base):
    """A pending account connection: bound to the workspace, single-use, expiring."""

    __tablename__ = "oauth_state"

    state_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    platform: Mapped[str] = mapped_column(sa.String(16))
    member_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    code_verifier: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    redirect_uri: Mapped[str] = mapped_column(sa.Text)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
