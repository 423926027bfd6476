"""donation.applied_on index: the analytics page's 年度 ranges and its first-donation year

Revision ID: 0025
Revises: 0027
Create Date: 2026-12-02

The analytics queries (portal/analytics/queries.py) select donations by 寄附日 over two 年度; a
B-tree on applied_on serves the range when the table holds more years than the two, and makes
the selector's "first donation" (min(applied_on)) a single index probe instead of a scan.
"""

from alembic import op

revision = "0025"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_donation_applied_on", "donation", ["applied_on"])


def downgrade() -> None:
    op.drop_index("ix_donation_applied_on", table_name="donation")
