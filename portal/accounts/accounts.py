"""Use cases for accounts: create users, authenticate, invite, set passwords."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.accounts import sessions
from portal.accounts.models import (
    Invitation,
    InvitationKind,
    PasswordReset,
    Supplier,
    User,
)
from portal.accounts.passwords import (
    MIN_LENGTH,
    burn_time,
    hash_password,
    needs_rehash,
    too_guessable,
    verify_password,
)
from portal.core.database import rowcount
from portal.core.errors import DomainError
from portal.core.models import utcnow
from portal.core.roles import Role


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_rules(password: str, user: User | None = None, *, strength: bool = True) -> None:
    if len(password) < MIN_LENGTH:
        raise DomainError(
            _l("パスワードは%(n)d文字以上にしてください。", n=MIN_LENGTH), field="password"
        )
    related = [user.email, user.name] if user is not None else []
    if strength and too_guessable(password, related=related):
        raise DomainError(
            _l(
                "このパスワードはよく使われているか、推測されやすいため使えません。"
                "いくつかの単語を組み合わせた長めの文にしてください。"
            ),
            field="password",
        )


def _check(password: str, user: User, *, demo: bool) -> None:
    """`demo`: the demo's shared, published password (DEMO_PASSWORD) need only be long enough;
    a real account's must also pass the strength check."""
    check_password_rules(password, None if demo else user, strength=not demo)


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_user(
    session: Session,
    email: str,
    role: Role,
    *,
    name: str = "",
    password: str | None = None,
    supplier: Supplier | None = None,
    demo: bool = False,
) -> User:
    email = normalise_email(email)
    if find_user(session, email) is not None:
        raise DomainError(_l("このメールアドレスは既に登録されています。"), field="email")
    if (role == Role.SUPPLIER) != (supplier is not None):
        raise DomainError(
            _l("事業者アカウントには事業者を一つ指定してください。"), field="supplier"
        )
    user = User(email=email, role=role, name=name, supplier=supplier)
    if password is not None:
        _check(password, user, demo=demo)
        user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The user if the password is right and the account active; None otherwise, same cost."""
    user = find_user(session, email)
    if user is None or not user.password_hash:
        burn_time(password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def set_password(user: User, password: str, *, demo: bool = False) -> None:
    _check(password, user, demo=demo)
    user.password_hash = hash_password(password)
    user.session_version += 1  # every other session of this user ends


def change_own_password(session: Session, user: User, current: str, new: str) -> None:
    """A signed-in user changes their password; the current one must be given again."""
    if not verify_password(user.password_hash, current):
        raise DomainError(_l("現在のパスワードが正しくありません。"), field="current")
    set_password(user, new)
    session.flush()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite(
    session: Session,
    user: User,
    *,
    by_user: User | None,
    hours: int = 72,
    kind: InvitationKind = InvitationKind.PASSWORD,
) -> str:
    """Create a single-use invitation; returns the token (only its hash is stored). A TOTP
    enrolment link (`kind=InvitationKind.TOTP`) is how a user whose authenticator was reset
    enrols again: the password alone never enrols a second factor."""
    token = secrets.token_urlsafe(32)
    session.add(
        Invitation(
            user_id=user.id,
            token_hash=_token_hash(token),
            expires_at=utcnow() + timedelta(hours=hours),
            created_by_id=by_user.id if by_user else None,
            kind=kind,
        )
    )
    session.flush()
    return token


def find_invitation(session: Session, token: str) -> Invitation:
    inv = session.scalar(sa.select(Invitation).where(Invitation.token_hash == _token_hash(token)))
    if inv is None or inv.used_at is not None or inv.expires_at <= utcnow():
        raise DomainError(
            _l(
                "この招待リンクは使えません（期限切れか、使用済みです）。"
                "担当者に新しい招待を依頼してください。"
            )
        )
    return inv


def accept_invitation(session: Session, token: str, password: str) -> User:
    """Set the password through an invitation; the row is locked so it is used once."""
    inv = find_invitation(session, token)
    if inv.kind != InvitationKind.PASSWORD:
        raise DomainError(_l("この招待リンクは使えません。"))
    # Claim the invitation atomically: a double submit finds used_at already set.
    claimed = rowcount(
        session.execute(
            sa.update(Invitation)
            .where(Invitation.id == inv.id, Invitation.used_at.is_(None))
            .values(used_at=utcnow())
        )
    )
    if claimed != 1:
        raise DomainError(_l("この招待リンクは既に使われています。"))
    set_password(inv.user, password)
    return inv.user


def claim_invitation(session: Session, inv: Invitation) -> None:
    """Use an invitation up (atomically: a double submit finds it used)."""
    claimed = rowcount(
        session.execute(
            sa.update(Invitation)
            .where(Invitation.id == inv.id, Invitation.used_at.is_(None))
            .values(used_at=utcnow())
        )
    )
    if claimed != 1:
        raise DomainError(_l("この招待リンクは既に使われています。"))


def accept_enrolment_link(session: Session, token: str, password: str) -> User:
    """A TOTP enrolment link, opened by its user, who proves it with the password."""
    inv = find_invitation(session, token)
    if inv.kind != InvitationKind.TOTP:
        raise DomainError(_l("この招待リンクは使えません。"))
    if not inv.user.active or not verify_password(inv.user.password_hash, password):
        raise DomainError(_l("パスワードが正しくありません。"), field="password")
    claim_invitation(session, inv)
    return inv.user


# --- password reset by e-mail ---------------------------------------------------------------

RESET_MINUTES = 30


def start_password_reset(session: Session, email: str) -> tuple[User, str] | None:
    """A single-use reset token for an active account with a password (None otherwise; the
    caller answers the same either way, so nobody learns whether an address has an account).
    Only its hash is stored; earlier unused links of the user stop working."""
    user = find_user(session, email)
    if user is None or not user.active or not user.password_hash:
        return None
    now = utcnow()
    session.execute(
        sa.update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=_token_hash(token),
            expires_at=now + timedelta(minutes=RESET_MINUTES),
        )
    )
    session.flush()
    return user, token


RESET_INVALID = _l(
    "このリンクは使えません（30分の期限切れか、使用済みです）。"
    "もう一度、パスワードの再設定を申し込んでください。"
)


def find_password_reset(session: Session, token: str) -> PasswordReset:
    row = session.scalar(
        sa.select(PasswordReset).where(PasswordReset.token_hash == _token_hash(token))
    )
    if row is None or row.used_at is not None or row.expires_at <= utcnow() or not row.user.active:
        raise DomainError(RESET_INVALID)
    return row


def reset_password(session: Session, token: str, password: str) -> User:
    """Set a new password through a reset link, once; every session of the user ends."""
    row = find_password_reset(session, token)
    check_password_rules(password, row.user)
    claimed = rowcount(
        session.execute(
            sa.update(PasswordReset)
            .where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None))
            .values(used_at=utcnow())
        )
    )
    if claimed != 1:
        raise DomainError(RESET_INVALID)
    set_password(row.user, password)
    sessions.revoke_all(session, row.user)
    return row.user
