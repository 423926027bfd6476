"""Staff sign in with password + a code from their authenticator app; suppliers do not."""

import re

import pyotp
import sqlalchemy as sa

from portal.accounts.models import User
from portal.core.audit import AuditEntry
from portal.core.roles import Role
from tests.conftest import PASSWORD, TOTP_SECRET


def _password(client, user):
    return client.post("/login", data={"email": user.email, "password": PASSWORD})


def test_staff_password_alone_does_not_sign_in(client, make_user) -> None:
    user = make_user(Role.OPERATOR)
    response = _password(client, user)
    assert response.location.endswith("/login/code")
    # Not signed in yet: staff pages still send the user to the login page.
    assert "/login" in client.get("/staff/").location
    page = client.get("/login/code").get_data(as_text=True)
    assert "確認コードを入力してください" in page


def test_right_code_signs_in_and_the_same_code_never_works_twice(client, make_user) -> None:
    user = make_user(Role.CITY)
    _password(client, user)
    code = pyotp.TOTP(TOTP_SECRET).now()
    ok = client.post("/login/code", data={"code": code})
    assert ok.status_code == 303
    assert client.get("/staff/").status_code == 200
    client.post("/logout")
    # Someone who saw that code (and knows the password) cannot reuse it.
    _password(client, user)
    replay = client.post("/login/code", data={"code": code})
    assert replay.status_code == 200
    assert "すでに使われています" in replay.get_data(as_text=True)
    assert "/login" in client.get("/staff/").location


def test_full_width_code_with_spaces_is_accepted(client, make_user) -> None:
    user = make_user(Role.OPERATOR)
    _password(client, user)
    code = pyotp.TOTP(TOTP_SECRET).now()
    typed = " ".join(chr(ord(c) + 0xFEE0) for c in code)  # ０１２ ３４５ style
    assert client.post("/login/code", data={"code": typed}).status_code == 303


def test_wrong_codes_are_limited(client, make_user) -> None:
    user = make_user(Role.OPERATOR)
    _password(client, user)
    for _ in range(5):
        assert client.post("/login/code", data={"code": "000000"}).status_code == 200
    blocked = client.post("/login/code", data={"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert blocked.status_code == 429
    assert "/login" in client.get("/staff/").location


def test_code_page_without_password_step_goes_back_to_login(client) -> None:
    response = client.get("/login/code")
    assert response.status_code == 303
    assert response.location.endswith("/login")


def test_first_sign_in_enrols_an_authenticator(client, make_user, session) -> None:
    user = make_user(Role.OPERATOR, totp_secret=None)
    assert _password(client, user).location.endswith("/login/code/setup")
    page = client.get("/login/code/setup").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page  # the QR code
    secret = re.search(r'class="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    wrong = client.post("/login/code/setup", data={"code": "123456"})
    assert "確認コードが正しくありません" in wrong.get_data(as_text=True)
    assert session.get(User, user.id).totp_secret is None
    ok = client.post("/login/code/setup", data={"code": pyotp.TOTP(secret).now()})
    assert ok.status_code == 303
    assert client.get("/staff/").status_code == 200
    assert session.get(User, user.id).totp_secret == secret
    actions = session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.subject_id == str(user.id))
    ).all()
    assert "totp.enrolled" in actions


def test_suppliers_sign_in_with_password_only(client, make_user) -> None:
    user = make_user(Role.SUPPLIER)
    response = _password(client, user)
    assert response.location.endswith("/supplier/")
    assert client.get("/supplier/").status_code == 200


def test_reset_totp_command_makes_the_user_enrol_again(runner, make_user, session) -> None:
    user = make_user(Role.OPERATOR)
    before = user.session_version
    result = runner.invoke(args=["reset-totp", user.email])
    assert result.exit_code == 0, result.output
    session.refresh(user)
    assert user.totp_secret is None
    assert user.session_version == before + 1
