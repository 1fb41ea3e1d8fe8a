"""help requests keep the file_ids of the photos residents sent

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
# rebased onto 0010 at merge
down_revision = "0009"
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
