"""The donation's life: intake (number, lines, stock), payment (orders), cancellation.

One function moves the state (`transition`): it checks the table next to the model and writes
the timeline event, so every screen and import goes through the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.core.audit import audit
from portal.core.errors import DomainError
from portal.core.numbering import Counter, next_number
from portal.core.portals import Portal
from portal.core.timeline import record_event
from portal.donations.models import (
    DONATION_MOVE_EVENTS,
    DONATION_TRANSITIONS,
    Donation,
    DonationEvent,
    DonationLine,
    DonationState,
    LineHold,
    PaymentMethod,
    PaymentState,
)
from portal.gifts.models import Gift
from portal.gifts.stock import GiftAllocation, restore_units, take_units
from portal.shipping.models import Order, OrderEvent, OrderStatus
from portal.shipping.orders import move_order

if TYPE_CHECKING:
    from portal.accounts.models import User


@dataclass
class LineData:
    gift_code: str
    quantity: int = 1
    desired_date: date | None = None
    desired_time: str = ""
    noshi: str = ""


@dataclass
class DonationData:
    """Plain values of one donation, as an importer or the direct-entry form produced them."""

    portal: Portal
    portal_order_no: str
    donor_name: str
    amount: int
    applied_on: date
    payment_method: PaymentMethod
    payment_state: PaymentState = PaymentState.UNPAID
    paid_on: date | None = None
    donor_kana: str = ""
    postal_code: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    purpose: str = ""
    onestop_requested: bool = False
    receipt_wanted: bool = True
    publish_name: bool = False
    message: str = ""
    delivery_name: str = ""
    delivery_postal_code: str = ""
    delivery_address: str = ""
    delivery_phone: str = ""
    mail_name: str = ""
    mail_postal_code: str = ""
    mail_address: str = ""
    project: str = ""  # the portal's wording
    project_id: int | None = None  # the crowdfunding project it names (portal.crowdfunding)
    disaster_relief: bool = False
    lines: list[LineData] = field(default_factory=list)
    # An import only: the portal's status wording when it says the order was cancelled there
    # (楽天 「キャンセル確定」); the importer then cancels the donation (cancel_donation).
    cancelled_at_portal: str = ""


# DonationData fields that are not Donation columns.
NOT_COLUMNS = frozenset({"lines", "cancelled_at_portal"})

# Fields an import may update on an existing donation (lines are never rewritten).
UPDATABLE_FIELDS = (
    "payment_state",
    "paid_on",
    "payment_method",
    "donor_name",
    "donor_kana",
    "postal_code",
    "address",
    "phone",
    "email",
    "purpose",
    "onestop_requested",
    "receipt_wanted",
    "publish_name",
    "message",
    "delivery_name",
    "delivery_postal_code",
    "delivery_address",
    "delivery_phone",
    "mail_name",
    "mail_postal_code",
    "mail_address",
    "project",
    "project_id",
    "disaster_relief",
)


def received_on_for(method: PaymentMethod, paid_on: date | None, applied_on: date) -> date | None:
    """受領日: card → settlement date (the application date when the export gives none);
    bank/postal transfer → transfer date; 現金書留 → arrival date; always the day money arrived."""
    if method == PaymentMethod.CARD:
        return paid_on or applied_on
    return paid_on


def transition(
    session: Session,
    donation: Donation,
    to: DonationState,
    *,
    by_user: User | None = None,
    **data: Any,
) -> DonationState:
    if to not in DONATION_TRANSITIONS[donation.state]:
        raise DomainError(_l("この寄附はこの状態に変更できません。"), field="state")
    before = donation.state
    donation.state = to
    session.flush()
    record_event(
        session,
        "donation",
        donation.id,
        DONATION_MOVE_EVENTS[to],
        by_user=by_user,
        public=True,
        before=before.value,
        **data,
    )
    return to


def next_donation_no(session: Session, applied_on: date) -> str:
    year = applied_on.year
    return f"{year}-{next_number(session, 'donation', str(year)):06d}"


def reserve_donation_numbers(session: Session, year: int, k: int) -> int:
    """Reserve k consecutive donation numbers of one year with one counter UPDATE; returns the
    first. The bulk import reserves a chunk's numbers at once: the counter row stays locked
    until the chunk commits, and a chunk that rolls back takes its whole block back with it,
    so the numbers stay gap-free per year exactly as `next_number` keeps them."""
    stmt = (
        sa.update(Counter)
        .where(Counter.name == "donation", Counter.scope == str(year))
        .values(value=Counter.value + k)
        .returning(Counter.value)
    )
    last = session.execute(stmt).scalar_one_or_none()
    if last is None:  # first numbers of this year: create the row, tolerating a racer
        try:
            with session.begin_nested():
                session.add(Counter(name="donation", scope=str(year), value=0))
        except sa.exc.IntegrityError:
            pass
        last = session.execute(stmt).scalar_one()
    return last - k + 1


# The stock rule (issue #3, decided in session 2): a gift is stock-controlled when it has at
# least one allocation row or a 数量限定 (limited_quantity). A gift with neither is unlimited —
# made-to-order goods and experiences are most of a city's catalogue, and forcing an allocation
# row on each would hold every one of their lines. The rule errs on the safe side where it
# matters: a limited gift whose allocations were never set has nothing to take from, so its
# lines are held (在庫超過), never sold; a portal without a row of a controlled gift likewise.
# The staff stock page lists limited gifts without allocations so they are not forgotten.


def _gift_has_stock_control(session: Session, gift: Gift) -> bool:
    """Gifts with allocations (or a limited quantity) are counted; others are unlimited."""
    return bool(stock_controlled(session, [gift.id], {gift.id: gift.limited_quantity}))


def stock_controlled(
    session: Session, gift_ids: list[int], limited: dict[int, int | None]
) -> set[int]:
    """Which of these gifts are stock-controlled (see the rule above); one query."""
    controlled = {gid for gid in gift_ids if limited.get(gid) is not None}
    rest = [gid for gid in gift_ids if gid not in controlled]
    if rest:
        controlled.update(
            session.scalars(
                sa.select(GiftAllocation.gift_id).where(GiftAllocation.gift_id.in_(rest)).distinct()
            )
        )
    return controlled


class GiftTerms(Protocol):
    """What the intake rules read of a gift: a Gift row, or bulk intake's GiftInfo."""

    @property
    def accept_from(self) -> date | None: ...
    @property
    def accept_until(self) -> date | None: ...
    @property
    def ship_from(self) -> date | None: ...
    @property
    def ship_until(self) -> date | None: ...
    @property
    def lead_days(self) -> int: ...
    @property
    def stock_paused(self) -> bool: ...


def hold_for(gift: GiftTerms, applied_on: date) -> LineHold | None:
    """The hold a line gets before any stock is taken; None: take stock (or unlimited)."""
    if (gift.accept_from and applied_on < gift.accept_from) or (
        gift.accept_until and applied_on > gift.accept_until
    ):
        return LineHold.WINDOW
    if gift.stock_paused:
        return LineHold.STOCK  # paused by staff: no new units, held like 在庫超過
    return None


def secure_line(
    session: Session,
    line: DonationLine,
    portal: str,
    applied_on: date,
    *,
    by_user: User | None = None,
) -> LineHold:
    """Take the line's units from its portal's allocation, or hold it for staff."""
    gift = line.gift
    early = hold_for(gift, applied_on)
    if early is not None:
        line.hold = early
    elif not _gift_has_stock_control(session, gift):
        line.hold = LineHold.NONE
    elif take_units(session, gift.id, portal, line.quantity, line_id=line.id, by_user=by_user):
        line.hold = LineHold.NONE
        line.stock_taken = True
    else:
        line.hold = LineHold.STOCK
    if line.hold != LineHold.NONE:
        paused: dict[str, Any] = (
            {"paused": True} if gift.stock_paused and line.hold == LineHold.STOCK else {}
        )
        record_event(
            session,
            "donation",
            line.donation_id,
            DonationEvent.LINE_HELD,
            by_user=by_user,
            line_id=line.id,
            hold=line.hold.value,
            gift=gift.code,
            **paused,
        )
    return line.hold


def create_donation(
    session: Session,
    data: DonationData,
    *,
    gifts: dict[str, Gift] | None = None,
    by_user: User | None = None,
) -> Donation:
    """Record a new donation with its lines; takes stock per line; paid → orders at once."""
    lines: list[tuple[Gift, LineData]] = []
    for ld in data.lines:
        gift = (gifts or {}).get(ld.gift_code) or session.scalar(
            sa.select(Gift).where(Gift.code == ld.gift_code)
        )
        if gift is None:
            raise DomainError(
                _l("返礼品コード %(code)s は登録されていません。", code=ld.gift_code),
                field="gift_code",
            )
        lines.append((gift, ld))
    values = {k: v for k, v in vars(data).items() if k not in NOT_COLUMNS}
    donation = Donation(donation_no=next_donation_no(session, data.applied_on), **values)
    donation.received_on = (
        received_on_for(data.payment_method, data.paid_on, data.applied_on)
        if data.payment_state == PaymentState.PAID
        else None
    )
    for pos, (gift, ld) in enumerate(lines):
        donation.lines.append(
            DonationLine(
                position=pos,
                gift=gift,
                quantity=ld.quantity,
                desired_date=ld.desired_date,
                desired_time=ld.desired_time,
                noshi=ld.noshi,
            )
        )
    session.add(donation)
    session.flush()
    record_event(
        session,
        "donation",
        donation.id,
        DonationEvent.RECEIVED,
        by_user=by_user,
        public=True,
        portal=data.portal.value,
    )
    for line in donation.lines:
        secure_line(session, line, data.portal.value, data.applied_on, by_user=by_user)
    if data.payment_state == PaymentState.PAID:
        transition(session, donation, DonationState.PAID, by_user=by_user)
        create_orders(session, donation, by_user=by_user)
    return donation


def ship_by_for(gift: GiftTerms, paid_on: date) -> date:
    """Seasonal gifts: the shipping window's start when paid before it (within the window,
    the lead time capped at the window's end); otherwise paid date + lead time."""
    normal = paid_on + timedelta(days=gift.lead_days)
    if gift.ship_from is not None:
        if paid_on < gift.ship_from:
            return gift.ship_from
        if gift.ship_until is not None and paid_on <= gift.ship_until:
            return min(normal, gift.ship_until)
    return normal


def create_orders(
    session: Session, donation: Donation, *, by_user: User | None = None
) -> list[Order]:
    """One order per secured gift line of a paid donation (held lines wait for staff)."""
    paid_on = donation.paid_on or donation.applied_on
    made = []
    for line in donation.lines:
        if line.hold != LineHold.NONE or line.orders:
            continue
        order = Order(
            line=line,
            supplier_id=line.gift.supplier_id,
            ordered_on=paid_on,
            ship_by=ship_by_for(line.gift, paid_on),
        )
        session.add(order)
        made.append(order)
    session.flush()
    for order in made:
        record_event(
            session,
            "donation",
            donation.id,
            OrderEvent.CREATED,
            by_user=by_user,
            public=True,
            order_id=order.id,
            supplier_id=order.supplier_id,
            gift_name=order.line.gift.name,
            ship_by=order.ship_by.isoformat(),
            seasonal=order.line.gift.ship_from is not None
            and order.ship_by == order.line.gift.ship_from,
        )
    return made


def mark_paid(
    session: Session,
    donation: Donation,
    paid_on: date,
    *,
    method: PaymentMethod | None = None,
    by_user: User | None = None,
) -> Donation:
    """入金消込: record the payment, derive 受領日, and turn the gift lines into orders.

    The donation's row is locked first and its state read again under the lock, so two
    requests marking it paid at once (a double click, two staff) record one 入金, not two:
    the second waits for the first and then finds it paid."""
    session.flush()
    current = session.execute(
        sa.select(Donation.state).where(Donation.id == donation.id).with_for_update()
    ).scalar_one()
    if current != DonationState.RECEIVED or donation.state != DonationState.RECEIVED:
        raise DomainError(_l("この寄附は入金済または取消済です。"), field="paid_on")
    if method is not None:
        donation.payment_method = method
    donation.payment_state = PaymentState.PAID
    donation.paid_on = paid_on
    donation.received_on = received_on_for(donation.payment_method, paid_on, donation.applied_on)
    transition(session, donation, DonationState.PAID, by_user=by_user, paid_on=paid_on.isoformat())
    create_orders(session, donation, by_user=by_user)
    audit(
        session, actor=by_user, action="money.paid", subject_type="donation",
        subject_id=donation.id, detail=f"入金 {donation.amount}円 {paid_on.isoformat()}",
    )  # fmt: skip
    return donation


def cancel_donation(
    session: Session, donation: Donation, reason: str, *, by_user: User | None = None
) -> Donation:
    """取消 until dispatch: orders are cancelled and secured stock goes back to the portal."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("取消の理由を入力してください。"), field="reason")
    if donation.is_shipped:
        raise DomainError(_l("発送済の返礼品があるため取り消せません。"), field="reason")
    for line in donation.lines:
        if line.stock_taken:
            restore_units(
                session,
                line.gift_id,
                donation.portal.value,
                line.quantity,
                note=reason[:300],
                line_id=line.id,
                by_user=by_user,
            )
            line.stock_taken = False
        line.hold = LineHold.CANCELLED
        for order in line.orders:
            if order.status != OrderStatus.CANCELLED:
                move_order(session, order, OrderStatus.CANCELLED, by_user=by_user)
    donation.cancel_reason = reason[:300]
    transition(session, donation, DonationState.CANCELLED, by_user=by_user, reason=reason[:300])
    audit(
        session, actor=by_user, action="money.cancelled", subject_type="donation",
        subject_id=donation.id, detail=f"取消 {donation.amount}円",
    )  # fmt: skip
    return donation


def retry_line(session: Session, line: DonationLine, *, by_user: User | None = None) -> LineHold:
    """After staff moved allocation (or widened the window): try to secure a held line again."""
    if line.hold not in (LineHold.STOCK, LineHold.WINDOW):
        raise DomainError(_l("この行は保留中ではありません。"), field="line")
    donation = line.donation
    hold = secure_line(session, line, donation.portal.value, donation.applied_on, by_user=by_user)
    if hold == LineHold.NONE:
        record_event(
            session,
            "donation",
            donation.id,
            DonationEvent.LINE_RELEASED,
            by_user=by_user,
            line_id=line.id,
        )
        if donation.state == DonationState.PAID:
            create_orders(session, donation, by_user=by_user)
    return hold


def held_stmt() -> sa.Select:
    """The lines held back (over stock, outside the gift's window) of live donations."""
    return (
        sa.select(DonationLine)
        .join(Donation, Donation.id == DonationLine.donation_id)
        .where(
            DonationLine.hold.in_([LineHold.STOCK, LineHold.WINDOW]),
            Donation.state != DonationState.CANCELLED,
        )
    )


def held_lines(session: Session) -> list[DonationLine]:
    return list(session.scalars(held_stmt().order_by(DonationLine.id)))


def held_count(session: Session) -> int:
    """How many lines `held_lines` would load, counted by the database (the donation list's
    button shows it on every search: loading them cost ~8 ms a view at 488 held lines)."""
    return int(session.scalar(sa.select(sa.func.count()).select_from(
        held_stmt().with_only_columns(DonationLine.id).subquery())) or 0)  # fmt: skip
