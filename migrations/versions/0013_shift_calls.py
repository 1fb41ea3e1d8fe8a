"""urgent calls and swaps: calls, their invitations and answers, swap offers

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WHEN = models.base.UtcDateTime(timezone=True)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "shift_calls",
        sa.Column("shift_id", ID, nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("widened_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shifts.id"],
            name=op.f("fk_shift_calls_shift_id_shifts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("shift_id", name=op.f("pk_shift_calls")),
    )
    with op.batch_alter_table("shift_calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shift_calls_created_at"), ["created_at"], unique=False)

    op.create_table(
        "shift_call_invites",
        sa.Column("id", ID, nullable=False),
        sa.Column("shift_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("invited_at", WHEN, nullable=False),
        sa.Column("answered_at", WHEN, nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_shift_call_invites_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shifts.id"],
            name=op.f("fk_shift_call_invites_shift_id_shifts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_call_invites")),
        sa.UniqueConstraint("shift_id", "person_id", name=op.f("uq_shift_call_invites_shift_id")),
    )
    with op.batch_alter_table("shift_call_invites", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shift_call_invites_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_shift_call_invites_shift_id"), ["shift_id"], unique=False
        )

    op.create_table(
        "shift_swaps",
        sa.Column("id", ID, nullable=False),
        sa.Column("shift_id", ID, nullable=False),
        sa.Column("offered_by", ID, nullable=False),
        sa.Column("offered_at", WHEN, nullable=False),
        sa.Column("taken_by", ID, nullable=True),
        sa.Column("taken_at", WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["offered_by"],
            ["persons.id"],
            name=op.f("fk_shift_swaps_offered_by_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shifts.id"],
            name=op.f("fk_shift_swaps_shift_id_shifts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["taken_by"],
            ["persons.id"],
            name=op.f("fk_shift_swaps_taken_by_persons"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_swaps")),
    )
    with op.batch_alter_table("shift_swaps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shift_swaps_shift_id"), ["shift_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("shift_swaps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_swaps_shift_id"))
    op.drop_table("shift_swaps")
    with op.batch_alter_table("shift_call_invites", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_call_invites_shift_id"))
        batch_op.drop_index(batch_op.f("ix_shift_call_invites_person_id"))
    op.drop_table("shift_call_invites")
    with op.batch_alter_table("shift_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_calls_created_at"))
    op.drop_table("shift_calls")
