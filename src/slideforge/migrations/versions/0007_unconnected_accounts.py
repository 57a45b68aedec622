"""accounts without tokens are unconnected

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 07:00:00

Accounts added with ``slideforge accounts add`` were created ``active`` with no tokens: they
looked usable, were chosen automatically and every post on them failed ``not_connected``.
They become ``unconnected`` until an OAuth connect makes them active.
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE account SET status = 'unconnected' "
        "WHERE access_token_enc IS NULL AND status IN ('active', 'paused')"
    )


def downgrade() -> None:
    op.execute("UPDATE account SET status = 'active' WHERE status = 'unconnected'")
