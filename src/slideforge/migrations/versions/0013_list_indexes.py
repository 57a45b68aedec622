"""indexes of the list endpoints

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 15:11:49

``GET /accounts`` lists a workspace's accounts oldest first (``workspace_id, created_at,
id``). ``GET /posts`` and ``GET /slideshows`` list a workspace's rows newest first (ties by id),
optionally of one status, and ``GET /posts`` counts them by status: one index per order
(``workspace_id, created_at DESC, id`` and ``workspace_id, status, created_at DESC, id``)
serves the page without a sort, and the status one answers the counts from the index alone
(``slideforge bench api``: 100k posts).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

NEWEST: sa.ColumnElement[object] = sa.literal_column("created_at DESC")


def upgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index("ix_account_workspace_created", ["workspace_id", "created_at", "id"])
    for table in ("post", "slideshow"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_workspace_created", ["workspace_id", NEWEST, "id"])
            batch_op.create_index(
                f"ix_{table}_workspace_status_created", ["workspace_id", "status", NEWEST, "id"]
            )


def downgrade() -> None:
    for table in ("slideshow", "post"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_workspace_status_created")
            batch_op.drop_index(f"ix_{table}_workspace_created")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index("ix_account_workspace_created")
