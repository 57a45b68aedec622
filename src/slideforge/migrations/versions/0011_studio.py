"""studio videos

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 15:11:55

``studio_video``: one AI studio video generation (contract §10), from its charge through the
provider's job to the stored MP4 or the failure and its refund.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import slideforge.kit.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "studio_video",
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("model_id", sa.String(length=160), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("provider_model", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("provider_job_id", sa.String(length=200), nullable=True),
        sa.Column("provider_status", sa.String(length=40), nullable=True),
        sa.Column("progress", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("file_id", sa.Uuid(), nullable=True),
        sa.Column("credits_used", sa.Integer(), nullable=False),
        sa.Column("charge_reference", sa.String(length=80), nullable=False),
        sa.Column("poll_round", sa.Integer(), nullable=False),
        sa.Column("polled_at", slideforge.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", slideforge.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", slideforge.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", slideforge.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["file_id"], ["file.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("studio_video", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_studio_video_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_studio_video_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_studio_video_workspace_id"), ["workspace_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("studio_video", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_studio_video_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_studio_video_status"))
        batch_op.drop_index(batch_op.f("ix_studio_video_created_at"))

    op.drop_table("studio_video")
