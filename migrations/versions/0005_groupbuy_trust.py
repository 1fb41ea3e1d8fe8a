"""group-buy trust: wrong pickup-code guesses, kept to limit guessing

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-30 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "groupbuy_pickup_tries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("tried_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_groupbuy_pickup_tries_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groupbuy_pickup_tries")),
    )
    with op.batch_alter_table("groupbuy_pickup_tries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_groupbuy_pickup_tries_person", ["person_id", "tried_at"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("groupbuy_pickup_tries", schema=None) as batch_op:
        batch_op.drop_index("ix_groupbuy_pickup_tries_person")
    op.drop_table("groupbuy_pickup_tries")
