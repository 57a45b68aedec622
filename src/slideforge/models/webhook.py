"""Outbound webhooks: the endpoints a workspace registers and the outbox of deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from slideforge.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped, utcnow


class WebhookEndpoint(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "webhook_endpoint"

    url: Mapped[str] = mapped_column(sa.Text)
    description: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    # Event types this endpoint receives.
    events: Mapped[list[str]] = mapped_column(default=list)
    # The Standard Webhooks signing secret (whsec_…), Fernet-encrypted; shown once at creation.
    secret_enc: Mapped[str] = mapped_column(sa.Text)
    # What a delivery's body looks like: "slideforge" ({type, timestamp, data}) or "ayrshare"
    # (registered through the Ayrshare-compatible API: Ayrshare's action bodies).
    body_format: Mapped[str] = mapped_column(
        sa.String(20), default="slideforge", server_default="slideforge"
    )


class WebhookDelivery(IdMixin, WorkspaceScoped, Base):
    """One event for one endpoint: the outbox row, written in the transaction of the change
    it reports. Its id is the ``webhook-id`` header, the same on every attempt."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        # At most one delivery per endpoint and key (e.g. one reauth notice per expiry).
        sa.UniqueConstraint("endpoint_id", "dedupe_key"),
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        sa.Index("ix_webhook_delivery_endpoint_time", "endpoint_id", "created_at"),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("webhook_endpoint.id", ondelete="CASCADE")
    )
    event_type: Mapped[str] = mapped_column(sa.String(40))
    # The body as sent: {"type", "timestamp", "data"}.
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    # pending | delivered | failed
    status: Mapped[str] = mapped_column(sa.String(12), default="pending")
    attempt_count: Mapped[int] = mapped_column(default=0)
    # [{"attempt", "at", "status_code", "error", "duration_ms"}], oldest first.
    attempts: Mapped[list[Any]] = mapped_column(default=list)
    next_attempt_at: Mapped[datetime | None] = mapped_column(nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
