"""help requests keep the file_ids of the photos residents sent

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 18:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        # Requests filed before photos were taken have none.
        batch_op.add_column(
            sa.Column("photos", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.drop_column("photos")
