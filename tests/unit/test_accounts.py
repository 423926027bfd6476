from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.accounts import accounts
from portal.accounts.models import Invitation, User
from portal.accounts.passwords import hash_password, verify_password
from portal.core.errors import DomainError
from portal.core.models import utcnow
from portal.core.roles import Role


@pytest.mark.usefixtures("session")
def test_password_hash_is_argon2id_and_verifies() -> None:
    h = hash_password("a long passphrase")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "a long passphrase")
    assert not verify_password(h, "a long passphrasE")
    assert not verify_password("", "anything")


def test_authenticate_right_wrong_unknown(session, make_user) -> None:
    user = make_user(Role.OPERATOR)
    assert accounts.authenticate(session, user.email.upper(), "correct horse battery") == user
    assert accounts.authenticate(session, user.email, "wrong password!") is None
    assert accounts.authenticate(session, "nobody@test.example", "correct horse battery") is None
    user.active = False
    assert accounts.authenticate(session, user.email, "correct horse battery") is None


@pytest.mark.usefixtures("make_supplier")
def test_create_user_rules(session) -> None:
    with pytest.raises(DomainError):
        accounts.create_user(session, "s@test.example", Role.SUPPLIER)  # no company
    with pytest.raises(DomainError):
        accounts.create_user(session, "o@test.example", Role.OPERATOR, password="short")
    u = accounts.create_user(session, " Mixed@Test.Example ", Role.CITY, password="long enough pw")
    assert u.email == "mixed@test.example"
    with pytest.raises(DomainError):
        accounts.create_user(session, "mixed@test.example", Role.CITY)


def test_invitation_single_use(session, make_user) -> None:
    user = make_user(Role.SUPPLIER, password_hash="")
    token = accounts.invite(session, user, by_user=None)
    accounts.accept_invitation(session, token, "my new password")
    assert verify_password(user.password_hash, "my new password")
    with pytest.raises(DomainError):
        accounts.accept_invitation(session, token, "another password")


def test_invitation_expires_after_72_hours(session, make_user) -> None:
    user = make_user(Role.SUPPLIER, password_hash="")
    token = accounts.invite(session, user, by_user=None)
    inv = session.scalar(sa.select(Invitation).where(Invitation.user_id == user.id))
    assert timedelta(hours=71, minutes=59) < inv.expires_at - utcnow() <= timedelta(hours=72)
    inv.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(DomainError):
        accounts.accept_invitation(session, token, "my new password")
    assert session.get(User, user.id).password_hash == ""


@pytest.mark.usefixtures("session")
def test_password_change_ends_other_sessions(make_user) -> None:
    user = make_user()
    old_id = user.get_id()
    accounts.set_password(user, "a different passphrase")
    assert user.get_id() != old_id


@pytest.mark.parametrize(
    "weak",
    [
        "password1234",  # breached-password lists' favourites
        "qwertyuiop12",  # a keyboard row
        "iloveyou1234",
        "aaaaaaaaaaaaaaa",  # a repeat
        "Password2026!",
    ],
)
def test_common_and_guessable_passwords_are_refused(make_user, weak) -> None:
    user = make_user(Role.SUPPLIER, email="shobara@farm.example")
    with pytest.raises(DomainError) as refused:
        accounts.set_password(user, weak)
    assert "推測されやすい" in str(refused.value.message)


def test_passwords_need_twelve_characters(make_user) -> None:
    user = make_user(Role.SUPPLIER)
    with pytest.raises(DomainError) as refused:
        accounts.set_password(user, "Zq8#vT!2mK")  # 10 characters, random
    assert "12文字以上" in str(refused.value.message)
    accounts.set_password(user, "Zq8#vT!2mK9@")  # 12 random characters pass
    accounts.set_password(user, "blue kettle under the bridge")  # and so does a phrase
