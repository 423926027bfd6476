"""Server-side sessions: every signed-in browser has a `UserSession` row, checked on each request.

Flask's cookie is signed, not secret, and a copy of it works wherever it is sent; so the cookie
only carries a random session id, and the row decides whether it still counts. Logout, a
password change, a TOTP reset and "log out everywhere" mark rows revoked, which ends every copy
of the cookie at once. Staff sessions end after 30 idle minutes or 12 hours; suppliers (who
work from a phone between deliveries) after 8 idle hours or 30 days.

A table of our own rather than Flask-Session: the row is written through the request's own
unit of work (portal.web.uow), revoking every session of a user is one UPDATE, and the list of
a user's sessions (the account page) is a query. The id is rotated at every sign-in (a new row;
the password step creates none, so the TOTP step is where the session is born).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, defer

from portal.accounts.models import User, UserSession
from portal.core.database import rowcount
from portal.core.models import utcnow
from portal.core.roles import Role


@dataclass(frozen=True)
class Limits:
    idle: timedelta
    absolute: timedelta


STAFF_LIMITS = Limits(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
SUPPLIER_LIMITS = Limits(idle=timedelta(hours=8), absolute=timedelta(days=30))
# last_seen_at is written at most this often (not one UPDATE per htmx poll).
TOUCH_EVERY = timedelta(seconds=60)


def limits_for(user: User) -> Limits:
    return SUPPLIER_LIMITS if user.role == Role.SUPPLIER else STAFF_LIMITS


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, user: User, *, ip: str = "", user_agent: str = "") -> str:
    """A new session for `user`; returns the id for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            user_id=user.id,
            token_hash=token_hash(token),
            ip=(ip or "")[:45],
            user_agent=(user_agent or "")[:300],
        )
    )
    session.flush()
    return token


def expired(row: UserSession, user: User, now: datetime) -> bool:
    limits = limits_for(user)
    return (
        row.revoked_at is not None
        or now - row.last_seen_at > limits.idle
        or now - row.created_at > limits.absolute
    )


def find_live(session: Session, token: str | None, *, touch: bool = True) -> UserSession | None:
    """The session row behind a cookie's id if it is still valid (not revoked, not idle too
    long, not too old, its user active); its last use is noted unless `touch` is False."""
    if not token:
        return None
    row = session.scalar(sa.select(UserSession).where(UserSession.token_hash == token_hash(token)))
    return _checked(row, row.user, touch) if row is not None else None


# Built once: a statement object keeps its cache key, so each request only binds values.
# The TOTP secret is encrypted at rest: decrypting it on every request (polls included) for
# the few pages that read it (sign-in, the account page) cost more than the rest of the user
# load; it is loaded when one of them asks.
_USER_AND_SESSION = (
    sa.select(User, UserSession)
    .join(UserSession, UserSession.user_id == User.id)
    .where(
        User.id == sa.bindparam("user_id"),
        UserSession.token_hash == sa.bindparam("token_hash"),
    )
    .options(defer(User.totp_secret))
)


def load_user(
    session: Session, user_id: int, token: str | None, *, touch: bool = True
) -> User | None:
    """The signed-in user of a request: `user_id` from the cookie, whose session id `token`
    must name a live session (`find_live`'s rules) of that very user. One SELECT (user and
    session row together): every request, htmx polls included, pays it."""
    if not token:
        return None
    found = session.execute(
        _USER_AND_SESSION, {"user_id": user_id, "token_hash": token_hash(token)}
    ).one_or_none()
    if found is None:
        return None
    user, row = found
    return user if _checked(row, user, touch) is not None else None


def _checked(row: UserSession, user: User, touch: bool) -> UserSession | None:
    if not user.active:
        return None
    now = utcnow()
    if expired(row, user, now):
        return None
    if touch and now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row


def revoke(session: Session, token: str | None) -> None:
    if token:
        session.execute(
            sa.update(UserSession)
            .where(UserSession.token_hash == token_hash(token), UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def revoke_all(session: Session, user: User, *, keep: str | None = None) -> int:
    """End every session of `user` (but `keep`, the caller's own, when given); returns how many."""
    stmt = sa.update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if keep:
        stmt = stmt.where(UserSession.token_hash != token_hash(keep))
    result = session.execute(stmt.values(revoked_at=utcnow()))
    return rowcount(result)


def live_sessions(session: Session, user: User) -> list[UserSession]:
    """The user's sessions that still count, newest first (the account page lists them)."""
    now = utcnow()
    rows = session.scalars(
        sa.select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.last_seen_at.desc())
    ).all()
    return [r for r in rows if not expired(r, user, now)]
