"""donor_access: donor sign-in links, attempt counters, donor requests (issue 6)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 (session 2)

"""
from alembic import op
import sqlalchemy as sa


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
