"""A forgotten password is reset through a mailed link: single use, 30 minutes, only its hash
stored, built from PUBLIC_BASE_URL, and the same answer whether the address has an account
(issue 16 item 8)."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from portal.accounts.models import PasswordReset
from portal.core.roles import Role
from tests.conftest import PASSWORD, sign_in

NEW = "a river stone in winter"


def _ask(client, email: str):
    return client.post("/password/forgot", data={"email": email})


def _link(mailbox) -> str:
    return re.search(r"http://portal\.test(/password/reset/\S+)", mailbox.body()).group(1)


def test_reset_link_sets_a_new_password_once(client, make_user, mailbox, session) -> None:
    user = make_user(Role.SUPPLIER)
    response = _ask(client, user.email.upper())
    assert response.status_code == 303
    assert len(mailbox.messages) == 1 and mailbox.messages[0]["To"] == user.email
    link = _link(mailbox)
    token = link.rsplit("/", 1)[1]
    stored = session.scalar(sa.select(PasswordReset.token_hash))
    assert stored and token not in stored  # only the hash is kept
    done = client.post(link, data={"password": NEW, "confirm": NEW})
    assert done.status_code == 303 and done.location.endswith("/login")
    assert client.post(link, data={"password": NEW, "confirm": NEW}).status_code == 410
    # The old password no longer works; the new one does.
    old = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert old.status_code == 200
    sign_in(client, user, NEW)
    assert client.get("/supplier/").status_code == 200


def test_unknown_address_gets_the_same_answer_and_no_mail(client, make_user, mailbox) -> None:
    user = make_user(Role.SUPPLIER)
    known = _ask(client, user.email)
    known_page = client.get(known.location).get_data(as_text=True)
    unknown = _ask(client, "nobody@test.example")
    unknown_page = client.get(unknown.location).get_data(as_text=True)
    assert known.status_code == unknown.status_code == 303
    assert "ご登録のアドレスであれば" in known_page and "ご登録のアドレスであれば" in unknown_page
    assert len(mailbox.messages) == 1


def test_reset_link_expires_after_30_minutes(client, make_user, mailbox, frozen_clock) -> None:
    user = make_user(Role.SUPPLIER)
    _ask(client, user.email)
    link = _link(mailbox)
    frozen_clock.advance(timedelta(minutes=31))
    response = client.post(link, data={"password": NEW, "confirm": NEW})
    assert response.status_code == 410
    assert "30分の期限切れ" in response.get_data(as_text=True)


def test_reset_ends_every_session_of_the_user(app, client, make_user, mailbox) -> None:
    user = make_user(Role.OPERATOR)
    laptop = app.test_client()
    sign_in(laptop, user)
    _ask(client, user.email)
    client.post(_link(mailbox), data={"password": NEW, "confirm": NEW})
    assert "/login" in laptop.get("/staff/").location


def test_a_weak_new_password_is_refused_and_the_link_still_works(
    client, make_user, mailbox
) -> None:
    user = make_user(Role.SUPPLIER)
    _ask(client, user.email)
    link = _link(mailbox)
    weak = client.post(link, data={"password": "password1234", "confirm": "password1234"})
    assert weak.status_code == 422 and "推測されやすい" in weak.get_data(as_text=True)
    assert client.post(link, data={"password": NEW, "confirm": NEW}).status_code == 303


def test_requests_are_limited_per_address_asked_for(client, make_user, mailbox) -> None:
    user = make_user(Role.SUPPLIER)
    for _ in range(5):
        _ask(client, user.email)
    assert len(mailbox.messages) == 3  # 3 per hour; the answer stays the same
