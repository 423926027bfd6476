"""Second factor for staff (PRODUCT: operator and city staff sign in with password + TOTP).

RFC 6238 codes through pyotp; one step of clock drift either way is accepted and a code that
has been used once is refused again (the last accepted time step is stored per user), so a
code read over someone's shoulder cannot be replayed. The secret is created at enrolment and
only becomes the user's once a code from the authenticator app proves it was scanned.
"""

from __future__ import annotations

import unicodedata

import pyotp
import segno
import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.accounts import sessions
from portal.accounts.models import User
from portal.core import clock
from portal.core.audit import audit
from portal.core.database import rowcount
from portal.core.errors import DomainError
from portal.core.roles import STAFF_ROLES

ISSUER = "Furusato Portal"


def required_for(user: User) -> bool:
    """Staff accounts need the second factor (switchable off only for demos and e2e tests);
    a supplier who chose to enrol one (their account page) needs it from then on."""
    if user.role in STAFF_ROLES:
        return bool(current_app.config.get("STAFF_TOTP_REQUIRED", True))
    return bool(user.totp_secret)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    issuer = f"{ISSUER} ({current_app.config.get('CITY_NAME', '')})".replace(" ()", "")
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_svg_data_uri(uri: str) -> str:
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _clean(code: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", code or "") if ch.isdigit())


def _matching_step(secret: str, code: str, now: float) -> int | None:
    totp = pyotp.TOTP(secret)
    step = int(now // totp.interval)
    for candidate in (step, step - 1, step + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(candidate), code):
            return candidate
    return None


def verify(session: Session, user: User, code: str, *, now: float | None = None) -> bool:
    """True once per code: the step it belongs to must be later than the last one used.

    The step is claimed with one conditional UPDATE, so of several logins racing with the
    same code (on PostgreSQL, each in its own transaction) exactly one moves the counter and
    succeeds; the others find it already there."""
    code = _clean(code)
    if not user.totp_secret or len(code) != 6:
        return False
    step = _matching_step(user.totp_secret, code, clock.timestamp() if now is None else now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    claimed = rowcount(
        session.execute(
            sa.update(User)
            .where(
                User.id == user.id,
                sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step),
            )
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False)
        )
    )
    if claimed != 1:
        return False
    session.refresh(user, ["totp_last_step"])
    return True


def enrol(
    session: Session, user: User, secret: str, code: str, *, now: float | None = None
) -> None:
    """Make `secret` the user's once a code from it checks out."""
    code = _clean(code)
    step = _matching_step(secret, code, clock.timestamp() if now is None else now)
    if len(code) != 6 or step is None:
        raise DomainError(
            _l("確認コードが正しくありません。アプリに表示されている6桁の数字を入力してください。"),
            field="code",
        )
    user.totp_secret = secret
    user.totp_last_step = step
    audit(session, actor=user, action="totp.enrolled", subject_type="user", subject_id=user.id)


def reset(session: Session, user: User, *, by_user: User | None) -> None:
    """A lost phone: the user enrols again at the next sign-in; every session ends."""
    user.totp_secret = None
    user.totp_last_step = None
    user.session_version += 1
    sessions.revoke_all(session, user)
    audit(session, actor=by_user, action="totp.reset", subject_type="user", subject_id=user.id)
