"""Settings read from the environment; nothing else decides configuration."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """A stable key for development; production must set SECRET_KEY."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    INSTANCE.mkdir(exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        INSTANCE.mkdir(exist_ok=True)
        return f"sqlite:///{INSTANCE / 'portal.sqlite3'}"
    # Heroku-style URLs name the old driver; we use psycopg 3.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class UnsafeConfig(RuntimeError):
    """A setting that would silently weaken a protection; the app does not start."""


def check_shared_storage(cfg: Mapping[str, object]) -> None:
    """Rate limits counted per process are no limits with several workers behind a proxy."""
    storage = str(cfg.get("RATELIMIT_STORAGE_URI") or "memory://")
    workers = int(str(cfg.get("WEB_CONCURRENCY") or 1))
    if storage.startswith("memory://") and (workers > 1 or cfg.get("PRODUCTION")):
        raise UnsafeConfig(
            "RATELIMIT_STORAGE_URI is memory:// but WEB_CONCURRENCY > 1 or PRODUCTION is set: "
            "each worker would count login and donor look-up attempts alone. "
            "Set REDIS_URL (e.g. redis://127.0.0.1:6379/0)."
        )


def from_env(given: Mapping[str, object] | None = None) -> dict[str, object]:
    """Settings from the environment. What `given` (a test configuration) already sets is not
    computed, so a test app writes no secret key or database file into instance/."""
    given = given or {}
    url = str(given.get("SQLALCHEMY_DATABASE_URI") or database_url())
    return {
        "SECRET_KEY": given.get("SECRET_KEY") or _secret_key(),
        # Fernet key(s) for secrets at rest (TOTP secrets; portal/core/secrets_at_rest.py):
        # comma-separated, the first encrypts. Empty: derived from SECRET_KEY.
        "DATA_ENCRYPTION_KEY": os.environ.get("DATA_ENCRYPTION_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": url,
        # A server's connections can be dropped under the pool (a restart, an idle timeout):
        # each checkout is pinged first. A SQLite file cannot drop one, so no ping per request.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not url.startswith("sqlite")},
        # Flask-WTF: the token lives as long as the session, so a page left open all
        # day (the support inbox) does not start failing after the default hour.
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "BABEL_DEFAULT_LOCALE": "ja",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Tokyo",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "translations"),
        "LANGUAGES": ["ja", "en"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Always Secure when set; otherwise Secure whenever the request came over HTTPS
        # (directly, or through TRUSTED_PROXIES that say so in X-Forwarded-Proto).
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        # How many reverse proxies stand in front of the portal (0: none, the default). Only
        # then are X-Forwarded-For / -Proto believed: the client address (rate limits, audit
        # rows) and HTTPS (Secure cookies, HSTS) come from the last N hops.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0") or 0),
        "HSTS_MAX_AGE": int(os.environ.get("HSTS_MAX_AGE", str(365 * 24 * 3600))),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # A supplier's cookie may outlive the browser this long; the server-side session
        # (portal.accounts.sessions) still ends it after 8 idle hours or 30 days.
        "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
        # The cookie is sent again only when the session changed, not on every response
        # (no signing and Set-Cookie per request). What ends a session is on the server and
        # in the cookie's own timestamps, never the cookie's expiry: the staff and supplier
        # server-side sessions (idle and absolute limits, checked on every request), and the
        # donor session's "seen"/"since" (portal.web.donor.scope). A supplier's permanent
        # cookie then expires 30 days after the sign-in wrote it, which is the absolute limit.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024,
        # Rate limits: memory on one process, Redis when REDIS_URL is set. With more than
        # one worker (WEB_CONCURRENCY, as gunicorn reads it) or PRODUCTION=1, start-up refuses
        # memory:// (check_shared_storage): each worker would count alone.
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL", "memory://"),
        "WEB_CONCURRENCY": int(os.environ.get("WEB_CONCURRENCY", "1") or "1"),
        "PRODUCTION": _bool("PRODUCTION", False),
        "RATELIMIT_HEADERS_ENABLED": False,
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes"),
        "LOGIN_LIMIT_PER_ADDRESS": os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "20 per 15 minutes"),
        "PASSWORD_RESET_LIMIT_PER_EMAIL": os.environ.get(
            "PASSWORD_RESET_LIMIT_PER_EMAIL", "3 per hour"
        ),
        "PASSWORD_RESET_LIMIT_PER_ADDRESS": os.environ.get(
            "PASSWORD_RESET_LIMIT_PER_ADDRESS", "10 per hour"
        ),
        # Mail: smtp://host:port, or file:///dir for a development outbox.
        "MAIL_URL": os.environ.get("MAIL_URL", f"file://{INSTANCE / 'outbox'}"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "furusato@city.shobara.example"),
        # Background jobs: Redis when REDIS_URL is set, else a SQLite file beside the db.
        "JOBS_URL": os.environ.get("JOBS_URL", os.environ.get("REDIS_URL", "")),
        "JOBS_IMMEDIATE": _bool("JOBS_IMMEDIATE", False),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(INSTANCE / "uploads")),
        "DOCUMENT_DIR": os.environ.get("DOCUMENT_DIR", str(INSTANCE / "documents")),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # The city this installation serves (documents and pages name it).
        "CITY_NAME": os.environ.get("CITY_NAME", "庄原市"),
        # … and as the English pages name it (documents keep CITY_NAME, the legal name). Only
        # the default city has a default: another city's English pages show its CITY_NAME
        # until CITY_NAME_EN is set, never Shobara's.
        "CITY_NAME_EN": os.environ.get(
            "CITY_NAME_EN",
            "Shobara City" if os.environ.get("CITY_NAME", "庄原市") == "庄原市" else "",
        ),
        # Uploaded images with more pixels are refused on their header (portal/core/images.py).
        "IMAGE_MAX_PIXELS": int(os.environ.get("IMAGE_MAX_PIXELS", "30000000")),
        # The city's contacts for a security incident (comma-separated), mailed at once.
        "INCIDENT_CONTACTS": os.environ.get("INCIDENT_CONTACTS", ""),
        # Donor notices (portal.donors.notify): portals that mail their own acceptance
        # (comma-separated values of Portal), and how old an event may be and still be mailed.
        "NOTICE_PORTALS_CONFIRMING": os.environ.get(
            "NOTICE_PORTALS_CONFIRMING", "choice,rakuten,furunavi,jal,satofull"
        ),
        # Portals that grant points to donors (comma-separated values of Portal). Since
        # 2025-10-01 a city may not recruit through them: each one listed is warned about on
        # the staff dashboards and the gift list until it is taken off (portals.py).
        "PORTALS_GRANTING_POINTS": os.environ.get("PORTALS_GRANTING_POINTS", ""),
        "NOTICE_MAX_AGE_DAYS": int(os.environ.get("NOTICE_MAX_AGE_DAYS", "14")),
        # Retention of personal data (個人情報取扱特記事項 第12; `flask erase-personal-data`,
        # portal/erasure/): a donor's data is kept until RETENTION_DONOR_YEARS after the end
        # of the 年度 of the donation (a conversation's text: of its last message; an
        # incident's: of when it was noticed); chat attachments RETENTION_ATTACHMENT_DAYS
        # after the conversation closed; uploaded import files RETENTION_IMPORT_FILE_DAYS.
        "RETENTION_DONOR_YEARS": int(os.environ.get("RETENTION_DONOR_YEARS", "7")),
        "RETENTION_ATTACHMENT_DAYS": int(os.environ.get("RETENTION_ATTACHMENT_DAYS", "365")),
        "RETENTION_IMPORT_FILE_DAYS": int(os.environ.get("RETENTION_IMPORT_FILE_DAYS", "90")),
        "CITY_PREFECTURE": os.environ.get("CITY_PREFECTURE", "広島県"),
        "CITY_MAYOR": os.environ.get("CITY_MAYOR", "庄原市長 木山 耕三"),
        "INVITATION_HOURS": 72,
        # How long the analytics page keeps a 年度's figures per process (seconds; 0: never).
        "ANALYTICS_CACHE_SECONDS": int(os.environ.get("ANALYTICS_CACHE_SECONDS", "300")),
        # The operator's account the supplier payments are sent from (全銀 総合振込 header):
        # 委託者コード given by the bank, 振込依頼人名 in half-width kana, and the account.
        "PAYMENT_REMITTER_CODE": os.environ.get("PAYMENT_REMITTER_CODE", "0000000000"),
        "PAYMENT_REMITTER_NAME_KANA": os.environ.get(
            "PAYMENT_REMITTER_NAME_KANA", "ｼｮｳﾊﾞﾗｼﾌﾙｻﾄﾉｳｾﾞｲｳﾝｴｲｼﾞﾑｷｮｸ"
        ),
        "PAYMENT_REMITTER_NAME": os.environ.get(
            "PAYMENT_REMITTER_NAME", "庄原市ふるさと納税運営事務局"
        ),
        "PAYMENT_REMITTER_BANK": os.environ.get("PAYMENT_REMITTER_BANK", "0169"),
        "PAYMENT_REMITTER_BRANCH": os.environ.get("PAYMENT_REMITTER_BRANCH", "001"),
        "PAYMENT_REMITTER_ACCOUNT_TYPE": os.environ.get("PAYMENT_REMITTER_ACCOUNT_TYPE", "1"),
        "PAYMENT_REMITTER_ACCOUNT": os.environ.get("PAYMENT_REMITTER_ACCOUNT", "0000000"),
        # Each upload route has its own body limit (portal.web.uploads); MAX_CONTENT_LENGTH
        # is every other route's. Donation CSV uploads may be far larger (a December day's
        # export runs to tens of MB).
        "IMPORT_MAX_MB": int(os.environ.get("IMPORT_MAX_MB", "200")),
        "PAYMENT_UPLOAD_MAX_MB": int(os.environ.get("PAYMENT_UPLOAD_MAX_MB", "20")),
        "SHIPMENT_UPLOAD_MAX_MB": int(os.environ.get("SHIPMENT_UPLOAD_MAX_MB", "6")),
        "PROPOSAL_UPLOAD_MAX_MB": int(os.environ.get("PROPOSAL_UPLOAD_MAX_MB", "11")),
        "CHAT_UPLOAD_MAX_MB": int(os.environ.get("CHAT_UPLOAD_MAX_MB", "6")),
        # Receipt batches render on this many processes (default: every CPU).
        "RECEIPT_WORKERS": int(os.environ.get("RECEIPT_WORKERS", "0")) or None,
        # Donor look-ups: wrong entries per donation number / per IP, link requests per address.
        "DONOR_LIMIT_PER_NUMBER": os.environ.get("DONOR_LIMIT_PER_NUMBER", "5 per 15 minutes"),
        "DONOR_LIMIT_PER_EMAIL": os.environ.get("DONOR_LIMIT_PER_EMAIL", "3 per hour"),
        "DONOR_LIMIT_PER_IP": os.environ.get("DONOR_LIMIT_PER_IP", "30 per 15 minutes"),
        # Staff sign in with password + TOTP; only a demo or a browser test turns it off.
        "STAFF_TOTP_REQUIRED": _bool("STAFF_TOTP_REQUIRED", True),
    }
