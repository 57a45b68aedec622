"""a slideshow's video

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 09:00:00

``slideshow_video``: one row per slideshow (settings, status queued|rendering|succeeded|
failed, progress 0-1, the attempt its workflow id carries, the slideshow revision it was
made from, the MP4's file, duration and size, the error).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import slideforge.kit.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slideshow_video",
        sa.Column("slideshow_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("slideshow_revision", sa.Integer(), nullable=True),
        sa.Column("file_id", sa.Uuid(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("duration_seconds", sa.Float(), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("started_at", slideforge.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", slideforge.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", slideforge.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", slideforge.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["file_id"], ["file.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["slideshow_id"], ["slideshow.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slideshow_id"),
    )
    with op.batch_alter_table("slideshow_video", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_slideshow_video_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_slideshow_video_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_slideshow_video_workspace_id"), ["workspace_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("slideshow_video", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_slideshow_video_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_slideshow_video_status"))
        batch_op.drop_index(batch_op.f("ix_slideshow_video_created_at"))
    op.drop_table("slideshow_video")
