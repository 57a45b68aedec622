"""render-ready derivatives of images

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 16:00:00

``file.derivatives`` and ``pack_image.derivatives`` (JSON, nullable) record which
render-ready derivatives (the renderer's cover result at a canvas size, raw PPM) are stored
beside an image: ``{"base": key prefix, "sizes": ["1080x1920", ...]}``. Old rows have none;
they get theirs after their first render.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("derivatives", sa.JSON(), nullable=True))
    with op.batch_alter_table("pack_image", schema=None) as batch_op:
        batch_op.add_column(sa.Column("derivatives", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pack_image", schema=None) as batch_op:
        batch_op.drop_column("derivatives")
    with op.batch_alter_table("file", schema=None) as batch_op:
        batch_op.drop_column("derivatives")
