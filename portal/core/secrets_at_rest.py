"""Secrets kept in the database that must not be readable from a copy of it.

- A TOTP secret must stay usable (the server computes codes from it), so it is encrypted
  with Fernet (AES-128-CBC + HMAC-SHA256, from the maintained `cryptography` package) under
  a key from configuration: `DATA_ENCRYPTION_KEY` — one or more comma-separated keys, the
  first encrypts, all decrypt (rotation: put the new key first, re-save, drop the old one).
  A value that is not a Fernet key is stretched with SHA-256 into one; when the setting is
  empty the key is derived from `SECRET_KEY` (so a stolen database alone is not enough, but
  production should set its own key and keep it apart from the database backups).
- A one-time link token (the satisfaction survey) only has to be recognised, so only its
  SHA-256 digest is stored (`token_digest`).

`EncryptedText` is the column type: the model reads and writes plain text, the table holds
only ciphertext.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


def _fernet_key(raw: str) -> bytes:
    raw = raw.strip()
    try:
        if len(base64.urlsafe_b64decode(raw.encode())) == 32:
            return raw.encode()
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(raw.encode()).digest())


def fernet_for(config: Any) -> MultiFernet:
    configured = str(config.get("DATA_ENCRYPTION_KEY") or "")
    keys = [k for k in configured.split(",") if k.strip()]
    if not keys:
        keys = ["totp-at-rest:" + str(config["SECRET_KEY"])]
    return MultiFernet([Fernet(_fernet_key(k)) for k in keys])


def encrypt(value: str, config: Any | None = None) -> str:
    f = fernet_for(config if config is not None else current_app.config)
    return f.encrypt(value.encode()).decode()


def decrypt(value: str, config: Any | None = None) -> str:
    f = fernet_for(config if config is not None else current_app.config)
    try:
        return f.decrypt(value.encode()).decode()
    except InvalidToken as e:
        raise ValueError("a stored secret could not be decrypted with DATA_ENCRYPTION_KEY") from e


def token_digest(token: str) -> str:
    """What is stored for a one-time link token: its SHA-256 (64 hex characters)."""
    return hashlib.sha256(token.encode()).hexdigest()


class EncryptedText(sa.types.TypeDecorator[str]):
    """Text encrypted at rest with the application's DATA_ENCRYPTION_KEY."""

    impl = sa.String(255)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:  # noqa: ARG002
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> str | None:  # noqa: ARG002
        return None if value is None else decrypt(value)


def keyed_digest(value: str, config: Any | None = None) -> str:
    """An HMAC of `value` under SECRET_KEY: a rate-limit key (Redis) that names an account
    without holding its e-mail address in clear."""
    import hmac

    secret = str((config if config is not None else current_app.config)["SECRET_KEY"]).encode()
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:32]
