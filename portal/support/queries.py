"""Read models of the support desk: what the staff see beside a conversation, and the city's
list of complaints, as plain values.

The side panel of a conversation reaches into other domains — the supplier's gifts and its
orders still to ship, the donor's donation with its order status and tracking — so the
assembly lives here, once, instead of in the desk's view (portal/web/desk/inbox.py). Order
numbers and gifts only beside a supplier: no recipient data, so nothing here needs an audit
row (the conversation page itself writes one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload, selectinload

from portal.accounts.models import User
from portal.core.roles import STAFF_ROLES
from portal.donations.models import Donation, DonationLine
from portal.donations.queries import GiftRef, OrderItem
from portal.donors import status as donor_status
from portal.gifts.models import Gift
from portal.shipping.models import Order, OrderStatus
from portal.shipping.shipments import order_no
from portal.support import conversations as conv_uc
from portal.support import hours
from portal.support.models import (
    CannedReply,
    Conversation,
    ConversationStatus,
    CustomerKind,
)

OPEN_ORDER_ROWS = 8  # beside a supplier's conversation: the most urgent orders


@dataclass(frozen=True)
class CannedItem:
    id: int
    title: str


@dataclass(frozen=True)
class OpenOrderRow:
    order_no: str
    gift_name: str
    ship_by: date


@dataclass(frozen=True)
class SupplierOpenOrders:
    """A supplier's orders still to ship: how many, how many late, the most urgent first."""

    total: int
    overdue: int
    today: date
    rows: tuple[OpenOrderRow, ...]


@dataclass(frozen=True)
class DonorLine:
    gift: GiftRef
    quantity: int
    orders: tuple[OrderItem, ...]


@dataclass(frozen=True)
class DonorDonation:
    """The donation a donor's conversation names (by 寄附番号), with its lines and orders."""

    id: int
    donation_no: str
    amount: int
    applied_on: date
    paid_on: date | None
    lines: tuple[DonorLine, ...]


@dataclass(frozen=True)
class ConversationContext:
    canned: tuple[CannedItem, ...]  # the desk's canned replies, by title
    canned_text: str | None  # the chosen canned reply with its placeholders filled
    staff: tuple[tuple[str, str], ...]  # (user id, name) of active staff: who can be assigned
    gifts: tuple[GiftRef, ...]  # a supplier's gifts, by code
    supplier_orders: SupplierOpenOrders | None  # None: not a supplier's conversation
    donor_donation: DonorDonation | None  # None: not a donor's, or no such donation
    donor_shipments: Mapping[int | None, donor_status.Shipment]  # by order id, as the donor sees
    first_response_minutes: int | None  # business minutes to the first reply (None: none yet)


@dataclass(frozen=True)
class ComplaintRow:
    id: int
    created_at: datetime
    subject: str
    supplier_name: str
    closed: bool
    resolution: str


def staff_members(session: Session) -> tuple[tuple[str, str], ...]:
    """Active staff as (id, display name) for the assign form, by name."""
    users = session.scalars(
        sa.select(User)
        .where(User.role.in_(list(STAFF_ROLES)), User.active.is_(True))
        .order_by(User.name)
    )
    return tuple((str(u.id), u.name or u.email) for u in users)


def supplier_open_orders(
    session: Session, supplier_id: int, today: date, limit: int = OPEN_ORDER_ROWS
) -> SupplierOpenOrders:
    open_ = sa.and_(Order.supplier_id == supplier_id, Order.status == OrderStatus.ORDERED)
    total, overdue = session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(Order.ship_by < today)).where(open_)
    ).one()
    orders = session.scalars(
        sa.select(Order)
        .where(open_)
        .options(joinedload(Order.line).joinedload(DonationLine.gift))
        .options(joinedload(Order.line).joinedload(DonationLine.donation))
        .order_by(Order.ship_by, Order.id)
        .limit(limit)
    )
    return SupplierOpenOrders(
        total=total,
        overdue=overdue,
        today=today,
        rows=tuple(OpenOrderRow(order_no(o), o.line.gift.name, o.ship_by) for o in orders),
    )


def _donor_donation(session: Session, donation_ref: str | None) -> Donation | None:
    if not donation_ref:
        return None
    return session.scalar(
        sa.select(Donation)
        .where(Donation.donation_no == donation_ref)
        .options(
            selectinload(Donation.lines).selectinload(DonationLine.gift),
            selectinload(Donation.lines).selectinload(DonationLine.orders),
        )
    )


def conversation_context(
    session: Session, conv: Conversation, today: date, canned_id: int | None = None
) -> ConversationContext:
    """Everything the staff conversation page shows beside the messages."""
    canned = session.scalars(sa.select(CannedReply).order_by(CannedReply.title)).all()
    canned_text = None
    if canned_id:
        chosen = session.get(CannedReply, canned_id)
        if chosen is not None:
            canned_text = conv_uc.fill_placeholders(chosen.body, conv)
    gifts: tuple[GiftRef, ...] = ()
    supplier_orders = None
    if conv.supplier_id is not None:
        gifts = tuple(
            GiftRef(g.id, g.code, g.name)
            for g in session.scalars(
                sa.select(Gift).where(Gift.supplier_id == conv.supplier_id).order_by(Gift.code)
            )
        )
        supplier_orders = supplier_open_orders(session, conv.supplier_id, today)
    donation, shipments = None, {}
    if conv.customer_kind == CustomerKind.DONOR:
        d = _donor_donation(session, conv.donation_ref)
        if d is not None:
            shipments = donor_status.latest_shipments(donor_status.public_timeline(session, d))
            donation = DonorDonation(
                id=d.id,
                donation_no=d.donation_no,
                amount=d.amount,
                applied_on=d.applied_on,
                paid_on=d.paid_on,
                lines=tuple(
                    DonorLine(
                        gift=GiftRef(line.gift.id, line.gift.code, line.gift.name),
                        quantity=line.quantity,
                        orders=tuple(OrderItem(o.id, o.status, o.ship_by) for o in line.orders),
                    )
                    for line in d.lines
                ),
            )
    first_response = None
    if conv.first_response_at:
        cal = hours.load_calendar(session)
        first_response = cal.business_seconds(conv.created_at, conv.first_response_at) // 60
    return ConversationContext(
        canned=tuple(CannedItem(c.id, c.title) for c in canned),
        canned_text=canned_text,
        staff=staff_members(session),
        gifts=gifts,
        supplier_orders=supplier_orders,
        donor_donation=donation,
        donor_shipments=shipments,
        first_response_minutes=first_response,
    )


def recent_complaints(session: Session, limit: int = 10) -> tuple[ComplaintRow, ...]:
    """For the city's dashboard [6(4)ウ]: complaints, unresolved first, with the supplier."""
    convs = session.scalars(
        sa.select(Conversation)
        .where(Conversation.is_complaint.is_(True))
        .options(joinedload(Conversation.supplier))
        .order_by(Conversation.resolved_at.is_not(None), Conversation.created_at.desc())
        .limit(limit)
    )
    return tuple(
        ComplaintRow(
            id=c.id,
            created_at=c.created_at,
            subject=c.subject,
            supplier_name=c.supplier.name if c.supplier else "",
            closed=c.status == ConversationStatus.CLOSED,
            resolution=c.resolution,
        )
        for c in convs
    )
