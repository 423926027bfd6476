"""Demo shipments, all confirmed through confirm_shipment with a carrier and a valid tracking
number: the donations step ships the season's older orders (`ship`), this step ships most
past-due orders (a few per supplier stay overdue, so the red list has something to show) and
reports two delivery problems; seasonal orders keep waiting for their window."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.core.dates import today_jst
from portal.shipping.carriers import Carrier
from portal.shipping.models import Order, OrderStatus, Shipment
from portal.shipping.problems import (
    DeliveryProblem,
    ProblemKind,
    report_problem,
    resolve_problem,
)
from portal.shipping.shipments import confirm_shipment

if TYPE_CHECKING:
    from portal.demo.programme import Context

KEEP_OVERDUE = 1  # per supplier: a few late orders across the programme, not a backlog
CARRIERS = (Carrier.YAMATO, Carrier.SAGAWA, Carrier.JAPAN_POST)


def _tracking(n: int) -> str:
    """A 12-digit number with the carriers' modulo-7 check digit."""
    body = f"{36000000000 + n * 7919:011d}"
    return body + str(int(body) % 7)


def early_date(order: Order, n: int) -> date:
    """When an order shipped in the season's first weeks left: two to six days after it was
    ordered, never after today."""
    return min(order.ordered_on + timedelta(days=2 + n % 5), today_jst())


def ship(session: Session, order: Order, n: int, shipped_on: date) -> None:
    """Confirm the shipment as its supplier would: the n-th demo parcel, carriers in turn."""
    confirm_shipment(session, order, CARRIERS[n % 3], _tracking(n), shipped_on, None)


def seed(session: Session, ctx: Context) -> None:
    today = today_jst()
    if session.scalar(sa.select(sa.func.count()).select_from(DeliveryProblem)):
        return  # idempotent: this step ends by reporting the demo's delivery problems
    # Numbers go on from the parcels the donations step shipped.
    n = session.scalar(sa.select(sa.func.count()).select_from(Shipment)) or 0
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
        ship(
            session, order, n, max(order.ordered_on, min(order.ship_by - timedelta(days=1), today))
        )
    session.flush()
    _problems(session, ctx, today)


def _problems(session: Session, ctx: Context, today: date) -> None:
    """One delivery still delayed (open, with a new expected date) and one damaged box that
    was resent (resolved), so both lists and the donors' timelines show what they look like."""
    operator = ctx.users.get("operator")
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
