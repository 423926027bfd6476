"""gift_listing: each portal's own item ID (and URL, チョイス 管理コード) for a gift

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

An import resolves a line's item ID through this table for its portal (さとふる お礼品ID is
numeric, not our gift code), falling back to the gift code.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "gift_listing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gift_id", sa.Integer(), nullable=False),
        sa.Column("portal", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("manage_code", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("url", sa.String(length=500), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["gift_id"], ["gift.id"], name=op.f("fk_gift_listing_gift_id_gift")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gift_listing")),
        sa.UniqueConstraint("gift_id", "portal", name=op.f("uq_gift_listing_gift_id_portal")),
        sa.UniqueConstraint("portal", "item_id", name=op.f("uq_gift_listing_portal_item_id")),
    )
    with op.batch_alter_table("gift_listing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gift_listing_gift_id"), ["gift_id"], unique=False)


def downgrade():
    with op.batch_alter_table("gift_listing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gift_listing_gift_id"))
    op.drop_table("gift_listing")
