"""webhook endpoints have a body format

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 09:00:00

``webhook_endpoint.body_format``: ``slideforge`` (our ``{type, timestamp, data}`` events,
Standard Webhooks signature) or ``ayrshare`` (an endpoint registered through the
Ayrshare-compatible ``POST /hook/webhook``: Ayrshare's action bodies, same outbox).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoint", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "body_format", sa.String(length=20), nullable=False, server_default="slideforge"
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_endpoint", schema=None) as batch_op:
        batch_op.drop_column("body_format")
