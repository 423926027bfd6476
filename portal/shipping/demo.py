"""Demo shipments: shipped orders get a carrier and a valid tracking number, most past-due
orders are shipped (a few per supplier stay overdue, so the red list has something to show),
and seasonal orders keep waiting for their window. Runs after portal.donations.demo."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.core.dates import today_jst
from portal.core.timeline import record_event
from portal.donations.models import Order, OrderStatus
from portal.shipping.carriers import Carrier
from portal.shipping.models import Shipment
from portal.shipping.shipments import confirm_shipment

KEEP_OVERDUE = 3  # per supplier
CARRIERS = (Carrier.YAMATO, Carrier.SAGAWA, Carrier.JAPAN_POST)


def _tracking(n: int) -> str:
    """A 12-digit number with the carriers' modulo-7 check digit."""
    body = f"{36000000000 + n * 7919:011d}"
    return body + str(int(body) % 7)


def seed(session: Session, ctx: dict[str, Any]) -> None:
    if session.scalar(sa.select(sa.func.count()).select_from(Shipment)):
        return  # idempotent
    today = today_jst()
    n = 0
    # Orders the donation demo marked shipped without saying how: give them a shipment.
    for order in session.scalars(
        sa.select(Order).where(Order.status == OrderStatus.SHIPPED).order_by(Order.id)
    ):
        n += 1
        shipped_on = min(order.ordered_on + timedelta(days=2 + n % 5), today)
        shipment = Shipment(
            order_id=order.id,
            carrier=CARRIERS[n % 3],
            tracking_no=_tracking(n),
            shipped_on=shipped_on,
        )
        session.add(shipment)
        session.flush()
        record_event(
            session,
            "donation",
            order.line.donation_id,
            "order.shipped",
            public=True,
            order_id=order.id,
            gift_name=order.line.gift.name,
            carrier=shipment.carrier.value,
            tracking_no=shipment.tracking_no,
            shipped_on=shipped_on.isoformat(),
        )
    # Past-due orders: most were shipped on time; the latest few per supplier are overdue.
    overdue = session.scalars(
        sa.select(Order)
        .where(Order.status == OrderStatus.ORDERED, Order.ship_by < today)
        .order_by(Order.supplier_id, Order.ship_by.desc(), Order.id.desc())
    ).all()
    kept: dict[int, int] = {}
    for order in overdue:
        if kept.get(order.supplier_id, 0) < KEEP_OVERDUE:
            kept[order.supplier_id] = kept.get(order.supplier_id, 0) + 1
            continue
        n += 1
        shipped_on = max(order.ordered_on, min(order.ship_by - timedelta(days=1), today))
        confirm_shipment(session, order, CARRIERS[n % 3], _tracking(n), shipped_on, None)
    session.flush()
