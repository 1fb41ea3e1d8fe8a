"""a group's own language

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-27 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("group_chats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=5), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("group_chats", schema=None) as batch_op:
        batch_op.drop_column("language")
