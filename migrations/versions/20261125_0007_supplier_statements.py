"""supplier_statements: monthly statements (supplier portal, issue 4)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 (session 2)

"""
from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
