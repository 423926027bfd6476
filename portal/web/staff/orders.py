"""Staff: orders across suppliers — the overdue list, and putting a shipment right.

A supplier corrects its own shipment within 24 hours (portal.shipping.shipments); after that
only operator staff do, from the donation's page, with a reason kept on the internal
timeline. Staff also mark an order delivered when the carrier's tracking says so. City staff
see the same pages without the forms, and a POST from them is refused (403).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session, joinedload
from werkzeug.wrappers import Response

from portal.accounts.models import Supplier
from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.core.roles import can_correct_shipments
from portal.donations.models import Donation, DonationLine
from portal.extensions import db
from portal.gifts.models import Gift
from portal.shipping import resends
from portal.shipping import shipments as ship_uc
from portal.shipping.carriers import Carrier
from portal.shipping.models import Order, OrderStatus
from portal.web.forms import apply_domain_error, flash_domain_error
from portal.web.guards import requires
from portal.web.htmx import redirect, render
from portal.web.staff.donations import (
    CorrectionForm,
    FeeForm,
    ResendForm,
    correction_prefix,
    detail_page,
    fee_prefix,
    resend_prefix,
)

PAGE = 200


def _order(order_id: int) -> Order:
    order = db.session.scalar(
        sa.select(Order)
        .options(joinedload(Order.line).joinedload(DonationLine.donation))
        .where(Order.id == order_id)
    )
    if order is None:
        abort(404)
    return order


@requires(can_correct_shipments)
def order_shipment_correct(order_id: int) -> Response | str:
    """訂正 by staff (any time): carrier, tracking number, ship date and a reason."""
    order = _order(order_id)
    donation = order.line.donation
    shipment = ship_uc.shipment_for(db.session, order)
    if shipment is None:
        flash(_("この注文はまだ発送登録されていません。"), "error")
        return redirect(url_for("staff.donation_detail", donation_id=donation.id))
    form = CorrectionForm(prefix=correction_prefix(order_id))
    if form.validate_on_submit():
        before = (shipment.carrier, shipment.tracking_no, shipment.shipped_on)
        try:
            ship_uc.staff_correct_shipment(
                db.session,
                shipment,
                Carrier(form.carrier.data),
                form.tracking_no.data or "",
                form.shipped_on.data,
                form.reason.data or "",
                by_user=current_user,
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            changed = (shipment.carrier, shipment.tracking_no, shipment.shipped_on) != before
            flash(
                _("注文 %(no)s の発送を訂正しました。", no=ship_uc.order_no(order))
                if changed
                else _("変更はありませんでした。"),
                "success" if changed else "info",
            )
            return redirect(
                url_for("staff.donation_detail", donation_id=donation.id) + f"#order-{order.id}"
            )
    return detail_page(donation.id, correction_forms={order_id: form}, status=422)


def _back(order: Order) -> Response:
    return redirect(
        url_for("staff.donation_detail", donation_id=order.line.donation_id) + f"#order-{order.id}"
    )


@requires(can_correct_shipments)
def order_fee_correct(order_id: int) -> Response | str:
    """The 送料 of an order's parcel, corrected with a reason (audited)."""
    order = _order(order_id)
    shipment = ship_uc.shipment_for(db.session, order)
    if shipment is None:
        flash(_("この注文はまだ発送登録されていません。"), "error")
        return _back(order)
    form = FeeForm(prefix=fee_prefix(order_id))
    if form.validate_on_submit():
        try:
            resends.correct_fee(
                db.session, shipment, fee=form.shipping_fee.data, reason=form.reason.data or "",
                by_user=current_user,
            )  # fmt: skip
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("注文 %(no)s の送料を訂正しました。", no=ship_uc.order_no(order)), "success")
            return _back(order)
    return detail_page(order.line.donation_id, fee_forms={order_id: form}, status=422)


@requires(can_correct_shipments)
def order_resend(order_id: int) -> Response | str:
    """A re-send of the order's gift: a parcel of its own, with its cause."""
    order = _order(order_id)
    form = ResendForm(prefix=resend_prefix(order_id))
    if form.validate_on_submit():
        try:
            resends.record_resend(
                db.session, order, cause=form.cause.data or "", carrier=form.carrier.data or "",
                tracking=form.tracking_no.data or "", shipped_on=form.shipped_on.data,
                quantity=form.quantity.data, shipping_fee=form.shipping_fee.data,
                note=form.note.data or "", by_user=current_user,
            )  # fmt: skip
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("注文 %(no)s の再送を記録しました。", no=ship_uc.order_no(order)), "success")
            return _back(order)
    return detail_page(order.line.donation_id, resend_forms={order_id: form}, status=422)


@requires(can_correct_shipments)
def order_delivered(order_id: int) -> Response:
    """配達済 (from the carrier's tracking); a second click changes nothing."""
    order = _order(order_id)
    try:
        already = order.status == OrderStatus.DELIVERED
        ship_uc.mark_delivered(db.session, order, by_user=current_user)
    except DomainError as e:
        flash_domain_error(e)
    else:
        if not already:
            flash(_("注文 %(no)s を配達済にしました。", no=ship_uc.order_no(order)), "success")
    return redirect(
        url_for("staff.donation_detail", donation_id=order.line.donation_id) + f"#order-{order.id}"
    )


# --- overdue orders across suppliers ---------------------------------------------------------


def overdue_orders(session: Session, today: date, limit: int = PAGE) -> list[Any]:
    """Ordered, not shipped, ship-by date passed: oldest first, with supplier and gift (no
    donor data on this list, so it needs no audit row)."""
    return list(
        session.execute(
            sa.select(
                Order.id,
                Order.ship_by,
                Supplier.name.label("supplier_name"),
                Supplier.id.label("supplier_id"),
                Donation.id.label("donation_id"),
                Donation.donation_no,
                DonationLine.position,
                DonationLine.quantity,
                Gift.code.label("gift_code"),
                Gift.name.label("gift_name"),
            )
            .join(Supplier, Supplier.id == Order.supplier_id)
            .join(DonationLine, DonationLine.id == Order.line_id)
            .join(Donation, Donation.id == DonationLine.donation_id)
            .join(Gift, Gift.id == DonationLine.gift_id)
            .where(Order.status == OrderStatus.ORDERED, Order.ship_by < today)
            .order_by(Order.ship_by, Order.id)
            .limit(limit)
        ).all()
    )


def orders_overdue() -> str:
    today = today_jst()
    rows = overdue_orders(db.session, today)
    total = db.session.scalar(
        sa.select(sa.func.count(Order.id)).where(
            Order.status == OrderStatus.ORDERED, Order.ship_by < today
        )
    )
    by_supplier: dict[str, int] = {}
    for r in rows:
        by_supplier[r.supplier_name] = by_supplier.get(r.supplier_name, 0) + 1
    return render(
        "staff/orders_overdue.html",
        rows=rows,
        total=total or 0,
        by_supplier=sorted(by_supplier.items(), key=lambda kv: -kv[1]),
        today=today,
        order_no=ship_uc.format_order_no,
        days_late=lambda d: (today - d).days,
        week_ago=today - timedelta(days=7),
        shown_max=PAGE,
    )
