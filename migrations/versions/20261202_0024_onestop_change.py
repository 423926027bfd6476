"""onestop_return.change_*: the 申告特例申請事項変更届出書 (様式第55号の6) registered on the
one-stop record

Revision ID: 0024
Revises: 0022
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("onestop_return") as batch:
        batch.add_column(sa.Column("change_received_on", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("change_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("change_late", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("onestop_return") as batch:
        batch.drop_column("change_late")
        batch.drop_column("change_count")
        batch.drop_column("change_received_on")
