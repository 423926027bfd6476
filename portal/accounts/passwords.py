"""Password hashing with Argon2id (argon2-cffi's RFC 9106 low-memory profile), and how
strong a new password must be: at least 12 characters and not guessable, judged offline by
zxcvbn (Dropbox's estimator; its dictionaries include the most common passwords of the big
breaches, English words and names, keyboard patterns, dates and repeats)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()
# Verified against when the account does not exist, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

MIN_LENGTH = 12
# zxcvbn's score 0–4; 3 is "safely unguessable: moderate protection from an offline attack".
MIN_STRENGTH = 3


def too_guessable(password: str, *, related: list[str] | None = None) -> bool:
    """True for a common, breached or patterned password (or one built from `related`: the
    user's own e-mail address and name)."""
    from zxcvbn import zxcvbn

    inputs = [part for value in related or [] for part in value.replace("@", " ").split() if part]
    return int(zxcvbn(password[:100], user_inputs=inputs)["score"]) < MIN_STRENGTH


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and bool(stored_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def burn_time(password: str) -> None:
    """Spend one verification's worth of time (unknown account: no timing oracle)."""
    verify_password(_DUMMY_HASH + "x", password)
