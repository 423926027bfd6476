"""import_mapping: staff-edited, versioned import mappings per portal (issue 12 item 3)

Revision ID: 0014
Revises: 0019
Create Date: 2026-12-01

The shipped JSON mappings stay the defaults (version 0); every staff save is a new row, so
earlier versions are kept with who saved them and what changed.
"""

import sqlalchemy as sa
from alembic import op


revision = "0014"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("portal", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("restored_from", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_user_id"],
            ["user_account.id"],
            name=op.f("fk_import_mapping_by_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_mapping")),
        sa.UniqueConstraint("portal", "version", name=op.f("uq_import_mapping_portal_version")),
    )


def downgrade():
    op.drop_table("import_mapping")
