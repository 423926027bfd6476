"""Migration 0017 converts what is already stored: a plain TOTP secret becomes a Fernet token
the model reads back, a survey token becomes its digest (so a mailed link keeps working),
and downgrading gives the plain secret back."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from portal import create_app
from portal.core.secrets_at_rest import decrypt, token_digest
from portal.extensions import db

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
TOKEN = "survey-link-token-Abc123_xyz"


def test_existing_secrets_and_tokens_are_converted(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": url,
         "RATELIMIT_STORAGE_URI": "memory://", "DATA_ENCRYPTION_KEY": "a key from config"}
    )  # fmt: skip
    with app.app_context():
        upgrade(revision="0012")
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO user_account (id, email, name, role, password_hash, active,"
                " session_version, created_at, updated_at, totp_secret) VALUES (1, 'a@b.jp',"
                " '', 'operator', 'x', 1, 1, '2026-11-01', '2026-11-01', :s)"
            ), {"s": SECRET})  # fmt: skip
            conn.execute(sa.text(
                "INSERT INTO support_conversation (id, customer_kind, customer_name,"
                " customer_email, subject, channel, status, is_complaint, resolution,"
                " last_message_at, last_customer_message_id, last_public_message_id,"
                " staff_read_upto, customer_read_upto, survey_token, created_at, updated_at)"
                " VALUES (1, 'donor', '', '', '', 'chat', 'closed', 0, '', '2026-11-01',"
                " 0, 0, 0, 0, :t, '2026-11-01', '2026-11-01')"
            ), {"t": TOKEN})  # fmt: skip
        upgrade()
        with db.engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT totp_secret FROM user_account")).scalar_one()
            digest = conn.execute(
                sa.text("SELECT survey_token FROM support_conversation")
            ).scalar_one()
        assert SECRET not in stored and decrypt(stored) == SECRET
        assert digest == token_digest(TOKEN)
        downgrade(revision="0012")
        with db.engine.connect() as conn:
            assert (
                conn.execute(sa.text("SELECT totp_secret FROM user_account")).scalar_one() == SECRET
            )
        db.engine.dispose()
