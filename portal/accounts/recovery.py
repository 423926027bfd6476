"""Recovery codes: ten single-use codes that stand in for the authenticator app (a lost or
broken phone). Shown once when they are made, stored only as SHA-256 hashes (each code has
about 50 random bits, so a fast hash is enough), each claimed with one conditional UPDATE."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.accounts.models import RecoveryCode, User
from portal.core.audit import audit
from portal.core.database import rowcount
from portal.core.models import utcnow

COUNT = 10
# 31 letters and digits without the look-alikes (0/o, 1/l/i): ten of them, about 50 bits.
ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
LENGTH = 10


def _normal(code: str) -> str:
    text = unicodedata.normalize("NFKC", code or "").lower()
    return "".join(ch for ch in text if ch.isalnum())


def _hash(user: User, code: str) -> str:
    return hashlib.sha256(f"{user.id}:{_normal(code)}".encode()).hexdigest()


def issue(session: Session, user: User) -> list[str]:
    """A new set of codes (the old ones stop working); returns them for showing once."""
    session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(COUNT):
        raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        code = f"{raw[:5]}-{raw[5:]}"
        codes.append(code)
        session.add(RecoveryCode(user_id=user.id, code_hash=_hash(user, code)))
    session.flush()
    audit(session, actor=user, action="recovery.issued", subject_type="user", subject_id=user.id)
    return codes


def looks_like_one(code: str) -> bool:
    """A recovery code has ten characters; an authenticator's code six digits."""
    return len(_normal(code)) == LENGTH


def use(session: Session, user: User, code: str) -> bool:
    """True once per code."""
    if not looks_like_one(code):
        return False
    claimed = rowcount(
        session.execute(
            sa.update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == _hash(user, code),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=utcnow())
        )
    )
    if claimed == 1:
        audit(session, actor=user, action="recovery.used", subject_type="user", subject_id=user.id)
    return claimed == 1


def remaining(session: Session, user: User) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )
