"""The access matrix: role × URL → status. Anonymous users go to login and come back."""

import pyotp
import pytest

from portal.core.roles import Role
from tests.conftest import TOTP_SECRET


def _second_factor(client, response):
    """Staff pass the code step; where they land afterwards is what the password step chose."""
    if response.headers["Location"].endswith("/login/code"):
        response = client.post("/login/code", data={"code": pyotp.TOTP(TOTP_SECRET).now()})
    return response


URLS = ["/staff/", "/staff/gifts", "/staff/suppliers", "/support/", "/supplier/"]
ALLOWED = {
    Role.OPERATOR_ADMIN: {"/staff/", "/staff/gifts", "/staff/suppliers", "/support/"},
    Role.OPERATOR: {"/staff/", "/staff/gifts", "/staff/suppliers", "/support/"},
    Role.CITY: {"/staff/", "/staff/gifts", "/staff/suppliers", "/support/"},
    Role.SUPPLIER: {"/supplier/"},
}


@pytest.mark.parametrize("role", list(Role))
def test_role_matrix(role, make_user, login, client) -> None:
    login(make_user(role))
    for url in URLS:
        response = client.get(url)
        expected = 200 if url in ALLOWED[role] else 403
        assert response.status_code == expected, (role, url)
        if expected == 403:
            body = response.get_data(as_text=True)
            assert "このページを見る権限がありません" in body


def test_forbidden_page_in_english(make_user, login, client) -> None:
    login(make_user(Role.SUPPLIER))
    # Use the real language switch: a bare set_cookie() lands on "localhost", not SERVER_NAME.
    client.post("/lang", data={"lang": "en"})
    body = client.get("/staff/").get_data(as_text=True)
    assert "You do not have permission to view this page" in body


@pytest.mark.parametrize("url", URLS)
def test_anonymous_goes_to_login_and_back(url, client, make_user) -> None:
    response = client.get(url + "?q=x")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    role = Role.SUPPLIER if url.startswith("/supplier") else Role.OPERATOR
    user = make_user(role)
    response = client.post(
        "/login?next=" + url, data={"email": user.email, "password": "correct horse battery"}
    )
    assert response.status_code == 302
    response = _second_factor(client, response)
    assert response.headers["Location"] == url


def test_public_pages(client) -> None:
    assert client.get("/login").status_code == 200
    assert client.get("/donor/").status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json["database"] == "ok"


def test_login_page_is_japanese_by_default(client) -> None:
    body = client.get("/login").get_data(as_text=True)
    assert '<html lang="ja">' in body
    assert "ログイン" in body and "メールアドレス" in body


def test_each_role_lands_on_its_dashboard(make_user, client) -> None:
    for role, target in [
        (Role.SUPPLIER, "/supplier/"),
        (Role.CITY, "/staff/"),
        (Role.OPERATOR, "/staff/"),
    ]:
        user = make_user(role)
        response = client.post(
            "/login", data={"email": user.email, "password": "correct horse battery"}
        )
        user.totp_last_step = None  # the same 30-second code for each role in this loop
        assert _second_factor(client, response).headers["Location"] == target
        client.post("/logout")


def test_open_redirect_refused(make_user, client) -> None:
    user = make_user(Role.OPERATOR)
    response = client.post(
        "/login?next=//evil.example/x",
        data={"email": user.email, "password": "correct horse battery"},
    )
    assert _second_factor(client, response).headers["Location"] == "/staff/"


def test_security_headers(client) -> None:
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "HX-Request" in response.headers["Vary"]
