"""SQLite: drop ix_donation_search_email_eq, a second B-tree on donation.search_email

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-03

0023 gave PostgreSQL a B-tree on search_email beside its trigram (GIN) index, for an exact
address, and created the same B-tree on SQLite too — where ix_donation_search_email already is
a plain B-tree on that column. The copy answered nothing the first did not, and every donation
written paid for it (bench/import.py: ~0.14 CPU-s per 100,000 donations on SQLite). PostgreSQL
keeps it (the model creates it there only: portal.core.models.BACKEND_ONLY_INDEXES).
"""

from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.drop_index("ix_donation_search_email_eq", "donation")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.create_index("ix_donation_search_email_eq", "donation", ["search_email"])
