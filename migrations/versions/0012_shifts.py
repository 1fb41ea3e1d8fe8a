"""volunteer shifts: shifts, their assignments, and the notices their clock brings

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "shifts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "building_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("post", sa.String(length=60), nullable=False),
        sa.Column("starts_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("filled", sa.Integer(), nullable=False),
        sa.Column("skill", sa.String(length=16), nullable=True),
        sa.Column("series_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_shifts_building_id_buildings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["persons.id"],
            name=op.f("fk_shifts_created_by_persons"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shifts")),
    )
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shifts_building_id"), ["building_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shifts_series_id"), ["series_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shifts_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "shift_assignments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("shift_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("assigned_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("checked_in_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("checked_out_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_shift_assignments_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shifts.id"],
            name=op.f("fk_shift_assignments_shift_id_shifts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_assignments")),
        sa.UniqueConstraint("shift_id", "person_id", name=op.f("uq_shift_assignments_shift_id")),
    )
    with op.batch_alter_table("shift_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shift_assignments_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_shift_assignments_shift_id"), ["shift_id"], unique=False
        )

    op.create_table(
        "shift_notices",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("shift_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shift_id"],
            ["shifts.id"],
            name=op.f("fk_shift_notices_shift_id_shifts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_notices")),
        sa.UniqueConstraint(
            "shift_id", "person_id", "step", name=op.f("uq_shift_notices_shift_id")
        ),
    )
    with op.batch_alter_table("shift_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shift_notices_shift_id"), ["shift_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("shift_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_notices_shift_id"))

    op.drop_table("shift_notices")
    with op.batch_alter_table("shift_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shift_assignments_shift_id"))
        batch_op.drop_index(batch_op.f("ix_shift_assignments_person_id"))

    op.drop_table("shift_assignments")
    with op.batch_alter_table("shifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shifts_starts_at"))
        batch_op.drop_index(batch_op.f("ix_shifts_series_id"))
        batch_op.drop_index(batch_op.f("ix_shifts_building_id"))

    op.drop_table("shifts")
