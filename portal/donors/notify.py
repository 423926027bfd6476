"""Donor notifications [6(2)イ]: a short Japanese mail when a donation is accepted, paid,
each gift shipped, the receipt set mailed, and the one-stop form received.

The donor-facing timeline is the source: each state machine already writes a public
`TimelineEvent` on the donation when it moves. A job (`send_notices`, every few minutes on
the worker, and queued after the commits that matter) walks the recent events no
`DonorNotice` speaks for yet, and for each one either mails the donor (one recipient, the
donation number and a one-time link to the status page) or records why not. The mail goes
through `send_mail_once` with a key per (donation, event[, order / event]), so a job run
twice, two workers, or an event written twice never mails twice; `donor_notice` keeps what
went to whom and when (never the body) for the staff donation page.

Replayed history sends nothing: re-importing a file writes no new events (the importer
matches the rows it already has), and an event whose own date (寄附日, 入金日, 発送日,
郵送日) lies more than NOTICE_MAX_AGE_DAYS before today is recorded as historic and not
mailed: an import of last month's paid rows does not tell donors "paid" weeks late.
Acceptance of a donation from a portal that mails its own 申込受付 (config
NOTICE_PORTALS_CONFIRMING, per portal) is not mailed again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.core.clock import today_jst
from portal.core.jobs import periodic, task
from portal.core.links import public_url
from portal.core.mail import MailSent, clean_address, send_mail_once
from portal.core.models import utcnow
from portal.core.timeline import TimelineEvent
from portal.donations.models import Donation, DonationEvent
from portal.donors.access import issue_token
from portal.donors.models import DonorNotice, NoticeStatus
from portal.receipts.models import ReceiptEvent
from portal.shipping.carriers.names import CARRIER_LABELS, Carrier
from portal.shipping.carriers.tracking import tracking_url
from portal.shipping.models import OrderEvent

NOTICE_MAX_AGE_DAYS = 14
LINK_DAYS = 14  # a notification's status link: one use, valid this long
BATCH = 500

# Portals that send the donor their own acceptance mail (申込完了メール): the city does not
# mail "accepted" again for their imports. The city's own channels (direct entries, the
# standard CSV of its other channels) are not among them.
DEFAULT_PORTALS_CONFIRMING = ("choice", "rakuten", "furunavi", "jal", "satofull")

KINDS: tuple[str, ...] = (
    DonationEvent.RECEIVED,
    DonationEvent.PAID,
    OrderEvent.SHIPPED,
    ReceiptEvent.MAILED,
    ReceiptEvent.ONESTOP_RECEIVED,
)

# What the staff page calls each notice (and the mail's subject, with the city's name).
NOTICE_LABELS = {
    str(DonationEvent.RECEIVED): _l("寄附受付のお知らせ"),
    str(DonationEvent.PAID): _l("入金確認のお知らせ"),
    str(OrderEvent.SHIPPED): _l("返礼品発送のお知らせ"),
    str(ReceiptEvent.MAILED): _l("寄附金受領証明書送付のお知らせ"),
    str(ReceiptEvent.ONESTOP_RECEIVED): _l("ワンストップ特例申請書受付のお知らせ"),
}

ONESTOP_INCOMPLETE = _l("ワンストップ特例申請書の不備のお知らせ")

STATUS_LABELS = {
    NoticeStatus.SENT: _l("送信済"),
    NoticeStatus.NO_ADDRESS: _l("メールアドレスなし（送信せず）"),
    NoticeStatus.PORTAL_CONFIRMS: _l("ポータルが通知（送信せず）"),
    NoticeStatus.HISTORIC: _l("過去の出来事の取込（送信せず）"),
}


def _key(event: TimelineEvent) -> str:
    """Once-only key: per donation for accepted/paid, per order for a shipment, per event
    for a receipt mailing or a one-stop entry (a re-mail or a second entry is news)."""
    base = f"donor-notice:{event.subject_id}:{event.kind}"
    if event.kind == OrderEvent.SHIPPED:
        return f"{base}:{event.data.get('order_id', event.id)}"
    if event.kind in (ReceiptEvent.MAILED, ReceiptEvent.ONESTOP_RECEIVED):
        return f"{base}:{event.id}"
    return base


def _event_date(event: TimelineEvent, donation: Donation) -> date | None:
    """The day the event happened in the world (not the day it reached the portal)."""
    if event.kind == DonationEvent.RECEIVED:
        return donation.applied_on
    if event.kind == DonationEvent.PAID:
        return donation.paid_on
    field = {
        str(OrderEvent.SHIPPED): "shipped_on",
        str(ReceiptEvent.MAILED): "mailed_on",
        str(ReceiptEvent.ONESTOP_RECEIVED): "received_on",
    }.get(event.kind, "")
    raw = (event.data or {}).get(field)
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _portals_confirming() -> set[str]:
    value = current_app.config.get("NOTICE_PORTALS_CONFIRMING", DEFAULT_PORTALS_CONFIRMING)
    if isinstance(value, str):
        value = [v for v in value.replace(" ", "").split(",") if v]
    return {str(v) for v in value}


def _decide(event: TimelineEvent, donation: Donation, today: date) -> NoticeStatus | None:
    """Why this event is not mailed, or None when it is."""
    if event.kind == DonationEvent.RECEIVED and str(donation.portal) in _portals_confirming():
        return NoticeStatus.PORTAL_CONFIRMS
    happened = _event_date(event, donation)
    max_age = int(current_app.config.get("NOTICE_MAX_AGE_DAYS", NOTICE_MAX_AGE_DAYS))
    if happened is not None and happened < today - timedelta(days=max_age):
        return NoticeStatus.HISTORIC
    if not clean_address(donation.email):
        return NoticeStatus.NO_ADDRESS
    return None


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


def compose(session: Session, event: TimelineEvent, donation: Donation) -> Mail:
    """The mail for one event, in Japanese (donors get Japanese mail)."""
    from portal.receipts import onestop

    token = issue_token(session, email=donation.email, minutes=LINK_DAYS * 24 * 60)
    data: dict[str, Any] = dict(event.data or {})
    extra: dict[str, Any] = {}
    if event.kind == OrderEvent.SHIPPED:
        carrier = Carrier(data.get("carrier", "other"))
        extra = {
            "gift_name": data.get("gift_name", ""),
            "carrier": CARRIER_LABELS[carrier],
            "tracking_no": data.get("tracking_no", ""),
            "tracking_url": tracking_url(carrier, data.get("tracking_no", "")) or "",
        }
    if event.kind == ReceiptEvent.ONESTOP_RECEIVED:
        extra = {
            "complete": bool(data.get("complete")),
            "missing": [
                str(onestop.MISSING_LABELS[m])
                for m in data.get("missing", [])
                if m in onestop.MISSING_LABELS
            ],
            "late": bool(data.get("late")),
            "deadline": onestop.deadline(onestop.donation_year(donation)),
        }
    what = NOTICE_LABELS[event.kind]
    if event.kind == ReceiptEvent.ONESTOP_RECEIVED and not extra["complete"]:
        what = ONESTOP_INCOMPLETE
    with force_locale("ja"):
        subject = _(
            "【%(city)sふるさと納税】%(what)s（寄附番号 %(number)s）",
            city=current_app.config["CITY_NAME"],
            what=str(what),
            number=donation.donation_no,
        )
        body = render_template(
            "mail/donor_notice.txt",
            kind=event.kind,
            donation=donation,
            link=public_url("donor.link", token=token),
            link_days=LINK_DAYS,
            **extra,
        )
    return Mail(subject, body)


def pending_events(session: Session, limit: int = BATCH) -> list[TimelineEvent]:
    """Recent donor-facing events no notice speaks for yet, oldest first."""
    since = utcnow() - timedelta(
        days=int(current_app.config.get("NOTICE_MAX_AGE_DAYS", NOTICE_MAX_AGE_DAYS)) + 1
    )
    handled = sa.select(DonorNotice.id).where(DonorNotice.event_id == TimelineEvent.id)
    return list(
        session.scalars(
            sa.select(TimelineEvent)
            .where(
                TimelineEvent.subject_type == "donation",
                TimelineEvent.kind.in_([str(k) for k in KINDS]),
                TimelineEvent.public.is_(True),
                TimelineEvent.at >= since,
                ~handled.exists(),
            )
            .order_by(TimelineEvent.id)
            .limit(limit)
        )
    )


def notify_event(session: Session, event: TimelineEvent, today: date) -> DonorNotice:
    """Mail (or record why not) one event. Commits: the once-only claim, then the notice."""
    donation = session.get(Donation, event.subject_id)
    assert donation is not None
    key = _key(event)
    reason = _decide(event, donation, today)
    if reason is None and session.get(MailSent, key) is None:
        mail = compose(session, event, donation)
        address = clean_address(donation.email)
        send_mail_once(session, key, address, mail.subject, mail.body)
    status = reason or NoticeStatus.SENT
    claim = session.get(MailSent, key)
    notice = DonorNotice(
        donation_id=donation.id,
        event_id=event.id,
        kind=event.kind,
        key=key if status == NoticeStatus.SENT else "",
        status=status,
        recipient=clean_address(donation.email) if status == NoticeStatus.SENT else "",
        at=claim.sent_at if claim is not None and status == NoticeStatus.SENT else utcnow(),
    )
    session.add(notice)
    try:
        session.commit()
    except sa.exc.IntegrityError:  # another worker recorded this event first
        session.rollback()
        done = session.scalar(sa.select(DonorNotice).where(DonorNotice.event_id == event.id))
        assert done is not None
        return done
    return notice


@periodic(minute="*/5")
def send_notices(session: Session) -> int:
    """Handle every pending event (in batches); returns how many mails went out."""
    today = today_jst()
    sent = 0
    while True:
        events = pending_events(session)
        if not events:
            return sent
        for event in events:
            if notify_event(session, event, today).status == NoticeStatus.SENT:
                sent += 1


@task
def send_notices_now(session: Session) -> int:
    """Queued after a commit that wrote donor-facing events (the schedule catches the rest)."""
    return send_notices(session)


def notices_for(session: Session, donation_id: int) -> list[DonorNotice]:
    return list(
        session.scalars(
            sa.select(DonorNotice)
            .where(DonorNotice.donation_id == donation_id)
            .order_by(DonorNotice.at, DonorNotice.id)
        )
    )
