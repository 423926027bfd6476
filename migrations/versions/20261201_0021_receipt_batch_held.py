"""receipt_batch.unprintable: a batch waits for staff when a name has a character no font draws

Revision ID: 0021
Revises: 0013
Create Date: 2026-12-01

The new batch state "held" needs no schema change (states are plain strings); the list of
sets that cannot be printed as written is kept on the batch.
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("receipt_batch") as batch:
        batch.add_column(sa.Column("unprintable", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("receipt_batch") as batch:
        batch.drop_column("unprintable")
