import re

import sqlalchemy as sa

from portal import create_app
from portal.accounts.models import User
from portal.core.roles import Role

GENERIC = "メールアドレスまたはパスワードが正しくありません。"


def test_generic_error_for_wrong_password_and_unknown_account(client, make_user) -> None:
    user = make_user()
    wrong = client.post("/login", data={"email": user.email, "password": "nope nope nope"})
    unknown = client.post(
        "/login", data={"email": "ghost@test.example", "password": "nope nope nope"}
    )
    assert GENERIC in wrong.get_data(as_text=True)
    assert GENERIC in unknown.get_data(as_text=True)
    assert wrong.status_code == unknown.status_code == 200


def test_rate_limit_per_account(client, make_user) -> None:
    user = make_user()
    for _ in range(5):
        assert (
            client.post("/login", data={"email": user.email, "password": "wrong one"}).status_code
            == 200
        )
    # Even the right password is refused now, without saying whether it was right.
    blocked = client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    assert blocked.status_code == 429
    assert "試行回数" in blocked.get_data(as_text=True)
    # Another account from the same address is not blocked by this account's limit.
    other = make_user()
    ok = client.post("/login", data={"email": other.email, "password": "correct horse battery"})
    assert ok.status_code == 302


def test_rate_limit_per_address(client, make_user) -> None:
    for i in range(20):
        client.post("/login", data={"email": f"guess{i}@test.example", "password": "x"})
    user = make_user()
    response = client.post(
        "/login", data={"email": user.email, "password": "correct horse battery"}
    )
    assert response.status_code == 429


def test_logout_requires_post_and_ends_session(client, make_user, login) -> None:
    login(make_user())
    assert client.get("/logout").status_code == 405
    client.post("/logout")
    assert client.get("/staff/").status_code == 302


def test_csrf_enforced_on_login_and_htmx_header(tmp_path) -> None:
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'csrf.sqlite3'}",
            "SECRET_KEY": "x",
        }
    )
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert client.post("/login", data={"email": "a@b.c", "password": "x"}).status_code == 400
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    # The token on <body hx-headers> is accepted as a header (what htmx sends).
    response = client.post(
        "/lang", data={"lang": "en", "next": "/login"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 303


def test_staff_invites_supplier_user_link_works_once(
    client, make_user, make_supplier, login, session, mailbox
) -> None:
    login(make_user(Role.OPERATOR))
    supplier = make_supplier(name="庄原テスト農園")
    response = client.post(
        f"/staff/suppliers/{supplier.id}/users",
        data={"name": "山田 太郎", "email": "yamada@farm.example"},
    )
    assert response.status_code == 303
    assert len(mailbox.messages) == 1
    body = mailbox.body()
    link = re.search(r"http://portal\.test(/invitation/\S+)", body).group(1)
    client.post("/logout")
    response = client.post(link, data={"password": "new secret pass", "confirm": "new secret pass"})
    assert response.status_code == 303 and response.headers["Location"] == "/supplier/"
    client.post("/logout")
    again = client.get(link)
    assert again.status_code == 410
    user = session.scalar(sa.select(User).where(User.email == "yamada@farm.example"))
    assert user.supplier_id == supplier.id


def test_supplier_cannot_invite(client, make_user, make_supplier, login) -> None:
    login(make_user(Role.SUPPLIER))
    s = make_supplier()
    assert (
        client.post(
            f"/staff/suppliers/{s.id}/users", data={"name": "x", "email": "x@y.z"}
        ).status_code
        == 403
    )


def test_city_cannot_invite(client, make_user, make_supplier, login) -> None:
    login(make_user(Role.CITY))
    s = make_supplier()
    assert (
        client.post(
            f"/staff/suppliers/{s.id}/users", data={"name": "x", "email": "x@y.z"}
        ).status_code
        == 403
    )
