"""audit trail: a label in words, rows that cannot be changed or deleted; secrets at rest

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01

audit_entry.label names the subject as a city auditor reads it ("寄附 2026-000001").
On PostgreSQL a trigger refuses UPDATE and DELETE on audit_entry (the ORM refuses them too),
so not even a stray SQL statement through the application's role rewrites history.

user_account.totp_secret is encrypted with DATA_ENCRYPTION_KEY (Fernet; the column widens to
255 for the token) and support_conversation.survey_token keeps only the SHA-256 of the link
token: existing rows are converted here (a mailed survey link keeps working).
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TRIGGER_FN = """
CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_entry is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql
"""


def _config():
    from flask import current_app

    return current_app.config


def upgrade():
    from portal.core.secrets_at_rest import encrypt, token_digest

    bind = op.get_bind()
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret", existing_type=sa.String(length=64), type_=sa.String(length=255)
        )
    config = _config()
    users = sa.table("user_account", sa.column("id"), sa.column("totp_secret"))
    for uid, secret in bind.execute(
        sa.select(users.c.id, users.c.totp_secret).where(users.c.totp_secret.is_not(None))
    ).all():
        bind.execute(
            users.update().where(users.c.id == uid).values(totp_secret=encrypt(secret, config))
        )
    convs = sa.table("support_conversation", sa.column("id"), sa.column("survey_token"))
    for cid, token in bind.execute(
        sa.select(convs.c.id, convs.c.survey_token).where(convs.c.survey_token.is_not(None))
    ).all():
        bind.execute(
            convs.update().where(convs.c.id == cid).values(survey_token=token_digest(token))
        )
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
    # Survey digests cannot be turned back into tokens: open surveys are closed instead.
    from portal.core.secrets_at_rest import decrypt

    bind = op.get_bind()
    config = _config()
    users = sa.table("user_account", sa.column("id"), sa.column("totp_secret"))
    for uid, secret in bind.execute(
        sa.select(users.c.id, users.c.totp_secret).where(users.c.totp_secret.is_not(None))
    ).all():
        bind.execute(
            users.update().where(users.c.id == uid).values(totp_secret=decrypt(secret, config))
        )
    op.execute("UPDATE support_conversation SET survey_token = NULL")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.alter_column(
            "totp_secret", existing_type=sa.String(length=255), type_=sa.String(length=64)
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry")
        op.execute("DROP FUNCTION IF EXISTS audit_entry_append_only()")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_column("label")
