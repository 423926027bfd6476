"""What the donor's status page shows: public timeline events, and the order context.

Events are written by the domains that own them (donations, shipping, receipts, requests);
here they are only selected (public, subject "donation"), their ISO dates parsed, and the
carrier's tracking page attached. The wording is in templates/donor/_timeline.html, one
translated sentence per kind; kinds not listed in KINDS are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.core.portals import Portal
from portal.core.timeline import TimelineEvent
from portal.donations.models import (
    Donation,
    DonationEvent,
    DonationLine,
    DonationState,
    any_shipped,
)
from portal.donors.models import DonorRequest, RequestEvent, RequestKind, RequestStatus
from portal.gifts.models import Gift
from portal.receipts.models import OnestopReturn, ReceiptEvent
from portal.shipping.models import Order, OrderEvent, OrderStatus
from portal.shipping.problems import ProblemEvent
from portal.support.models import Conversation, CustomerKind

KINDS: frozenset[str] = frozenset(
    kind.value
    for kind in (
        DonationEvent.RECEIVED,
        DonationEvent.PAID,
        DonationEvent.CANCELLED,
        OrderEvent.CREATED,
        OrderEvent.SHIPPED,
        OrderEvent.SHIPMENT_CORRECTED,
        ProblemEvent.REPORTED,
        ProblemEvent.RESOLVED,
        OrderEvent.DELIVERED,
        ReceiptEvent.ISSUED,
        ReceiptEvent.MAILED,
        ReceiptEvent.RETURNED,
        ReceiptEvent.REISSUED,
        ReceiptEvent.ONESTOP_SENT,
        ReceiptEvent.ONESTOP_RECEIVED,
        RequestEvent.OPENED,
        RequestEvent.UPDATED,
    )
)
DATE_KEYS = frozenset(
    {"ship_by", "shipped_on", "expected_on", "issued_on", "mailed_on", "reissued_on", "received_on"}
)


# The status page's donation in one SELECT: its lines with each gift's name and orders, and
# whether the one-stop form came back (the 変更届出書 link) and the donor has requests or desk
# conversations (most have neither: their lists are then not queried at all). Plain columns
# through the session's connection, read into the small read-only objects below: the page
# changes nothing, and the ORM's per-execution setup of four entities' loaders, identity map
# and unique() was the largest single cost of the busiest page (bench/donor_status.py).
_DONATION_COLUMNS = (
    "id",
    "donation_no",
    "portal",
    "state",
    "donor_name",
    "applied_on",
    "received_on",
    "amount",
    "onestop_requested",
    "postal_code",
    "address",
    "mail_name",
    "mail_postal_code",
    "mail_address",
    "delivery_name",
    "delivery_postal_code",
    "delivery_address",
)
_STATUS_PAGE = (
    sa.select(
        *(getattr(Donation, name) for name in _DONATION_COLUMNS),
        sa.exists().where(OnestopReturn.donation_id == Donation.id).label("onestop"),
        sa.exists().where(DonorRequest.donation_id == Donation.id).label("requests"),
        sa.exists()
        .where(
            Conversation.donation_ref == Donation.donation_no,
            Conversation.customer_kind == CustomerKind.DONOR,
        )
        .label("conversations"),
        DonationLine.id.label("line_id"),
        DonationLine.quantity,
        Gift.name.label("gift_name"),
        Order.id.label("order_id"),
        Order.status.label("order_status"),
        Order.ship_by,
    )
    .select_from(Donation)
    .outerjoin(DonationLine, DonationLine.donation_id == Donation.id)
    .outerjoin(Gift, Gift.id == DonationLine.gift_id)
    .outerjoin(Order, Order.line_id == DonationLine.id)
    .where(Donation.id == sa.bindparam("donation_id"))
    .order_by(DonationLine.position, DonationLine.id, Order.id)
)


@dataclass(frozen=True, slots=True)
class PageGift:
    name: str


@dataclass(frozen=True, slots=True)
class PageOrder:
    id: int
    status: OrderStatus
    ship_by: date


@dataclass(frozen=True, slots=True)
class PageLine:
    gift: PageGift
    quantity: int
    orders: list[PageOrder]


class PageDonation:
    """The columns of a Donation the status page (and its audit row, one-stop deadline and
    request / conversation lists) read, with its lines; `is_shipped` as Donation's."""

    __slots__ = (*_DONATION_COLUMNS, "lines")
    id: int
    donation_no: str
    portal: Portal
    state: DonationState
    donor_name: str
    applied_on: date
    received_on: date | None
    amount: int
    onestop_requested: bool
    postal_code: str
    address: str
    mail_name: str
    mail_postal_code: str
    mail_address: str
    delivery_name: str
    delivery_postal_code: str
    delivery_address: str
    lines: list[PageLine]

    def __init__(self, row: Any, lines: list[PageLine]) -> None:
        for name in _DONATION_COLUMNS:
            setattr(self, name, getattr(row, name))
        self.lines = lines

    @property
    def is_shipped(self) -> bool:
        return any_shipped(self.lines)


@dataclass(frozen=True)
class StatusPage:
    donation: PageDonation
    onestop_received: bool
    has_requests: bool
    has_conversations: bool


def status_page_donation(session: Session, donation_id: int) -> StatusPage | None:
    """The donation as its status page shows it, and which of its other lists have rows."""
    rows = session.connection().execute(_STATUS_PAGE, {"donation_id": donation_id}).all()
    if not rows:
        return None
    lines: list[PageLine] = []
    by_id: dict[int, PageLine] = {}
    for r in rows:
        if r.line_id is None:
            continue
        line = by_id.get(r.line_id)
        if line is None:
            line = by_id[r.line_id] = PageLine(PageGift(r.gift_name), r.quantity, [])
            lines.append(line)
        if r.order_id is not None:
            line.orders.append(PageOrder(r.order_id, r.order_status, r.ship_by))
    first = rows[0]
    return StatusPage(
        PageDonation(first, lines),
        bool(first.onestop),
        bool(first.requests),
        bool(first.conversations),
    )


@dataclass
class Entry:
    kind: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    tracking_url: str | None = None


def _parse(key: str, value: Any) -> Any:
    if key in DATE_KEYS and isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return value


def tracking_url(carrier: str | None, number: str | None) -> str | None:
    """The carrier's tracking page, or None (no number, or a carrier we do not know)."""
    if not carrier or not number:
        return None
    from portal.shipping.carriers import Carrier
    from portal.shipping.carriers import tracking_url as carrier_url

    try:
        return carrier_url(Carrier(carrier), str(number))
    except ValueError:  # an event naming a carrier this version does not know
        return None


# Built once: the columns the page reads, not TimelineEvent objects (nothing here changes them).
_PUBLIC_EVENTS = (
    sa.select(TimelineEvent.kind, TimelineEvent.at, TimelineEvent.data)
    .where(
        TimelineEvent.subject_type == "donation",
        TimelineEvent.subject_id == sa.bindparam("donation_id"),
        TimelineEvent.public.is_(True),
        TimelineEvent.kind.in_(sorted(KINDS)),
    )
    .order_by(TimelineEvent.at, TimelineEvent.id)
)


def public_timeline(session: Session, donation: Donation) -> list[Entry]:
    entries = []
    # Through the session's connection: plain columns need none of the ORM's per-execution
    # setup (the same SELECT in the same transaction).
    rows = session.connection().execute(_PUBLIC_EVENTS, {"donation_id": donation.id})
    for kind, at, raw in rows:
        data = {k: _parse(k, v) for k, v in (raw or {}).items()}
        url = None
        if kind in {OrderEvent.SHIPPED, OrderEvent.SHIPMENT_CORRECTED}:
            url = tracking_url(data.get("carrier"), data.get("tracking_no"))
        entries.append(Entry(kind, at, data, url))
    return entries


@dataclass
class Shipment:
    gift_name: str
    carrier: str
    tracking_no: str
    shipped_on: date | None
    tracking_url: str | None


def latest_shipments(entries: list[Entry]) -> dict[int | None, Shipment]:
    """Per order id, the last shipped/corrected event (a correction replaces the first)."""
    found: dict[int | None, Shipment] = {}
    for e in entries:
        if e.kind in {OrderEvent.SHIPPED, OrderEvent.SHIPMENT_CORRECTED}:
            found[e.data.get("order_id")] = Shipment(
                gift_name=str(e.data.get("gift_name") or ""),
                carrier=str(e.data.get("carrier") or ""),
                tracking_no=str(e.data.get("tracking_no") or ""),
                shipped_on=e.data.get("shipped_on"),
                tracking_url=e.tracking_url,
            )
    return found


def has_receipt(entries: list[Entry]) -> bool:
    return any(e.kind in {ReceiptEvent.ISSUED, ReceiptEvent.REISSUED} for e in entries)


def receipts_available() -> bool:
    """H3's receipt service is there (it is built in parallel; the link waits for it)."""
    try:
        from portal.receipts import service
    except ImportError:
        return False
    return hasattr(service, "donation_pdf")


def receipt_pdf(session: Session, donation: Donation) -> bytes | None:
    if not receipts_available():
        return None
    from portal.receipts.service import donation_pdf

    return donation_pdf(session, donation)


# The badge at the top of the status page: the latest step the donation has reached, read
# from its public timeline (the donation's own state only knows received/paid/cancelled,
# so it read 入金確認済 long after the gift shipped and the receipt was mailed).
STAGES: dict[str, str] = {
    DonationEvent.RECEIVED.value: "received",
    DonationEvent.PAID.value: "paid",
    OrderEvent.CREATED.value: "arranged",
    OrderEvent.SHIPPED.value: "shipped",
    OrderEvent.DELIVERED.value: "delivered",
    ReceiptEvent.ISSUED.value: "receipt_issued",
    ReceiptEvent.REISSUED.value: "receipt_issued",
    ReceiptEvent.MAILED.value: "receipt_mailed",
}


def stage(donation: Donation, entries: list[Entry]) -> str:
    """The badge's key: "cancelled" for a cancelled donation, else the step of the latest
    timeline event that is one (the donation's state when there is none)."""
    if donation.state == DonationState.CANCELLED:
        return "cancelled"
    found = donation.state.value
    for e in entries:
        found = STAGES.get(e.kind, found)
    return found


def onestop_deadline(donation: Donation) -> date:
    """The day the one-stop form must arrive, as the form's (注) says: 10 January of the year
    after the donation's tax year (the desk's own check tolerates a weekend or holiday; the
    donor is told the official day)."""
    from portal.receipts.onestop import donation_year

    return date(donation_year(donation) + 1, 1, 10)


def pending_request(session: Session, donation: Donation, kind: RequestKind) -> DonorRequest | None:
    """The request of this kind still awaiting the desk, shown before the donor fills the
    same form in again (portal.donors.requests refuses a second open one of a kind)."""
    return session.scalar(
        sa.select(DonorRequest)
        .where(
            DonorRequest.donation_id == donation.id,
            DonorRequest.kind == kind,
            DonorRequest.status == RequestStatus.OPEN,
        )
        .order_by(DonorRequest.id.desc())
        .limit(1)
    )
