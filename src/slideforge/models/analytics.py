"""Analytics: the accounts a scope tracks, their refreshes, the posts seen on them and the
metric snapshots of those posts (a time series: a snapshot is never overwritten), and the hook
experiments a workspace runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from slideforge.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped, utcnow


class AnalyticsTarget(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """A tracked account: one of ours (``account_id`` set, read through the platform's API)
    or anyone's public profile (read from its public page)."""

    __tablename__ = "analytics_target"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "scope_key", "platform", "normalized_identifier"),
    )

    # The personal scope that tracks it (None: the workspace's).
    member_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("member.id", ondelete="CASCADE"), nullable=True
    )
    # "workspace" or the member id: NULLs are distinct in a unique constraint.
    scope_key: Mapped[str] = mapped_column(sa.String(40))
    platform: Mapped[str] = mapped_column(sa.String(16))
    identifier: Mapped[str] = mapped_column(sa.String(200))
    normalized_identifier: Mapped[str] = mapped_column(sa.String(200))
    display_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    favorite: Mapped[bool] = mapped_column(default=False)
    refresh_policy: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # The last profile read: ProfileMetrics as a dict.
    profile: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_refreshed_at: Mapped[datetime | None] = mapped_column(nullable=True)


class AnalyticsRefresh(IdMixin, WorkspaceScoped, Base):
    """One read of a target. ``running_target_id`` is the target's id while the refresh is
    pending or processing and NULL after: a unique column, so two refreshes of one target
    cannot run at once (409 analytics_conflict), whichever request commits first."""

    __tablename__ = "analytics_refresh"

    target_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("analytics_target.id", ondelete="CASCADE"), index=True
    )
    running_target_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True, unique=True)
    # pending | processing | completed | failed
    status: Mapped[str] = mapped_column(sa.String(12), default="pending")
    trigger: Mapped[str] = mapped_column(sa.String(12), default="manual")  # manual | policy
    free_refresh_used: Mapped[bool] = mapped_column(default=False)
    credits_used: Mapped[int] = mapped_column(default=0)
    posts_read: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ProfileSnapshot(IdMixin, WorkspaceScoped, Base):
    """A target's counters at one read: its follower timeline."""

    __tablename__ = "profile_snapshot"

    target_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("analytics_target.id", ondelete="CASCADE"), index=True
    )
    taken_at: Mapped[datetime] = mapped_column()
    followers: Mapped[int | None] = mapped_column(nullable=True)
    following: Mapped[int | None] = mapped_column(nullable=True)
    likes: Mapped[int | None] = mapped_column(nullable=True)
    posts: Mapped[int | None] = mapped_column(nullable=True)


class Counters:
    """A post's counters (``publishing.platforms.metrics.COUNTERS``); None: not measured."""

    views: Mapped[int | None] = mapped_column(nullable=True)
    likes: Mapped[int | None] = mapped_column(nullable=True)
    comments: Mapped[int | None] = mapped_column(nullable=True)
    shares: Mapped[int | None] = mapped_column(nullable=True)
    saves: Mapped[int | None] = mapped_column(nullable=True)
    reach: Mapped[int | None] = mapped_column(nullable=True)
    clicks: Mapped[int | None] = mapped_column(nullable=True)


class AnalyticsPost(Counters, IdMixin, WorkspaceScoped, Base):
    """A post seen on a target: one of ours (``post_target_id`` set, from the moment it is
    posted, even before the platform shows its public id) or one read from a profile."""

    __tablename__ = "analytics_post"
    __table_args__ = (
        sa.UniqueConstraint("target_id", "platform_post_id"),
        sa.Index("ix_analytics_post_published", "workspace_id", "published_at"),
    )

    target_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("analytics_target.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(sa.String(16))
    platform_post_id: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    # Ours: the post, the per-account target, the account, the caller's external id.
    post_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True, index=True)
    post_target_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True, unique=True)
    account_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(128), nullable=True)
    # linked | awaiting_public_id | inbox_draft | not_found | observed
    link_state: Mapped[str] = mapped_column(sa.String(20), default="observed")
    note: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    url: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    caption: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    author: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(nullable=True)
    media_type: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    hashtags: Mapped[list[str]] = mapped_column(default=list)
    sound_id: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    sound_name: Mapped[str | None] = mapped_column(sa.String(300), nullable=True)
    # What the post was made of (ours): the hook is slide 1's text.
    hook: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    slideshow_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    template_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    pack_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    experiment_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True, index=True)
    variant: Mapped[str | None] = mapped_column(sa.String(120), nullable=True)
    # The latest counters (Counters: copied from the newest snapshot, for lists and sorting).
    metrics_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Milestones of ours not yet taken ("1h", "24h", …), the next due first.
    milestones_due: Mapped[list[str]] = mapped_column(default=list)
    next_snapshot_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MetricSnapshot(Counters, IdMixin, WorkspaceScoped, Base):
    """A post's counters at one moment."""

    __tablename__ = "metric_snapshot"
    __table_args__ = (sa.Index("ix_metric_snapshot_post_time", "analytics_post_id", "taken_at"),)

    analytics_post_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("analytics_post.id", ondelete="CASCADE")
    )
    taken_at: Mapped[datetime] = mapped_column(index=True)
    age_seconds: Mapped[int | None] = mapped_column(nullable=True)
    # 1h | 24h | 48h | 7d | 30d (a scheduled one), refresh, on_demand
    milestone: Mapped[str] = mapped_column(sa.String(12))
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Experiment(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    """A declared hook experiment: variants spread over accounts and slots, judged on one
    metric at one post age."""

    __tablename__ = "experiment"

    member_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # scheduled | measuring | completed | canceled
    status: Mapped[str] = mapped_column(sa.String(12), default="scheduled")
    metric: Mapped[str] = mapped_column(sa.String(20), default="views")
    age_hours: Mapped[int] = mapped_column(default=48)
    # [{"name", "hook", "slideshow_id", …}] as declared, and the posts made for each.
    variants: Mapped[list[Any]] = mapped_column(default=list)
    posts: Mapped[list[Any]] = mapped_column(default=list)
    result: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ExperimentPost(Base):
    """Which variant of which experiment a post is."""

    __tablename__ = "experiment_post"

    post_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    experiment_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("experiment.id", ondelete="CASCADE"), index=True
    )
    variant: Mapped[str] = mapped_column(sa.String(120))


class TrendBrief(IdMixin, WorkspaceScoped, Base):
    """A computed trend brief, kept about 3 h per platform, keyword and range."""

    __tablename__ = "trend_brief"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "cache_key"),)

    cache_key: Mapped[str] = mapped_column(sa.String(300))
    generated_at: Mapped[datetime] = mapped_column()
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
