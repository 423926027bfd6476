"""Sessions are checked on the server: a copied cookie, a remember cookie, an idle or old
session, and every session after a password change, TOTP reset or "log out everywhere" are
refused (issue 16 item 1)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_login.utils import encode_cookie

from portal.accounts import totp
from portal.accounts.models import UserSession
from portal.core.roles import Role
from tests.conftest import PASSWORD, sign_in


def _cookie(client) -> str:
    return client.get_cookie("session", domain="portal.test").value


def _copy(app, cookie: str):
    other = app.test_client()
    other.set_cookie("session", cookie, domain="portal.test")
    return other


def _reaches_staff(client) -> bool:
    return client.get("/staff/").status_code == 200


def test_a_copied_cookie_is_refused_after_logout(app, client, make_user) -> None:
    sign_in(client, make_user(Role.OPERATOR))
    stolen = _cookie(client)
    assert _reaches_staff(_copy(app, stolen))  # the copy works while the session lives…
    client.post("/logout")
    # …and not once the owner has logged out, though its signature is still valid.
    assert "/login" in _copy(app, stolen).get("/staff/").location


def test_a_remember_cookie_alone_never_reaches_a_staff_page(app, client, make_user) -> None:
    user = make_user(Role.OPERATOR)
    with app.test_request_context():
        forged = encode_cookie(user.get_id())  # what Flask-Login's remember-me would set
    client.set_cookie("remember_token", forged, domain="portal.test")
    response = client.get("/staff/")
    assert response.status_code == 302 and "/login" in response.location


def test_login_page_offers_no_remember_me(client, make_user) -> None:
    assert 'name="remember"' not in client.get("/login").get_data(as_text=True)
    user = make_user(Role.SUPPLIER)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert "remember_token" not in response.headers.get("Set-Cookie", "")


def test_staff_session_ends_after_30_idle_minutes(client, make_user, frozen_clock) -> None:
    sign_in(client, make_user(Role.CITY))
    frozen_clock.advance(timedelta(minutes=29))
    assert _reaches_staff(client)  # use keeps it alive…
    frozen_clock.advance(timedelta(minutes=29))
    assert _reaches_staff(client)
    frozen_clock.advance(timedelta(minutes=31))
    assert "/login" in client.get("/staff/").location  # …30 minutes without a request end it


def test_staff_session_ends_after_12_hours_however_busy(client, make_user, frozen_clock) -> None:
    sign_in(client, make_user(Role.OPERATOR))
    for _ in range(24):
        frozen_clock.advance(timedelta(minutes=29))
        assert _reaches_staff(client)
    frozen_clock.advance(timedelta(minutes=29))  # 12 h 5 min after signing in
    assert "/login" in client.get("/staff/").location


def test_supplier_sessions_last_longer_but_not_forever(client, make_user, frozen_clock) -> None:
    sign_in(client, make_user(Role.SUPPLIER))
    frozen_clock.advance(timedelta(hours=7))
    assert client.get("/supplier/").status_code == 200
    frozen_clock.advance(timedelta(hours=8, minutes=1))
    assert "/login" in client.get("/supplier/").location


def test_polling_does_not_keep_a_session_alive(client, make_user, frozen_clock, session) -> None:
    sign_in(client, make_user(Role.OPERATOR))
    row = session.scalar(sa.select(UserSession))
    seen = row.last_seen_at
    frozen_clock.advance(timedelta(minutes=5))
    client.get("/support/1/poll")
    session.refresh(row)
    assert row.last_seen_at == seen
    client.get("/staff/")
    session.refresh(row)
    assert row.last_seen_at > seen


def test_password_change_ends_other_sessions_but_not_this_one(app, client, make_user) -> None:
    user = make_user(Role.SUPPLIER)
    sign_in(client, user)
    laptop = app.test_client()
    sign_in(laptop, user)
    stolen = _copy(app, _cookie(client))
    new = "a much better passphrase 2026"
    response = client.post("/account", data={"current": PASSWORD, "password": new, "confirm": new})
    assert response.status_code == 303
    assert client.get("/supplier/").status_code == 200  # this browser goes on
    assert "/login" in laptop.get("/supplier/").location
    assert "/login" in stolen.get("/supplier/").location


def test_password_change_needs_the_current_password(client, make_user) -> None:
    user = make_user(Role.SUPPLIER)
    sign_in(client, user)
    new = "a much better passphrase 2026"
    response = client.post(
        "/account", data={"current": "not my password", "password": new, "confirm": new}
    )
    assert response.status_code == 422
    assert "現在のパスワードが正しくありません" in response.get_data(as_text=True)


def test_logout_everywhere_ends_every_copy(app, client, make_user) -> None:
    user = make_user(Role.OPERATOR)
    sign_in(client, user)
    laptop = app.test_client()
    sign_in(laptop, user)
    page = client.get("/account").get_data(as_text=True)
    assert "（このブラウザ）" in page
    assert client.post("/account/logout-everywhere").status_code == 303
    assert "/login" in client.get("/staff/").location
    assert "/login" in laptop.get("/staff/").location


def test_totp_reset_ends_every_session(client, make_user, session) -> None:
    user = make_user(Role.CITY)
    sign_in(client, user)
    totp.reset(session, user, by_user=None)
    assert "/login" in client.get("/staff/").location


def test_the_session_id_is_new_at_every_sign_in(client, make_user, session) -> None:
    user = make_user(Role.OPERATOR)
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    # The password step alone creates no session.
    assert session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 0
    sign_in(client, user)
    first = session.scalars(sa.select(UserSession.token_hash)).all()
    client.post("/logout")
    sign_in(client, user)
    hashes = session.scalars(sa.select(UserSession.token_hash)).all()
    assert len(first) == 1 and len(hashes) == 2 and first[0] in hashes
    assert len(set(hashes)) == 2


def test_a_donor_session_ends_two_hours_after_the_look_up(client, make_donation, frozen_clock):
    from tests.web.test_donor_access import lookup

    d = make_donation()
    lookup(client, d.donation_no, "7270011")
    for _ in range(4):
        frozen_clock.advance(timedelta(minutes=29))
        assert client.get(f"/donor/donations/{d.id}").status_code == 200
    frozen_clock.advance(timedelta(minutes=5))  # 2 h 1 min after the look-up, never idle
    response = client.get(f"/donor/donations/{d.id}")
    assert response.status_code == 303 and response.headers["Location"].endswith("/donor/")
    assert "2時間たったため" in client.get("/donor/").get_data(as_text=True)
