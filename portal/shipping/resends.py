"""Re-sends (再送) and the 送料 of a parcel.

A re-send is a parcel of its own (`Resend`): carrier, 送り状番号, date, units, 送料 (the gift's
fee × units unless given) and its cause. It usually answers a delivery problem (damage, a
return to sender); recording it with the problem closes nothing by itself — staff still
resolve the problem with what was done. The month's statement lists re-sends apart, and those
caused by the supplier or the operator are not billed to the city [8(1)イ].

The 送料 recorded on a shipment defaults from the gift master when the shipment is confirmed;
operator staff may correct it (or a re-send's) with a reason: the change is audited, and a
statement already generated keeps its snapshot (correct its line, or the next month's).
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.core.audit import audit
from portal.core.errors import DomainError, PermissionDenied
from portal.core.models import utcnow
from portal.core.roles import Role, is_operator
from portal.core.timeline import record_event
from portal.shipping.models import Order, OrderEvent, OrderStatus, Resend, ResendCause, Shipment
from portal.shipping.problems import DeliveryProblem
from portal.shipping.shipments import _validated

NOTE_MAX = 1000
FEE_MAX = 1_000_000


def _check_fee(fee: int | None, field: str = "shipping_fee") -> int:
    if fee is None or fee < 0 or fee > FEE_MAX:
        raise DomainError(_l("送料は0円以上1,000,000円以下で入力してください。"), field=field)
    return int(fee)


def record_resend(
    session: Session,
    order: Order,
    *,
    cause: ResendCause | str,
    carrier: str,
    tracking: str,
    shipped_on: date | None,
    quantity: int | None = None,
    shipping_fee: int | None = None,
    note: str = "",
    problem: DeliveryProblem | None = None,
    by_user: User,
) -> Resend:
    """Record a re-send of an order already shipped (staff, or the supplier for its own)."""
    if by_user.role == Role.SUPPLIER:
        if by_user.supplier_id != order.supplier_id:
            raise PermissionDenied(_l("この注文は見つかりません。"))
    elif not is_operator(by_user):
        raise PermissionDenied(_l("再送の登録は事業者または運営事務局が行います。"))
    try:
        cause = ResendCause(cause)
    except ValueError:
        raise DomainError(_l("再送の理由（誰の責か）を選んでください。"), field="cause") from None
    if order.status not in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
        raise DomainError(_l("再送できるのは発送済みの注文だけです。"))
    if problem is not None and problem.order_id != order.id:
        raise DomainError(_l("この注文の問題ではありません。"))
    the_carrier, number, day = _validated(carrier, tracking, shipped_on, order)
    units = order.line.quantity if quantity is None else quantity
    if units < 1 or units > order.line.quantity:
        raise DomainError(
            _l("再送の数量は1から%(n)sまでで入力してください。", n=order.line.quantity),
            field="quantity",
        )
    fee = order.line.gift.shipping_fee * units if shipping_fee is None else _check_fee(shipping_fee)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_l("内容は1000文字以内で入力してください。"), field="note")
    resend = Resend(
        order_id=order.id,
        problem_id=problem.id if problem is not None else None,
        cause=cause,
        carrier=the_carrier,
        tracking_no=number,
        shipped_on=day,
        quantity=units,
        shipping_fee=fee,
        note=note,
        recorded_by_id=by_user.id,
    )
    session.add(resend)
    session.flush()
    record_event(
        session, "donation", order.line.donation_id, OrderEvent.RESENT, by_user=by_user, public=True,
        order_id=order.id, gift_name=order.line.gift.name, carrier=the_carrier.value,
        tracking_no=number, shipped_on=day.isoformat(),
    )  # fmt: skip
    return resend


def correct_fee(
    session: Session, parcel: Shipment | Resend, *, fee: int | None, reason: str, by_user: User
) -> Shipment | Resend:
    """Operator staff correct the 送料 of a parcel, with a reason (audited)."""
    if not is_operator(by_user):
        raise PermissionDenied(_l("送料の訂正は運営事務局の職員が行います。"))
    new_fee = _check_fee(fee)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("訂正の理由を入力してください。"), field="reason")
    if len(reason) > NOTE_MAX:
        raise DomainError(_l("内容は1000文字以内で入力してください。"), field="reason")
    before = parcel.shipping_fee
    parcel.shipping_fee = new_fee
    if isinstance(parcel, Shipment):
        parcel.fee_note = reason
        parcel.fee_corrected_by_id = by_user.id
        parcel.fee_corrected_at = utcnow()
        kind = "shipment"
    else:
        parcel.note = (f"{parcel.note}\n" if parcel.note else "") + reason
        kind = "resend_shipment"
    # The reason staff typed stays on the parcel (fee_note / note), where the erasure run
    # blanks it with the donation; an audit row can never be changed, so it keeps the figures.
    audit(
        session, actor=by_user, action="shipping_fee.correct", subject_type=kind,
        subject_id=parcel.id, detail=f"{before}→{new_fee}",
    )  # fmt: skip
    session.flush()
    return parcel
