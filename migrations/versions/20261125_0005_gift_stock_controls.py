"""gift stock controls: paused flag with reason, total low-stock threshold

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 (session 2)

"""
from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("gift", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stock_paused", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("stock_paused_reason", sa.String(length=300), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("low_stock_threshold", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("gift", schema=None) as batch_op:
        batch_op.drop_column("low_stock_threshold")
        batch_op.drop_column("stock_paused_reason")
        batch_op.drop_column("stock_paused")
