"""import_jobs: import jobs with progress, gift substitution (issue 3)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 (session 2)

"""
from alembic import op
import sqlalchemy as sa


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
