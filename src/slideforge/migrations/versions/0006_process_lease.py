"""process leases; post_request.owner_id

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 06:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import slideforge.kit.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "process_lease",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("machine", sa.String(length=120), nullable=True),
        sa.Column("pid_start", sa.BigInteger(), nullable=True),
        sa.Column("started_at", slideforge.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", slideforge.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("process_lease", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_process_lease_heartbeat_at"), ["heartbeat_at"], unique=False
        )
    with op.batch_alter_table("post_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("post_request", schema=None) as batch_op:
        batch_op.drop_column("owner_id")
    with op.batch_alter_table("process_lease", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_lease_heartbeat_at"))
    op.drop_table("process_lease")
