"""shipping: shipments and delivery problems (supplier portal, issue 4)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 (session 2)

"""
from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


CARRIERS = ("yamato", "sagawa", "japanpost", "other")


def upgrade():
    op.create_table(
        "shipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.Enum(*CARRIERS, name="carrier", native_enum=False, length=32), nullable=False),
        sa.Column("tracking_no", sa.String(length=40), nullable=False),
        sa.Column("shipped_on", sa.Date(), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("corrected_by_id", sa.Integer(), nullable=True),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["confirmed_by_id"], ["user_account.id"], name=op.f("fk_shipment_confirmed_by_id_user_account")),
        sa.ForeignKeyConstraint(["corrected_by_id"], ["user_account.id"], name=op.f("fk_shipment_corrected_by_id_user_account")),
        sa.ForeignKeyConstraint(["order_id"], ["gift_order.id"], name=op.f("fk_shipment_order_id_gift_order")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment")),
        sa.UniqueConstraint("order_id", name=op.f("uq_shipment_order_id")),
    )
    op.create_table(
        "shipment_upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"], name=op.f("fk_shipment_upload_created_by_id_user_account")),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"], name=op.f("fk_shipment_upload_supplier_id_supplier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_upload")),
        sa.UniqueConstraint("token", name=op.f("uq_shipment_upload_token")),
    )
    with op.batch_alter_table("shipment_upload", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipment_upload_supplier_id"), ["supplier_id"], unique=False)
    # Keyset pagination of a supplier's orders (portal/web/supplier_orders.py, bench/orders.py).
    with op.batch_alter_table("gift_order", schema=None) as batch_op:
        batch_op.create_index("ix_gift_order_supplier_ship_by", ["supplier_id", "ship_by", "id"], unique=False)
        batch_op.create_index(
            "ix_gift_order_supplier_status_ship_by", ["supplier_id", "status", "ship_by", "id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("gift_order", schema=None) as batch_op:
        batch_op.drop_index("ix_gift_order_supplier_status_ship_by")
        batch_op.drop_index("ix_gift_order_supplier_ship_by")
    with op.batch_alter_table("shipment_upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_upload_supplier_id"))
    op.drop_table("shipment_upload")
    op.drop_table("shipment")
