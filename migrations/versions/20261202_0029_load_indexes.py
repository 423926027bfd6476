"""What bench/load.py found at 1,000,000 donations: figure_snapshot (the staff dashboard's
whole-year figures, counted by the worker once a minute: portal/donations/snapshot.py) and
three indexes.

- shipment.shipped_on: the supplier dashboard's "shipped this month" read every shipment of
  the supplier (215 ms for the biggest one); now this month's shipments only.
- gift_order (status, ship_by): overdue orders (status ordered, ship-by passed) for the staff
  dashboard and the overdue list, without visiting every open order.
- support_conversation (last_message_at, id): the inbox's order and its keyset cursor.

Revision ID: 0029
Revises: 0026
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "figure_snapshot",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("today", sa.Date(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_figure_snapshot")),
    )
    op.create_index("ix_shipment_shipped_on", "shipment", ["shipped_on"])
    op.create_index("ix_gift_order_status_ship_by", "gift_order", ["status", "ship_by"])
    op.create_index(
        "ix_support_conversation_last_message", "support_conversation", ["last_message_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_support_conversation_last_message", "support_conversation")
    op.drop_index("ix_gift_order_status_ship_by", "gift_order")
    op.drop_index("ix_shipment_shipped_on", "shipment")
    op.drop_table("figure_snapshot")
