"""authority: coordinators, bind requests, approved buildings; pending household members

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 14:04:26.809794
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "bind_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_title", sa.String(length=128), nullable=False),
        sa.Column(
            "building_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "requested_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "decided_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("decided_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_bind_requests_building_id_buildings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["persons.id"],
            name=op.f("fk_bind_requests_decided_by_persons"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["persons.id"],
            name=op.f("fk_bind_requests_requested_by_persons"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bind_requests")),
    )
    with op.batch_alter_table("bind_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bind_requests_chat_id"), ["chat_id"], unique=False)

    op.create_table(
        "coordinators",
        sa.Column(
            "person_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("configured", sa.Boolean(), nullable=False),
        sa.Column("appointed_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "appointed_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["appointed_by"],
            ["persons.id"],
            name=op.f("fk_coordinators_appointed_by_persons"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_coordinators_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_coordinators")),
    )
    with op.batch_alter_table("buildings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("approved", sa.Boolean(), nullable=False, server_default=sa.true())
        )

    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("founded_at", models.base.UtcDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "pending_household_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.create_index(
            batch_op.f("ix_persons_pending_household_id"), ["pending_household_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_persons_pending_household_id_households"),
            "households",
            ["pending_household_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_persons_pending_household_id_households"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_persons_pending_household_id"))
        batch_op.drop_column("pending_household_id")

    with op.batch_alter_table("households", schema=None) as batch_op:
        batch_op.drop_column("founded_at")

    with op.batch_alter_table("buildings", schema=None) as batch_op:
        batch_op.drop_column("approved")

    op.drop_table("coordinators")
    with op.batch_alter_table("bind_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bind_requests_chat_id"))

    op.drop_table("bind_requests")
