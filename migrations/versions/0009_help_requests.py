"""help requests, escalations, volunteers' groups

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "help_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "building_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "requester_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("for_whom", sa.String(length=10), nullable=False),
        sa.Column("unit", sa.String(length=4), nullable=False),
        sa.Column("room", sa.String(length=12), nullable=False),
        sa.Column("category", sa.String(length=12), nullable=False),
        sa.Column("urgency", sa.String(length=8), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("additions", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("card_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_help_requests_building_id_buildings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_help_requests_household_id_households"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"],
            ["persons.id"],
            name=op.f("fk_help_requests_requester_id_persons"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_help_requests_task_id_tasks"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_requests")),
        sa.UniqueConstraint("task_id", name=op.f("uq_help_requests_task_id")),
    )
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_help_requests_building_id"), ["building_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_help_requests_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_help_requests_requester_id"), ["requester_id"], unique=False
        )

    op.create_table(
        "task_escalations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("step", sa.String(length=24), nullable=False),
        sa.Column("at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("notified", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_escalations_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_escalations")),
        sa.UniqueConstraint("task_id", "step", name=op.f("uq_task_escalations_task_id")),
    )
    with op.batch_alter_table("task_escalations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_escalations_task_id"), ["task_id"], unique=False)

    with op.batch_alter_table("bind_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("purpose", sa.String(length=10), nullable=False, server_default="residents")
        )

    with op.batch_alter_table("group_chats", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("purpose", sa.String(length=10), nullable=False, server_default="residents")
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("group_chats", schema=None) as batch_op:
        batch_op.drop_column("purpose")

    with op.batch_alter_table("bind_requests", schema=None) as batch_op:
        batch_op.drop_column("purpose")

    with op.batch_alter_table("task_escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_escalations_task_id"))

    op.drop_table("task_escalations")
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_help_requests_requester_id"))
        batch_op.drop_index(batch_op.f("ix_help_requests_household_id"))
        batch_op.drop_index(batch_op.f("ix_help_requests_building_id"))

    op.drop_table("help_requests")
