"""AI studio videos: one row per generation asked for (contract §10), followed by the
``studio-video`` workflow from submission to the stored MP4 (or the failure and its refund)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from slideforge.models.base import Base, IdMixin, TimestampMixin, WorkspaceScoped


class StudioVideo(IdMixin, WorkspaceScoped, TimestampMixin, Base):
    __tablename__ = "studio_video"

    member_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("member.id", ondelete="SET NULL"), nullable=True
    )
    # As the API shows it (<provider>/<model>), and its two parts.
    model_id: Mapped[str] = mapped_column(sa.String(160))
    provider: Mapped[str] = mapped_column(sa.String(40))
    provider_model: Mapped[str] = mapped_column(sa.String(100))
    # processing | succeeded | failed
    status: Mapped[str] = mapped_column(sa.String(12), default="processing", index=True)
    prompt: Mapped[str] = mapped_column(sa.Text)
    # What is sent to the provider: seconds, size, the storage key of the reference image.
    request: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The provider's job id (its /videos id) once submitted, its last status and progress.
    provider_job_id: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    provider_status: Mapped[str | None] = mapped_column(sa.String(40), nullable=True)
    progress: Mapped[int | None] = mapped_column(nullable=True)
    error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)
    file_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("file.id", ondelete="SET NULL"), nullable=True
    )
    credits_used: Mapped[int] = mapped_column(default=0)
    # The ledger reference of its one charge (and of the refund of a failure).
    charge_reference: Mapped[str] = mapped_column(sa.String(80))
    # The workflow round that polled it last, and when (the sweep restarts a stalled one).
    poll_round: Mapped[int] = mapped_column(default=0)
    polled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
