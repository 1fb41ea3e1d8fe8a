"""group-buys

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:31:57.405003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "groupbuys",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "building_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("deadline", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("pickup_place", sa.String(length=120), nullable=True),
        sa.Column("pickup_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("min_units", sa.Integer(), nullable=True),
        sa.Column("awaiting_decision", sa.Boolean(), nullable=False),
        sa.Column(
            "created_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("arrived_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_groupbuys_building_id_buildings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["persons.id"],
            name=op.f("fk_groupbuys_created_by_persons"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groupbuys")),
    )
    with op.batch_alter_table("groupbuys", schema=None) as batch_op:
        batch_op.create_index("ix_groupbuys_status_deadline", ["status", "deadline"], unique=False)

    op.create_table(
        "groupbuy_items",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "groupbuy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("price_cents", sa.Integer(), nullable=False),
        sa.Column("max_per_household", sa.Integer(), nullable=True),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("remaining", sa.Integer(), nullable=True),
        sa.CheckConstraint("remaining >= 0", name=op.f("ck_groupbuy_items_remaining_not_negative")),
        sa.ForeignKeyConstraint(
            ["groupbuy_id"],
            ["groupbuys.id"],
            name=op.f("fk_groupbuy_items_groupbuy_id_groupbuys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groupbuy_items")),
        sa.UniqueConstraint("groupbuy_id", "code", name=op.f("uq_groupbuy_items_groupbuy_id")),
    )
    op.create_table(
        "groupbuy_orders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "groupbuy_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "household_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("paid_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("pickup_code", sa.String(length=8), nullable=True),
        sa.Column("picked_up_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["groupbuy_id"],
            ["groupbuys.id"],
            name=op.f("fk_groupbuy_orders_groupbuy_id_groupbuys"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_groupbuy_orders_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groupbuy_orders")),
        sa.UniqueConstraint(
            "groupbuy_id", "household_id", name=op.f("uq_groupbuy_orders_groupbuy_id")
        ),
        sa.UniqueConstraint(
            "groupbuy_id", "pickup_code", name=op.f("uq_groupbuy_orders_pickup_code")
        ),
    )
    op.create_table(
        "groupbuy_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("waitlisted", sa.Integer(), nullable=False),
        sa.Column("waitlisted_at", models.base.UtcDateTime(timezone=True), nullable=True),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_groupbuy_lines_quantity_not_negative")),
        sa.CheckConstraint(
            "waitlisted >= 0", name=op.f("ck_groupbuy_lines_waitlisted_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["groupbuy_items.id"],
            name=op.f("fk_groupbuy_lines_item_id_groupbuy_items"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["groupbuy_orders.id"],
            name=op.f("fk_groupbuy_lines_order_id_groupbuy_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_groupbuy_lines")),
        sa.UniqueConstraint("order_id", "item_id", name=op.f("uq_groupbuy_lines_order_id")),
    )
    with op.batch_alter_table("groupbuy_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_groupbuy_lines_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            "ix_groupbuy_lines_waitlist", ["item_id", "waitlisted", "waitlisted_at"], unique=False
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("groupbuy_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_groupbuy_lines_waitlist")
        batch_op.drop_index(batch_op.f("ix_groupbuy_lines_order_id"))

    op.drop_table("groupbuy_lines")
    op.drop_table("groupbuy_orders")
    op.drop_table("groupbuy_items")
    with op.batch_alter_table("groupbuys", schema=None) as batch_op:
        batch_op.drop_index("ix_groupbuys_status_deadline")

    op.drop_table("groupbuys")
