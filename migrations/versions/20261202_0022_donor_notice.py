"""donor_notice: what each donor notification mailed (or why not), to whom, when

Revision ID: 0022
Revises: 0018
Create Date: 2026-12-02

One row per donor-facing timeline event the notifier handled; the mail body is not kept.
An index on timeline_event (kind, at) lets the notifier find recent events of its kinds.
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "donor_notice",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("donation_id", sa.Integer(), sa.ForeignKey("donation.id"), nullable=False),
        sa.Column("event_id", sa.Integer(), sa.ForeignKey("timeline_event.id"), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("event_id", name="uq_donor_notice_event_id"),
    )
    op.create_index("ix_donor_notice_donation_id", "donor_notice", ["donation_id"])
    op.create_index("ix_timeline_event_kind_at", "timeline_event", ["kind", "at"])


def downgrade() -> None:
    op.drop_index("ix_timeline_event_kind_at", table_name="timeline_event")
    op.drop_index("ix_donor_notice_donation_id", table_name="donor_notice")
    op.drop_table("donor_notice")
