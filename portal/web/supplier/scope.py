"""What a supplier may load: its own gifts and its own orders (queries are scoped, not filtered
after). Another company's order is not found (404), never forbidden, so ids cannot be probed."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from sqlalchemy.orm import contains_eager

from portal.donations.models import DonationLine
from portal.extensions import db
from portal.gifts.models import Gift
from portal.shipping import shipments
from portal.shipping.models import Order


def own_gifts() -> sa.Select[tuple[Gift]]:
    return sa.select(Gift).where(Gift.supplier_id == current_user.supplier_id).order_by(Gift.code)


def orders_with_details() -> sa.Select[tuple[Order]]:
    return (
        shipments.supplier_orders(current_user.supplier_id)
        .join(Order.line)
        .join(DonationLine.donation)
        .join(DonationLine.gift)
        .options(
            contains_eager(Order.line).contains_eager(DonationLine.donation),
            contains_eager(Order.line).contains_eager(DonationLine.gift),
        )
    )


def own_order(order_id: int) -> Order:
    order = db.session.scalar(orders_with_details().where(Order.id == order_id))
    if order is None:
        abort(404)
    return order
