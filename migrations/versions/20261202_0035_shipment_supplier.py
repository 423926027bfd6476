"""shipment.supplier_id: the supplier's shipments of a month counted from one index

Revision ID: 0035
Revises: 0031
Create Date: 2026-12-02

The supplier dashboard's 「今月の発送」 counted shipments joined to their orders for the
supplier: at 1,000,000 orders PostgreSQL hashed all 250,000 orders of the biggest supplier for
2,000 shipments (41 ms), and in late December a month holds hundreds of thousands of
shipments. A shipment's supplier is its order's and never changes, so it is kept on the
shipment (set when it is recorded) with an index on (supplier_id, shipped_on): the count is an
index range of that supplier's month. Backfilled from gift_order in one UPDATE.
"""

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shipment") as batch:
        batch.add_column(sa.Column("supplier_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE shipment SET supplier_id = "
        "(SELECT gift_order.supplier_id FROM gift_order WHERE gift_order.id = shipment.order_id)"
    )
    with op.batch_alter_table("shipment") as batch:
        batch.alter_column("supplier_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            "fk_shipment_supplier_id_supplier", "supplier", ["supplier_id"], ["id"]
        )
        batch.create_index("ix_shipment_supplier_shipped_on", ["supplier_id", "shipped_on"])


def downgrade() -> None:
    with op.batch_alter_table("shipment") as batch:
        batch.drop_index("ix_shipment_supplier_shipped_on")
        batch.drop_constraint("fk_shipment_supplier_id_supplier", type_="foreignkey")
        batch.drop_column("supplier_id")
