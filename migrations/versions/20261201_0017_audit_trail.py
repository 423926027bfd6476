"""audit trail: a label in words, rows that cannot be changed or deleted

Revision ID: 0017
Revises: 0012
Create Date: 2026-12-01

audit_entry.label names the subject as a city auditor reads it ("寄附 2026-000001").
On PostgreSQL a trigger refuses UPDATE and DELETE on audit_entry (the ORM refuses them too),
so not even a stray SQL statement through the application's role rewrites history.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0012"
branch_labels = None
depends_on = None

TRIGGER_FN = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_entry is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def upgrade():
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("label", sa.String(length=255), nullable=False, server_default="")
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(TRIGGER_FN)
        op.execute(
            "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
            "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry")
        op.execute("DROP FUNCTION IF EXISTS audit_entry_append_only()")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_column("label")
