"""service recognition: redemptions, certificates, monthly thanks

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 20:36:37.006144
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "thanks_posts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "building_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_thanks_posts_building_id_buildings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_thanks_posts")),
        sa.UniqueConstraint("building_id", "month", name=op.f("uq_thanks_posts_building_id")),
    )
    op.create_table(
        "point_redemptions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("leader_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "building_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("half_points", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "half_points > 0", name=op.f("ck_point_redemptions_half_points_positive")
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_point_redemptions_building_id_buildings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["leader_id"],
            ["persons.id"],
            name=op.f("fk_point_redemptions_leader_id_persons"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_point_redemptions_person_id_persons"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_redemptions")),
    )
    with op.batch_alter_table("point_redemptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_point_redemptions_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "service_certificates",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column(
            "person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("community", sa.String(length=80), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("services", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("issued_at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_service_certificates_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_certificates")),
        sa.UniqueConstraint("code", name=op.f("uq_service_certificates_code")),
    )
    with op.batch_alter_table("service_certificates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_certificates_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "thanks_opt_outs",
        sa.Column(
            "person_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("at", models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_thanks_opt_outs_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_thanks_opt_outs")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("thanks_opt_outs")
    with op.batch_alter_table("service_certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_certificates_person_id"))

    op.drop_table("service_certificates")
    with op.batch_alter_table("point_redemptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_point_redemptions_person_id"))

    op.drop_table("point_redemptions")
    op.drop_table("thanks_posts")
