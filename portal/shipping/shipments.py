"""Shipment confirmation: one order, several at once, or a whole file; corrections; labels.

The order number a supplier (and the carrier's label software, as お客様管理番号) sees is
`{donation_no}-{line position + 1}` — computed, never stored, so it can never disagree with
the donation it came from.

Idempotence: confirming an order with exactly what it already has is a no-op; with something
else it is a Conflict (a correction is a separate, time-limited act). The unique order_id on
`shipment` turns two simultaneous confirmations into one row: the loser's insert fails inside
a savepoint and it then compares with the winner's row like any repeated confirmation.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, joinedload

from portal.accounts.models import Supplier, User
from portal.core.audit import by_id, register_label
from portal.core.dates import today_jst
from portal.core.errors import Conflict, DomainError, PermissionDenied, TooLate
from portal.core.models import utcnow
from portal.core.roles import Role, is_operator
from portal.core.timeline import record_event
from portal.donations.models import Donation, DonationLine
from portal.shipping import carriers
from portal.shipping.carriers import Carrier
from portal.shipping.models import Order, OrderEvent, OrderStatus, Shipment, ShipmentUpload
from portal.shipping.orders import move_order

# A supplier may put right its own confirmation for this long; later only operator staff.
SUPPLIER_CORRECTION_WINDOW = timedelta(hours=24)
UPLOAD_MAX_AGE = timedelta(days=1)

# 2026-000123-1 (hyphens may be lost by a carrier's software when the last one survives).
_ORDER_NO_RE = re.compile(r"^(\d{4})-?(\d{6,9})-(\d{1,3})$")


# --- order numbers ----------------------------------------------------------------------


def format_order_no(donation_no: str, position: int) -> str:
    return f"{donation_no}-{position + 1}"


def order_no(order: Order) -> str:
    return format_order_no(order.line.donation.donation_no, order.line.position)


def parse_order_no(text: str) -> tuple[str, int] | None:
    """(donation_no, line position) from what a person typed or a file held; None if it is
    not an order number. Full-width digits and dashes are accepted."""
    value = unicodedata.normalize("NFKC", text or "").strip().replace("ー", "-").replace("−", "-")
    m = _ORDER_NO_RE.match(value)
    if not m:
        return None
    n = int(m.group(3))
    if n < 1:
        return None
    return f"{m.group(1)}-{m.group(2)}", n - 1


def supplier_orders(supplier_id: int) -> sa.Select[Order]:
    """Every query a supplier makes starts here: its own orders only (a foreign id is simply
    not found)."""
    return sa.select(Order).where(Order.supplier_id == supplier_id)


def find_order(session: Session, supplier_id: int, number: str) -> Order | None:
    key = parse_order_no(number)
    if key is None:
        return None
    return session.scalar(
        supplier_orders(supplier_id)
        .join(Order.line)
        .join(DonationLine.donation)
        .where(Donation.donation_no == key[0], DonationLine.position == key[1])
    )


# --- recipients and labels --------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    name: str
    postal_code: str  # digits only
    address: str
    phone: str


def _digits(value: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", value or "") if ch.isdigit())


def recipient(donation: Donation) -> Recipient:
    """The separate delivery address (別送) when one was given, else the donor's own."""
    if donation.delivery_name:
        return Recipient(
            donation.delivery_name,
            _digits(donation.delivery_postal_code),
            donation.delivery_address,
            donation.delivery_phone,
        )
    return Recipient(
        donation.donor_name, _digits(donation.postal_code), donation.address, donation.phone
    )


def label_rows(orders: list[Order], supplier: Supplier, ship_on: date) -> list[Any]:
    """carriers.LabelRow per order: the recipient, the supplier as sender, the gift as 品名,
    the order number as お客様管理番号 (so the carrier's history file comes back keyed by it)."""
    rows = []
    for order in orders:
        line = order.line
        to = recipient(line.donation)
        rows.append(
            carriers.LabelRow(
                order_no=order_no(order),
                recipient_name=to.name,
                recipient_postal=to.postal_code,
                recipient_address=to.address,
                recipient_phone=to.phone,
                sender_name=supplier.name,
                sender_postal=_digits(supplier.postal_code),
                sender_address=supplier.address,
                sender_phone=supplier.phone,
                item_name=line.gift.name,
                quantity=line.quantity,
                temperature=line.gift.temperature,
                desired_date=line.desired_date,
                desired_time=line.desired_time,
                ship_on=ship_on,
            )
        )
    return rows


# --- confirm, correct, deliver ----------------------------------------------------------


def _event_data(order: Order, shipment: Shipment) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "gift_name": order.line.gift.name,
        "carrier": shipment.carrier.value,
        "tracking_no": shipment.tracking_no,
        "shipped_on": shipment.shipped_on.isoformat(),
    }


def _check_own(order: Order, by_user: User | None) -> None:
    if by_user is not None and by_user.role == Role.SUPPLIER:
        if by_user.supplier_id != order.supplier_id:
            raise PermissionDenied(_l("この注文は見つかりません。"))
    elif by_user is not None and not is_operator(by_user):
        raise PermissionDenied(_l("発送の登録は事業者または運営事務局が行います。"))


def _validated(
    carrier: Carrier | str, tracking: str, shipped_on: date | None, order: Order
) -> tuple[Carrier, str, date]:
    try:
        carrier = Carrier(carrier)
    except ValueError:
        raise DomainError(_l("配送業者を選んでください。"), field="carrier") from None
    try:
        number = carriers.validate_tracking(carrier, tracking or "")
    except DomainError as e:
        raise DomainError(e.message, field=e.field or "tracking_no") from None
    if shipped_on is None:
        raise DomainError(_l("発送日を入力してください。"), field="shipped_on")
    if shipped_on > today_jst():
        raise DomainError(_l("発送日に未来の日付は入力できません。"), field="shipped_on")
    if shipped_on < order.ordered_on:
        raise DomainError(_l("発送日が注文日より前になっています。"), field="shipped_on")
    return carrier, number, shipped_on


def default_shipping_fee(order: Order) -> int:
    """送料 of an order's parcel as the gift master has it: the gift's fee × units."""
    return order.line.gift.shipping_fee * order.line.quantity


def confirm_shipment(
    session: Session,
    order: Order,
    carrier: Carrier | str,
    tracking: str,
    shipped_on: date | None,
    by_user: User | None,
) -> Shipment:
    """発送登録. A second identical confirmation returns the first shipment unchanged."""
    _check_own(order, by_user)
    carrier, number, shipped_on = _validated(carrier, tracking, shipped_on, order)
    existing = session.scalar(sa.select(Shipment).where(Shipment.order_id == order.id))
    if existing is None:
        if order.status == OrderStatus.CANCELLED:
            raise DomainError(_l("この注文は取り消されています。発送しないでください。"))
        shipment = Shipment(
            order_id=order.id,
            supplier_id=order.supplier_id,
            carrier=carrier,
            tracking_no=number,
            shipped_on=shipped_on,
            confirmed_by_id=by_user.id if by_user is not None else None,
            shipping_fee=default_shipping_fee(order),
        )
        try:
            with session.begin_nested():
                session.add(shipment)
        except sa.exc.IntegrityError:
            # Someone confirmed the same order a moment ago: compare with theirs.
            existing = session.scalar(sa.select(Shipment).where(Shipment.order_id == order.id))
            if existing is None:
                raise
        else:
            # Conditional: a cancellation that committed meanwhile is not overwritten.
            move_order(
                session,
                order,
                OrderStatus.SHIPPED,
                by_user=by_user,
                refused=_l("この注文は取り消されています。発送しないでください。"),
                **_event_data(order, shipment),
            )
            return shipment
    same = (existing.carrier, existing.tracking_no, existing.shipped_on) == (
        carrier,
        number,
        shipped_on,
    )
    if same:
        return existing
    raise Conflict(
        _l(
            "この注文はすでに発送登録されています（送り状番号 %(no)s）。内容を直す場合は訂正してください。",
            no=existing.tracking_no,
        ),
        field="tracking_no",
    )


def can_correct(shipment: Shipment, user: User, now: datetime | None = None) -> bool:
    if is_operator(user):
        return True
    if user.role == Role.SUPPLIER and user.supplier_id == shipment.order.supplier_id:
        return (now or utcnow()) - shipment.confirmed_at <= SUPPLIER_CORRECTION_WINDOW
    return False


def correct_shipment(
    session: Session,
    shipment: Shipment,
    carrier: Carrier | str,
    tracking: str,
    shipped_on: date | None,
    by_user: User,
    *,
    now: datetime | None = None,
) -> Shipment:
    """訂正: the supplier within 24 hours of its confirmation, operator staff at any time."""
    order = shipment.order
    _check_own(order, by_user)
    if not can_correct(shipment, by_user, now):
        raise TooLate(
            _l(
                "発送登録から24時間を過ぎたため、ここでは訂正できません。運営事務局にご連絡ください。"
            )
        )
    carrier, number, shipped_on = _validated(carrier, tracking, shipped_on, order)
    if (shipment.carrier, shipment.tracking_no, shipment.shipped_on) == (
        carrier,
        number,
        shipped_on,
    ):
        return shipment
    shipment.carrier = carrier
    shipment.tracking_no = number
    shipment.shipped_on = shipped_on
    shipment.corrected_at = now or utcnow()
    shipment.corrected_by_id = by_user.id
    session.flush()
    record_event(
        session,
        "donation",
        order.line.donation_id,
        OrderEvent.SHIPMENT_CORRECTED,
        by_user=by_user,
        public=True,
        **_event_data(order, shipment),
    )
    return shipment


REASON_MAX = 300


def staff_correct_shipment(
    session: Session,
    shipment: Shipment,
    carrier: Carrier | str,
    tracking: str,
    shipped_on: date | None,
    reason: str,
    by_user: User,
) -> Shipment:
    """Operator staff's correction (any time, typically after the supplier's 24 hours): the
    same rules as the supplier's, plus a required reason kept on the internal timeline (the
    donor sees only the corrected shipment)."""
    if not is_operator(by_user):
        raise PermissionDenied(_l("発送の訂正は運営事務局が行います。"))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("訂正の理由を入力してください。"), field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(
            _l("訂正の理由は%(n)s文字以内で入力してください。", n=REASON_MAX), field="reason"
        )
    before = (shipment.carrier, shipment.tracking_no, shipment.shipped_on)
    correct_shipment(session, shipment, carrier, tracking, shipped_on, by_user)
    if (shipment.carrier, shipment.tracking_no, shipment.shipped_on) != before:
        record_event(
            session,
            "donation",
            shipment.order.line.donation_id,
            OrderEvent.CORRECTION_REASON,
            by_user=by_user,
            public=False,
            order_id=shipment.order_id,
            reason=reason,
            before_tracking_no=before[1],
        )
    return shipment


def mark_delivered(session: Session, order: Order, *, by_user: User | None = None) -> Order:
    """配達済 (from the carrier's tracking or staff); only a shipped order can be delivered."""
    if order.status == OrderStatus.DELIVERED:
        return order
    move_order(
        session,
        order,
        OrderStatus.DELIVERED,
        by_user=by_user,
        refused=_l("発送済の注文だけを配達済にできます。"),
    )
    return order


def shipment_for(session: Session, order: Order) -> Shipment | None:
    return session.scalar(sa.select(Shipment).where(Shipment.order_id == order.id))


# --- several at once --------------------------------------------------------------------


@dataclass
class BulkResult:
    shipped: list[Order]
    errors: dict[int, str]  # order id → reason


def confirm_many(
    session: Session,
    orders: list[Order],
    carrier: Carrier | str,
    tracking_by_order: dict[int, str],
    shipped_on: date | None,
    by_user: User,
) -> BulkResult:
    """Same carrier and date, one tracking number each; every bad row's reason is returned
    (the screen commits only when there is none: all or nothing, and the form keeps input)."""
    result = BulkResult(shipped=[], errors={})
    for order in orders:
        try:
            with session.begin_nested():
                confirm_shipment(
                    session,
                    order,
                    carrier,
                    tracking_by_order.get(order.id, ""),
                    shipped_on,
                    by_user,
                )
            result.shipped.append(order)
        except DomainError as e:
            result.errors[order.id] = str(e.message)
    return result


# --- shipment files: preview, then apply ------------------------------------------------


def _reason(message: Any) -> str:
    return str(message)


def preview_upload(
    session: Session,
    supplier_id: int,
    data: bytes,
    *,
    filename: str,
    by_user: User,
    today: date | None = None,
) -> ShipmentUpload:
    """Parse (carriers.parse_shipment_file), then match each row to one of this supplier's
    own orders. Another supplier's order reads as unknown: the file cannot probe for it."""
    today = today or today_jst()
    parsed = carriers.parse_shipment_file(data, today=today)
    problems: list[dict[str, Any]] = [
        {"line": p.line, "order_no": getattr(p, "order_no", ""), "reason": _reason(p.reason)}
        for p in parsed.problems
    ]
    good: list[dict[str, Any]] = []
    first_line: dict[int, int] = {}
    for row in parsed.rows:
        order = find_order(session, supplier_id, row.order_no)

        def bad(message: Any, row: Any = row) -> None:
            problems.append({"line": row.line, "order_no": row.order_no, "reason": str(message)})

        if order is None:
            bad(_l("注文番号 %(no)s が見つかりません。", no=row.order_no))
            continue
        if order.id in first_line:
            bad(
                _l(
                    "同じ注文がファイルの中で重複しています（%(line)s行目と同じ注文）。",
                    line=first_line[order.id],
                )
            )
            continue
        first_line[order.id] = row.line
        if order.status == OrderStatus.CANCELLED:
            bad(_l("取り消された注文です。発送しないでください。"))
            continue
        existing = shipment_for(session, order)
        if existing is not None:
            bad(
                _l(
                    "すでに発送登録済みです（送り状番号 %(no)s）。",
                    no=existing.tracking_no,
                )
            )
            continue
        try:
            _, number, shipped_on = _validated(row.carrier, row.tracking_no, row.shipped_on, order)
        except DomainError as e:
            bad(e.message)
            continue
        good.append(
            {
                "line": row.line,
                "order_id": order.id,
                "order_no": order_no(order),
                "gift_name": order.line.gift.name,
                "carrier": Carrier(row.carrier).value,
                "tracking_no": number,
                "shipped_on": shipped_on.isoformat(),
            }
        )
    problems.sort(key=lambda p: p["line"])
    upload = ShipmentUpload(
        token=secrets.token_urlsafe(32),
        supplier_id=supplier_id,
        created_by_id=by_user.id,
        filename=(filename or "")[:200],
        rows=good,
        problems=problems,
    )
    session.add(upload)
    session.flush()
    return upload


def find_upload(session: Session, supplier_id: int, token: str) -> ShipmentUpload | None:
    upload = session.scalar(
        sa.select(ShipmentUpload).where(
            ShipmentUpload.token == token, ShipmentUpload.supplier_id == supplier_id
        )
    )
    if upload is None or utcnow() - upload.created_at > UPLOAD_MAX_AGE:
        return None
    return upload


def apply_upload(session: Session, upload: ShipmentUpload, *, by_user: User) -> ShipmentUpload:
    """Confirm every good row of the preview in one step; applying twice changes nothing.
    A row that went wrong since the preview (shipped meanwhile) is added to the problems."""
    if upload.applied_at is not None:
        return upload
    applied = 0
    late: list[dict[str, Any]] = []
    for row in upload.rows:
        order = session.scalar(
            supplier_orders(upload.supplier_id)
            .where(Order.id == row["order_id"])
            .options(joinedload(Order.line))
        )
        if order is None:  # pragma: no cover - orders are never deleted
            continue
        try:
            with session.begin_nested():
                confirm_shipment(
                    session,
                    order,
                    row["carrier"],
                    row["tracking_no"],
                    date.fromisoformat(row["shipped_on"]),
                    by_user,
                )
            applied += 1
        except DomainError as e:
            late.append(
                {"line": row["line"], "order_no": row["order_no"], "reason": str(e.message)}
            )
    if late:
        upload.problems = sorted([*upload.problems, *late], key=lambda p: p["line"])
    upload.applied_at = utcnow()
    upload.applied_count = applied
    session.flush()
    return upload


register_label("order", by_id(Order, "注文", order_no))
