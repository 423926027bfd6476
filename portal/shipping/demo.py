"""Demo shipments: shipped orders get a carrier and a valid tracking number, most past-due
orders are shipped (a few per supplier stay overdue, so the red list has something to show),
and seasonal orders keep waiting for their window. Runs after portal.donations.demo."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.core.dates import today_jst
from portal.shipping.carriers import Carrier
from portal.shipping.models import Order, OrderStatus, Shipment
from portal.shipping.problems import ProblemKind, report_problem, resolve_problem
from portal.shipping.shipments import confirm_shipment

KEEP_OVERDUE = 1  # per supplier: a few late orders across the programme, not a backlog
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
    # Orders the donation demo chose to have been shipped some days ago.
    for order_id in sorted(ctx.get("orders_to_ship", [])):
        order = session.get(Order, order_id)
        if order is None or order.status != OrderStatus.ORDERED:
            continue
        n += 1
        shipped_on = min(order.ordered_on + timedelta(days=2 + n % 5), today)
        confirm_shipment(session, order, CARRIERS[n % 3], _tracking(n), shipped_on, None)
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
    _problems(session, ctx, today)


def _problems(session: Session, ctx: dict[str, Any], today: date) -> None:
    """One delivery still delayed (open, with a new expected date) and one damaged box that
    was resent (resolved), so both lists and the donors' timelines show what they look like."""
    operator = ctx.get("users", {}).get("operator")
    if operator is None:
        return
    shipped = session.scalars(
        sa.select(Order)
        .where(Order.status == OrderStatus.SHIPPED)
        .order_by(Order.id.desc())
        .limit(2)
    ).all()
    if len(shipped) < 2:
        return
    report_problem(
        session,
        shipped[0],
        kind=ProblemKind.DELAY,
        note="デモ：台風の影響で配達が遅れています",
        expected_on=today + timedelta(days=3),
        by_user=operator,
        today=today,
    )
    damaged = report_problem(
        session,
        shipped[1],
        kind=ProblemKind.DAMAGE,
        note="デモ：箱がつぶれて届いたと寄附者から連絡",
        by_user=operator,
        today=today,
    )
    resolve_problem(
        session, damaged, resolution="デモ：事業者が同じ品を再送しました", by_user=operator
    )
    session.flush()
