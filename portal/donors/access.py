"""How a donor without an account gets in: donation number + postal code, or a one-time link.

One-time links: a random 256-bit token is mailed; only its SHA-256 is stored. Redeeming is
one conditional UPDATE (unused and unexpired → used) with RETURNING, so two clicks racing
each other cannot both get in. A link from the e-mail form opens every donation made with
that address; a link from a staff reply opens the one donation its conversation is about.

Rate limits use Flask-Limiter's storage (RATELIMIT_STORAGE_URI: memory:// on one process,
Redis when several workers share it) through its `limits` strategy, as the staff login does,
rather than database counters: nothing to clean up, the windows expire by themselves, and
with Redis all workers count together. Keys are HMACs of the value under SECRET_KEY, so the
storage never holds an e-mail address or a donation number. Every number+postal look-up
(a success too: donation numbers are sequential, so a stranger with one common postal code
would otherwise walk them) is counted per donation number and per client IP; link requests
per address and per client IP.

A number and a postal code are not enough: the look-up also asks for a second factor a
stranger lacks, the last four digits of the phone on file or the フリガナ (as 自治体マイページ
does). A donation with neither on file opens only through the e-mail link.

A wrong entry never says which part was wrong, nor whether the donation exists: the lookup
answers None either way, after the same single query.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from limits import RateLimitItem, parse
from sqlalchemy.orm import Session

from portal.core.errors import DomainError
from portal.core.jobs import task
from portal.core.links import public_url
from portal.core.mail import send_mail
from portal.core.models import utcnow
from portal.donations.models import Donation
from portal.donations.normalise import digits, kana, nfkc, postal_code
from portal.donors.models import DonorToken
from portal.extensions import limiter

LINK_MINUTES = 30
IDLE_MINUTES = 30

# (config key, default) per counted thing.
LIMITS = {
    "number": ("DONOR_LIMIT_PER_NUMBER", "5 per 15 minutes"),
    "email": ("DONOR_LIMIT_PER_EMAIL", "3 per hour"),
    "ip": ("DONOR_LIMIT_PER_IP", "30 per 15 minutes"),
}

LINK_INVALID = _l(
    "このリンクは使えません。有効期限（30分）が過ぎたか、すでに使われています。"
    "お手数ですが、もう一度お申し込みください。"
)

_DASHES = "‐‑‒–—―−－ーｰ"


def normalise_donation_no(raw: str) -> str:
    """２０２６－０００１２３ / 2026ー000123 / ' 2026-000123 ' → 2026-000123."""
    text = nfkc(raw or "")
    for d in _DASHES:
        text = text.replace(d, "-")
    return re.sub(r"\s+", "", text).upper()


def normalise_email(raw: str) -> str:
    return nfkc(raw or "").lower()


def _squeeze(value: str) -> str:
    return re.sub(r"[\s・･]", "", kana(nfkc(value or "")))


def second_factor_matches(donation: Donation, answer: str) -> bool:
    """Four digits: the end of the phone on file; anything else: the フリガナ (hiragana,
    half-width and spaces accepted). False when the donation has nothing to compare with."""
    text = nfkc(answer or "")
    if re.fullmatch(r"[0-9\-\s]+", text) and len(digits(text)) == 4:
        phone = digits(donation.phone or "")
        return len(phone) >= 4 and hmac.compare_digest(phone[-4:].encode(), digits(text).encode())
    stored = _squeeze(donation.donor_kana)
    given = _squeeze(text)
    return bool(stored) and bool(given) and hmac.compare_digest(stored.encode(), given.encode())


def find_donation(
    session: Session, donation_no: str, postal: str, second: str = ""
) -> Donation | None:
    """The donation when number, postal code and second factor match; None for any mismatch
    (unknown number, wrong postal code, missing or wrong second factor)."""
    number = normalise_donation_no(donation_no)
    code = postal_code(postal or "")
    donation = session.scalar(sa.select(Donation).where(Donation.donation_no == number))
    stored = donation.postal_code if donation is not None else "0000000"
    matched = hmac.compare_digest(stored.encode(), code.encode())
    if donation is None or len(code) != 7 or not matched:
        return None
    if not second_factor_matches(donation, second):
        return None
    return donation


def mask_address(address: str) -> str:
    """広島県庄原市東本町1-1 → 広島県庄原市＊＊＊ (up to the municipality; the rest hidden)."""
    text = address or ""
    m = re.match(r"^(.{2,3}[都道府県])?(.+?郡.+?[町村]|.+?市.+?区|.+?[市区町村])", text)
    if m is None:
        return "＊＊＊" if text else ""
    return m.group(0) + ("＊＊＊" if len(text) > len(m.group(0)) else "")


def mask_postal(code: str) -> str:
    """7270011 → 〒727-＊＊＊＊."""
    return f"〒{code[:3]}-＊＊＊＊" if len(code) == 7 else ""


def donation_ids_for_email(session: Session, email: str) -> list[int]:
    email = normalise_email(email)
    if not email:
        return []
    return list(
        session.scalars(
            sa.select(Donation.id)
            .where(sa.func.lower(Donation.email) == email)
            .order_by(Donation.applied_on.desc(), Donation.id.desc())
        )
    )


# --- one-time links ----------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session,
    *,
    email: str = "",
    conversation_id: int | None = None,
    now: datetime | None = None,
    minutes: int = LINK_MINUTES,
) -> str:
    """A new link token (returned once, in clear, for the mail); valid LINK_MINUTES unless
    told (a notification's link lasts longer: the donor reads it when they read it)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(
        DonorToken(
            token_hash=_hash(token),
            email=normalise_email(email),
            conversation_id=conversation_id,
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    session.flush()
    return token


@dataclass(frozen=True)
class Grant:
    donation_ids: list[int]
    conversation_id: int | None = None


def token_is_usable(session: Session, token: str, *, now: datetime | None = None) -> bool:
    """For the confirmation page (GET must not use the link up: mail scanners open links)."""
    now = now or utcnow()
    return (
        session.scalar(
            sa.select(DonorToken.id).where(
                DonorToken.token_hash == _hash(token or ""),
                DonorToken.used_at.is_(None),
                DonorToken.expires_at > now,
            )
        )
        is not None
    )


def redeem_token(session: Session, token: str, *, now: datetime | None = None) -> Grant:
    """Use the link up (once) and return what it opens; DomainError when it cannot be used."""
    from portal.support.models import Conversation, CustomerKind

    now = now or utcnow()
    row = session.execute(
        sa.update(DonorToken)
        .where(
            DonorToken.token_hash == _hash(token or ""),
            DonorToken.used_at.is_(None),
            DonorToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(DonorToken.email, DonorToken.conversation_id)
    ).one_or_none()
    if row is None:
        raise DomainError(LINK_INVALID)
    email, conversation_id = row
    if conversation_id is not None:
        conv = session.get(Conversation, conversation_id)
        ids: list[int] = []
        if conv is not None and conv.customer_kind == CustomerKind.DONOR and conv.donation_ref:
            ids = list(
                session.scalars(
                    sa.select(Donation.id).where(Donation.donation_no == conv.donation_ref)
                )
            )
        if not ids:
            raise DomainError(LINK_INVALID)
        return Grant(ids, conversation_id)
    ids = donation_ids_for_email(session, email)
    if not ids:
        raise DomainError(LINK_INVALID)
    return Grant(ids)


@task
def send_access_link(session: Session, email: str) -> bool:
    """Mail a sign-in link when the address made a donation; silently nothing otherwise
    (the page has already said the same sentence either way)."""
    email = normalise_email(email)
    if not donation_ids_for_email(session, email):
        return False
    token = issue_token(session, email=email)
    body = render_template("mail/donor_access_link.txt", link=public_url("donor.link", token=token))
    send_mail(
        email,
        _(
            "【%(city)sふるさと納税】寄附の状況確認ページへのリンク",
            city=current_app.config["CITY_NAME"],
        ),
        body,
    )
    return True


def conversation_link(session: Session, conversation_id: int) -> str:
    """A one-time link back into a donor's conversation (for a staff reply's mail)."""
    token = issue_token(session, conversation_id=conversation_id)
    return public_url("donor.link", token=token)


# --- rate limits -------------------------------------------------------------------------


def _key(value: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()[:32]


def _limit(name: str) -> RateLimitItem:
    key, default = LIMITS[name]
    return parse(current_app.config.get(key, default))


def over_limit(**values: str) -> bool:
    """True when any of the named counters (number=, email=, ip=) is used up."""
    store = limiter.limiter
    return any(
        not store.test(_limit(name), f"donor-{name}", _key(value)) for name, value in values.items()
    )


def count_attempt(**values: str) -> None:
    store = limiter.limiter
    for name, value in values.items():
        store.hit(_limit(name), f"donor-{name}", _key(value))
