"""group-buy states: one status column (deciding, arrived) instead of status + awaiting_decision

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 15:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.execute(
        "UPDATE groupbuys SET status = 'deciding' "
        "WHERE status = 'closed' AND awaiting_decision AND arrived_at IS NULL"
    )
    op.execute(
        "UPDATE groupbuys SET status = 'arrived' WHERE status = 'closed' AND arrived_at IS NOT NULL"
    )
    with op.batch_alter_table("groupbuys", schema=None) as batch_op:
        batch_op.drop_column("awaiting_decision")


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("groupbuys", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("awaiting_decision", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE groupbuys SET awaiting_decision = (status = 'deciding')")
    op.execute("UPDATE groupbuys SET status = 'closed' WHERE status IN ('deciding', 'arrived')")
