"""gift_proposal.temperature nullable: the band is chosen, never defaulted to 常温

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01

A draft saved before the supplier chose a band kept 常温 (the form's default) and an approved
proposal could list a frozen beef gift as ambient. Existing rows keep their band.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BAND = sa.Enum("ambient", "chilled", "frozen", name="temperatureband", native_enum=False, length=32)


def upgrade():
    with op.batch_alter_table("gift_proposal", schema=None) as batch_op:
        batch_op.alter_column("temperature", existing_type=BAND, nullable=True)


def downgrade():
    op.execute("UPDATE gift_proposal SET temperature = 'ambient' WHERE temperature IS NULL")
    with op.batch_alter_table("gift_proposal", schema=None) as batch_op:
        batch_op.alter_column("temperature", existing_type=BAND, nullable=False)
