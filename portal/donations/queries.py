"""Read models about donations: what a screen shows of one donation, as plain values.

`donation_detail` is the staff donation page (portal/web/staff/donations.py): the donation
with its lines and orders, shipments, delivery problems, the receipt, donor requests, the
one-stop form, substitutions and the timeline. It lives beside the donation because the
donation is what the page is about; the other domains only answer "what happened to it".
Everything comes back as frozen dataclasses, so the template cannot lazy-load (and no query
runs while rendering), in a handful of queries — one per kind, never one per line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from portal.core.portals import Portal
from portal.core.timeline import events_for
from portal.crowdfunding.models import CrowdfundingProject
from portal.donations.models import (
    Donation,
    DonationKind,
    DonationLine,
    DonationState,
    LineHold,
)
from portal.donations.substitution import ConsentChannel, substitutions_for
from portal.donors.models import DonorRequest, RequestKind, RequestStatus
from portal.receipts import onestop
from portal.receipts import service as receipt_service
from portal.receipts.models import OnestopState, ReceiptStatus
from portal.shipping.carriers import Carrier, tracking_url
from portal.shipping.models import OrderStatus, Resend, Shipment
from portal.shipping.problems import DeliveryProblem, ProblemKind


@dataclass(frozen=True)
class GiftRef:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class OrderItem:
    id: int
    status: OrderStatus
    ship_by: date


@dataclass(frozen=True)
class LineItem:
    id: int
    position: int
    quantity: int
    hold: LineHold
    gift: GiftRef
    orders: tuple[OrderItem, ...]


@dataclass(frozen=True)
class DonationFacts:
    """The donation's own columns (personal data: the page writes an audit row)."""

    id: int
    donation_no: str
    portal: Portal
    portal_order_no: str
    state: DonationState
    donor_name: str
    donor_kana: str
    postal_code: str
    address: str
    phone: str
    email: str
    amount: int
    applied_on: date
    paid_on: date | None
    received_on: date | None
    purpose: str
    onestop_requested: bool
    receipt_wanted: bool
    publish_name: bool
    message: str
    delivery_name: str
    delivery_postal_code: str
    delivery_address: str
    mail_name: str
    mail_postal_code: str
    mail_address: str
    project: str  # the portal's wording
    project_id: int | None  # the crowdfunding project it is tied to
    project_title: str
    disaster_relief: bool
    cancel_reason: str
    lines: tuple[LineItem, ...]


@dataclass(frozen=True)
class ShipmentItem:
    order_id: int
    carrier: Carrier
    tracking_no: str
    shipped_on: date
    corrected_at: datetime | None
    shipping_fee: int = 0  # 送料 of this parcel (portal.shipping.resends.correct_fee)
    fee_note: str = ""


@dataclass(frozen=True)
class ResendItem:
    """A re-send of an order (portal.shipping.resends)."""

    id: int
    order_id: int
    cause: str
    carrier: Carrier
    tracking_no: str
    shipped_on: date
    quantity: int
    shipping_fee: int
    note: str


@dataclass(frozen=True)
class ProblemItem:
    id: int
    order_id: int
    kind: ProblemKind
    reported_at: datetime
    expected_on: date | None
    note: str
    resolution: str
    is_open: bool


@dataclass(frozen=True)
class ReceiptItem:
    id: int
    number: str
    status: ReceiptStatus
    issued_on: date
    mailed_on: date | None
    reissued_on: date | None
    has_pdf: bool  # printed in a batch (or a stored PDF): the page links the document

    @property
    def reissued(self) -> bool:
        return self.reissued_on is not None


@dataclass(frozen=True)
class RequestItem:
    id: int
    kind: RequestKind
    status: RequestStatus
    created_at: datetime


@dataclass(frozen=True)
class OnestopItem:
    state: OnestopState
    received_on: date
    last_received_on: date
    late: bool
    missing: tuple[str, ...]
    change_received_on: date | None = None  # 申告特例申請事項変更届出書
    change_count: int = 0
    change_late: bool = False


@dataclass(frozen=True)
class SubstitutionItem:
    from_gift: GiftRef
    to_gift: GiftRef
    consent_on: date
    consent_via: ConsentChannel
    note: str


@dataclass(frozen=True)
class EventItem:
    at: datetime
    kind: str
    data: Mapping[str, Any]
    public: bool


@dataclass(frozen=True)
class DonationDetail:
    donation: DonationFacts
    shipments: Mapping[int, ShipmentItem]  # by order id
    tracking: Mapping[int, str | None]  # by order id: the carrier's tracking page
    problems: Mapping[int, tuple[ProblemItem, ...]]  # by order id, open ones first
    receipt: ReceiptItem | None
    receipt_due_on: date | None  # 14 days after the 受領日 (None: not paid)
    donor_requests: tuple[RequestItem, ...]  # newest first
    onestop_return: OnestopItem | None
    onestop_deadline: date | None  # None: no one-stop form requested
    substitutions: tuple[SubstitutionItem, ...]
    events: tuple[EventItem, ...]
    resends: Mapping[int, tuple[ResendItem, ...]] = field(default_factory=dict)  # by order id


def _gift(g: Any) -> GiftRef:
    return GiftRef(id=g.id, code=g.code, name=g.name)


def _facts(d: Donation, project_title: str = "") -> DonationFacts:
    lines = tuple(
        LineItem(
            id=line.id,
            position=line.position,
            quantity=line.quantity,
            hold=line.hold,
            gift=_gift(line.gift),
            orders=tuple(OrderItem(o.id, o.status, o.ship_by) for o in line.orders),
        )
        for line in d.lines
    )
    return DonationFacts(
        id=d.id,
        donation_no=d.donation_no,
        portal=d.portal,
        portal_order_no=d.portal_order_no,
        state=d.state,
        donor_name=d.donor_name,
        donor_kana=d.donor_kana,
        postal_code=d.postal_code,
        address=d.address,
        phone=d.phone,
        email=d.email,
        amount=d.amount,
        applied_on=d.applied_on,
        paid_on=d.paid_on,
        received_on=d.received_on,
        purpose=d.purpose,
        onestop_requested=d.onestop_requested,
        receipt_wanted=d.receipt_wanted,
        publish_name=d.publish_name,
        message=d.message,
        delivery_name=d.delivery_name,
        delivery_postal_code=d.delivery_postal_code,
        delivery_address=d.delivery_address,
        mail_name=d.mail_name,
        mail_postal_code=d.mail_postal_code,
        mail_address=d.mail_address,
        project=d.project,
        project_id=d.project_id,
        project_title=project_title,
        disaster_relief=d.disaster_relief,
        cancel_reason=d.cancel_reason,
        lines=lines,
    )


# --- kinds of donation and the figures that count them ------------------------------------


# Donation.is_crowdfunding at class level: the SQL side of the one definition
CROWDFUNDING = cast("sa.ColumnElement[bool]", Donation.is_crowdfunding)


def kind_clause(kind: DonationKind) -> sa.ColumnElement[bool]:
    """The WHERE clause of one kind (one definition for the list and the figures)."""
    if kind == DonationKind.DISASTER_RELIEF:
        return Donation.disaster_relief.is_(True)
    if kind == DonationKind.CROWDFUNDING:
        return CROWDFUNDING
    return sa.and_(Donation.disaster_relief.is_(False), sa.not_(CROWDFUNDING))


@dataclass(frozen=True)
class Figure:
    count: int
    amount: int  # yen


@dataclass(frozen=True)
class DonationFigures:
    """Donations of one calendar year (the tax year of 寄附金控除), cancelled ones left out:
    all of them, and disaster relief and crowdfunding counted separately (a donation can be
    both; `regular` is neither, so regular + relief + crowdfunding ≥ total)."""

    year: int
    total: Figure
    paid: Figure
    disaster_relief: Figure
    crowdfunding: Figure
    regular: Figure


def donation_figures(session: Session, year: int) -> DonationFigures:
    """One query: counts and amounts of the year's donations by kind."""
    figures = figures_between(session, date(year, 1, 1), date(year + 1, 1, 1))
    return DonationFigures(year=year, **figures)


def figures_between(session: Session, start: date, end: date) -> dict[str, Figure]:
    """Counts and amounts of the donations applied for in [start, end), cancelled ones left
    out: "total", "paid" and one per DonationKind value (the analytics page's totals too)."""
    live = sa.and_(
        Donation.state != DonationState.CANCELLED,
        Donation.applied_on >= start,
        Donation.applied_on < end,
    )
    parts: dict[str, sa.ColumnElement[bool] | None] = {
        "total": None,
        "paid": Donation.state == DonationState.PAID,
        **{k.value: kind_clause(k) for k in DonationKind},
    }
    columns = []
    for name, clause in parts.items():
        count = sa.func.count() if clause is None else sa.func.count().filter(clause)
        amount = (
            sa.func.sum(Donation.amount)
            if clause is None
            else sa.func.sum(sa.case((clause, Donation.amount), else_=0))
        )
        columns += [count.label(f"{name}_n"), sa.func.coalesce(amount, 0).label(f"{name}_yen")]
    row = session.execute(sa.select(*columns).where(live)).one()._mapping
    return {name: Figure(int(row[f"{name}_n"]), int(row[f"{name}_yen"])) for name in parts}


def donation_detail(session: Session, donation_id: int) -> DonationDetail | None:
    """Everything the staff donation page shows about one donation (None: no such donation)."""
    donation = session.scalar(
        sa.select(Donation)
        .where(Donation.id == donation_id)
        .options(
            selectinload(Donation.lines).selectinload(DonationLine.gift),
            selectinload(Donation.lines).selectinload(DonationLine.orders),
        )
    )
    if donation is None:
        return None
    order_ids = [o.id for line in donation.lines for o in line.orders]
    shipments: dict[int, ShipmentItem] = {}
    problems: dict[int, list[ProblemItem]] = {}
    resends: dict[int, list[ResendItem]] = {}
    if order_ids:
        for s in session.scalars(sa.select(Shipment).where(Shipment.order_id.in_(order_ids))):
            shipments[s.order_id] = ShipmentItem(
                s.order_id, s.carrier, s.tracking_no, s.shipped_on, s.corrected_at,
                s.shipping_fee, s.fee_note,
            )  # fmt: skip
        for r in session.scalars(
            sa.select(Resend).where(Resend.order_id.in_(order_ids)).order_by(Resend.id)
        ):
            resends.setdefault(r.order_id, []).append(
                ResendItem(
                    r.id,
                    r.order_id,
                    r.cause.value,
                    r.carrier,
                    r.tracking_no,
                    r.shipped_on,
                    r.quantity,
                    r.shipping_fee,
                    r.note,
                )
            )
        for p in session.scalars(
            sa.select(DeliveryProblem)
            .where(DeliveryProblem.order_id.in_(order_ids))
            .order_by(DeliveryProblem.resolved_at.is_not(None), DeliveryProblem.reported_at)
        ):
            problems.setdefault(p.order_id, []).append(
                ProblemItem(
                    id=p.id,
                    order_id=p.order_id,
                    kind=p.kind,
                    reported_at=p.reported_at,
                    expected_on=p.expected_on,
                    note=p.note,
                    resolution=p.resolution,
                    is_open=p.is_open,
                )
            )
    receipt = receipt_service.receipt_for(session, donation)
    requests = session.scalars(
        sa.select(DonorRequest)
        .where(DonorRequest.donation_id == donation.id)
        .order_by(DonorRequest.created_at.desc(), DonorRequest.id.desc())
    )
    ret = onestop.return_for(session, donation) if donation.onestop_requested else None
    subs = substitutions_for(session, donation.id)
    return DonationDetail(
        donation=_facts(
            donation,
            session.scalar(
                sa.select(CrowdfundingProject.title).where(
                    CrowdfundingProject.id == donation.project_id
                )
            )
            or ""
            if donation.project_id is not None
            else "",
        ),
        shipments=shipments,
        tracking={oid: tracking_url(s.carrier, s.tracking_no) for oid, s in shipments.items()},
        problems={oid: tuple(ps) for oid, ps in problems.items()},
        resends={oid: tuple(rs) for oid, rs in resends.items()},
        receipt=None
        if receipt is None
        else ReceiptItem(
            id=receipt.id,
            number=receipt.number,
            status=receipt.status,
            issued_on=receipt.issued_on,
            mailed_on=receipt.mailed_on,
            reissued_on=receipt.reissued_on,
            has_pdf=bool(receipt.pdf_path or receipt.last_batch_id),
        ),
        receipt_due_on=receipt_service.due_on_for(donation),
        donor_requests=tuple(RequestItem(r.id, r.kind, r.status, r.created_at) for r in requests),
        onestop_return=None
        if ret is None
        else OnestopItem(
            state=ret.state,
            received_on=ret.received_on,
            last_received_on=ret.last_received_on,
            late=ret.late,
            missing=tuple(ret.missing or ()),
            change_received_on=ret.change_received_on,
            change_count=ret.change_count,
            change_late=ret.change_late,
        ),
        onestop_deadline=onestop.deadline(onestop.donation_year(donation))
        if donation.onestop_requested
        else None,
        substitutions=tuple(
            SubstitutionItem(
                from_gift=_gift(s.from_gift),
                to_gift=_gift(s.to_gift),
                consent_on=s.consent_on,
                consent_via=s.consent_via,
                note=s.note,
            )
            for s in subs
        ),
        events=tuple(
            EventItem(at=e.at, kind=e.kind, data=dict(e.data or {}), public=e.public)
            for e in events_for(session, "donation", donation.id)
        ),
    )
