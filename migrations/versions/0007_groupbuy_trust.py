"""group-buy trust: wrong pickup-code guesses (to limit guessing), waitlist places

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0007"
down_revision = "0006"
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

    op.create_table(
        "groupbuy_waits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("since", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("units > 0", name=op.f("ck_groupbuy_waits_units_positive")),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["groupbuy_lines.id"],
            name=op.f("fk_groupbuy_waits_line_id_groupbuy_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groupbuy_waits")),
    )
    with op.batch_alter_table("groupbuy_waits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_groupbuy_waits_line_id"), ["line_id"], unique=False)
    # Whoever waits today keeps one place, from when they started waiting.
    op.execute(
        "INSERT INTO groupbuy_waits (line_id, units, since) "
        "SELECT id, waitlisted, waitlisted_at FROM groupbuy_lines "
        "WHERE waitlisted > 0 AND waitlisted_at IS NOT NULL"
    )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("groupbuy_waits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_groupbuy_waits_line_id"))
    op.drop_table("groupbuy_waits")
    with op.batch_alter_table("groupbuy_pickup_tries", schema=None) as batch_op:
        batch_op.drop_index("ix_groupbuy_pickup_tries_person")
    op.drop_table("groupbuy_pickup_tries")
