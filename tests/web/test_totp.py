"""Staff sign in with password + a code from their authenticator app; suppliers do not."""

import re

import pyotp
import sqlalchemy as sa

from portal.accounts import accounts, recovery
from portal.accounts.models import RecoveryCode, User
from portal.core.audit import AuditEntry
from portal.core.roles import Role
from tests.conftest import PASSWORD, TOTP_SECRET


def _password(client, user, password=PASSWORD):
    return client.post("/login", data={"email": user.email, "password": password})


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


def _enrol(client, session, user) -> list[str]:
    """On the enrolment page: scan (read the key), a wrong code, then the right one. Returns
    the recovery codes shown once at the end."""
    page = client.get("/login/code/setup").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page  # the QR code
    secret = re.search(r'class="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    wrong = client.post("/login/code/setup", data={"code": "123456"})
    assert "確認コードが正しくありません" in wrong.get_data(as_text=True)
    assert session.get(User, user.id).totp_secret is None
    ok = client.post("/login/code/setup", data={"code": pyotp.TOTP(secret).now()})
    assert ok.status_code == 200
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", ok.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/staff/").status_code == 200
    assert session.get(User, user.id).totp_secret == secret
    return codes


def test_the_invitation_enrols_a_new_staff_members_authenticator(
    client, make_user, session
) -> None:
    user = make_user(Role.OPERATOR, totp_secret=None, password_hash="")
    token = accounts.invite(session, user, by_user=None)
    response = client.post(
        f"/invitation/{token}",
        data={
            "password": "blue kettle under the bridge",
            "confirm": "blue kettle under the bridge",
        },
    )
    assert response.status_code == 303 and response.location.endswith("/login/code/setup")
    assert "/login" in client.get("/staff/").location  # not signed in before the code
    _enrol(client, session, user)
    actions = session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.subject_id == str(user.id))
    ).all()
    assert "totp.enrolled" in actions


def test_the_password_alone_never_enrols_an_authenticator(client, make_user, session) -> None:
    user = make_user(Role.OPERATOR, totp_secret=None)
    response = _password(client, user)
    assert response.status_code == 200
    assert "まだ登録されていません" in response.get_data(as_text=True)
    assert client.get("/login/code/setup").status_code == 303
    assert "/login" in client.get("/staff/").location
    assert session.get(User, user.id).totp_secret is None


def test_a_recovery_code_signs_in_once(client, make_user, session) -> None:
    user = make_user(Role.CITY, totp_secret=None, password_hash="")
    token = accounts.invite(session, user, by_user=None)
    phrase = "blue kettle under the bridge"
    client.post(f"/invitation/{token}", data={"password": phrase, "confirm": phrase})
    codes = _enrol(client, session, user)
    stored = session.scalars(sa.select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not any(c.replace("-", "") in h for c in codes for h in stored)
    client.post("/logout")
    _password(client, user, phrase)
    used = client.post("/login/code", data={"code": codes[3].upper()})
    assert used.status_code == 303
    assert client.get("/staff/").status_code == 200
    client.post("/logout")
    _password(client, user, phrase)
    again = client.post("/login/code", data={"code": codes[3]})
    assert again.status_code == 200 and "/login" in client.get("/staff/").location


def test_suppliers_sign_in_with_password_only(client, make_user) -> None:
    user = make_user(Role.SUPPLIER)
    response = _password(client, user)
    assert response.location.endswith("/supplier/")
    assert client.get("/supplier/").status_code == 200


def test_reset_totp_command_makes_the_user_enrol_again(client, runner, make_user, session) -> None:
    user = make_user(Role.OPERATOR)
    before = user.session_version
    result = runner.invoke(args=["reset-totp", user.email])
    assert result.exit_code == 0, result.output
    session.refresh(user)
    assert user.totp_secret is None
    assert user.session_version == before + 1
    # The printed enrolment link, with the user's password, leads to a new enrolment.
    link = re.search(r"http://portal\.test(/invitation/\S+)", result.output).group(1)
    wrong = client.post(link, data={"password": "not the password"})
    assert wrong.status_code == 422
    response = client.post(link, data={"password": PASSWORD})
    assert response.status_code == 303 and response.location.endswith("/login/code/setup")
    _enrol(client, session, user)
    client.post("/logout")
    assert client.post(link, data={"password": PASSWORD}).status_code == 410


def test_a_supplier_may_opt_in_to_codes_and_then_needs_them(client, make_user, session) -> None:
    user = make_user(Role.SUPPLIER)
    _password(client, user)
    page = client.get("/account/totp").get_data(as_text=True)
    secret = re.search(r'class="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    done = client.post("/account/totp", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    assert (
        len(re.findall(r"<code>[a-z2-9]{5}-[a-z2-9]{5}</code>", done.get_data(as_text=True))) == 10
    )
    client.post("/logout")
    # From now on the password alone is not enough.
    assert _password(client, user).location.endswith("/login/code")
    assert "/login" in client.get("/supplier/").location
    session.get(User, user.id).totp_last_step = None
    assert client.post("/login/code", data={"code": pyotp.TOTP(secret).now()}).status_code == 303
    assert client.get("/supplier/").status_code == 200


def test_new_recovery_codes_replace_the_old_ones(client, make_user, session) -> None:
    user = make_user(Role.SUPPLIER, totp_secret=TOTP_SECRET)
    old = recovery.issue(session, user)
    _password(client, user)
    client.post("/login/code", data={"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert "回復用コードの残り: 10個" in client.get("/account").get_data(as_text=True)
    refused = client.post("/account/recovery-codes", data={"password": "wrong password"})
    assert refused.status_code == 303
    page = client.post("/account/recovery-codes", data={"password": PASSWORD})
    new = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", page.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert not recovery.use(session, user, old[0])
    assert recovery.use(session, user, new[0])
