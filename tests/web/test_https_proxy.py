"""HTTPS behind a reverse proxy (issue 16 item 2): TRUSTED_PROXIES decides whether
X-Forwarded-* is believed; a secure request gets Secure cookies and HSTS; mail links come from
PUBLIC_BASE_URL whatever Host the request named; rate limits count the real client."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from portal import create_app
from portal.core.roles import Role
from portal.extensions import db
from tests.conftest import PASSWORD
from tests.web.test_support import supplier_conv

FORWARDED_HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


def _app(tmp_path, **extra):
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'proxy.sqlite3'}",
            "RATELIMIT_STORAGE_URI": "memory://",
            **extra,
        }
    )


def test_behind_a_trusted_proxy_https_gives_secure_cookies_and_hsts(tmp_path) -> None:
    client = _app(tmp_path, TRUSTED_PROXIES=1).test_client()
    response = client.get("/login", headers=FORWARDED_HTTPS)
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=") and "Secure" in cookie and "HttpOnly" in cookie
    # The language cookie too.
    lang = client.post("/lang", data={"lang": "en", "next": "/login"}, headers=FORWARDED_HTTPS)
    assert "Secure" in lang.headers["Set-Cookie"]


def test_without_trusted_proxies_forwarded_headers_are_ignored(tmp_path) -> None:
    client = _app(tmp_path).test_client()
    response = client.get("/login", headers=FORWARDED_HTTPS)
    assert "Strict-Transport-Security" not in response.headers
    assert "Secure" not in response.headers["Set-Cookie"]


def test_a_direct_https_request_is_secure_without_any_proxy(tmp_path) -> None:
    client = _app(tmp_path).test_client()
    response = client.get("/login", base_url="https://portal.example")
    assert "Strict-Transport-Security" in response.headers
    assert "Secure" in response.headers["Set-Cookie"]


def _bad_logins(client, n: int, forwarded_for: str | None, first: int = 0) -> None:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    for i in range(first, first + n):
        client.post(
            "/login", data={"email": f"guess{i}@test.example", "password": "x"}, headers=headers
        )


def test_behind_a_proxy_one_address_cannot_lock_everyone_out(tmp_path) -> None:
    app = _app(tmp_path, TRUSTED_PROXIES=1, WTF_CSRF_ENABLED=False)
    with app.app_context():
        db.create_all()
    client = app.test_client()
    _bad_logins(client, 20, "198.51.100.9")  # an attacker, seen through the proxy
    attempt = {"email": "someone@test.example", "password": "not it"}
    blocked = client.post("/login", data=attempt, headers={"X-Forwarded-For": "198.51.100.9"})
    assert blocked.status_code == 429
    # Someone else behind the same proxy is not locked out with the attacker.
    other = client.post("/login", data=attempt, headers={"X-Forwarded-For": "192.0.2.44"})
    assert other.status_code == 200


def test_a_forged_forwarded_for_is_ignored_without_trusted_proxies(client, make_user) -> None:
    for i in range(20):  # each try claims another address; the real one is the same
        _bad_logins(client, 1, f"198.51.100.{i}", first=i)
    user = make_user(Role.SUPPLIER)
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "192.0.2.44"},
    )
    assert response.status_code == 429


@pytest.fixture()
def public_base(app) -> Iterator[str]:
    before = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = "https://furusato.city.example"
    try:
        yield "https://furusato.city.example"
    finally:
        app.config["PUBLIC_BASE_URL"] = before


EVIL = {"Host": "evil.example"}


def _as_evil_host(client) -> None:
    """The signed-in cookie also sent to the forged host (a proxy that passes Host through)."""
    cookie = client.get_cookie("session", domain="portal.test")
    client.set_cookie("session", cookie.value, domain="evil.example")


def test_invitation_links_come_from_public_base_url_not_the_host_header(
    client, make_user, make_supplier, login, mailbox, public_base
) -> None:
    login(make_user(Role.OPERATOR))
    supplier = make_supplier()
    _as_evil_host(client)
    response = client.post(
        f"/staff/suppliers/{supplier.id}/users",
        data={"name": "山田 太郎", "email": "yamada@farm.example"},
        headers=EVIL,
    )
    assert response.status_code == 303
    body = mailbox.body()
    assert re.search(rf"{re.escape(public_base)}/invitation/\S+", body)
    assert "evil.example" not in body and "portal.test" not in body


def test_supplier_reply_mail_links_come_from_public_base_url(
    client, session, make_user, login, mailbox, public_base
) -> None:
    supplier_user = make_user(Role.SUPPLIER)
    conv = supplier_conv(session, supplier_user.supplier)
    login(make_user(Role.OPERATOR))
    _as_evil_host(client)
    client.post(f"/support/{conv.id}/reply", data={"body": "発送できます"}, headers=EVIL)
    body = mailbox.body()
    assert f"{public_base}/supplier/support/{conv.id}" in body
    assert "evil.example" not in body
