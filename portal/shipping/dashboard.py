"""The supplier's home page as one read model: what to ship, what waits, how stock stands.

Everything is scoped to one supplier (`shipments.supplier_orders`), and shows order numbers
and gifts only — no recipient data, so the dashboard needs no audit row. Stock warnings come
from the one stock assessment in portal/gifts/stock.py (`gifts_stock`), never a copy of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, contains_eager

from portal.donations.models import DonationLine
from portal.gifts.models import Gift, TemperatureBand
from portal.gifts.stock import gifts_stock
from portal.shipping.models import Order, OrderStatus, Shipment
from portal.shipping.shipments import order_no, supplier_orders
from portal.support.models import Conversation

ROWS = 20  # order cards per section; the counts say how many there are in all


@dataclass(frozen=True)
class OrderCard:
    id: int
    order_no: str
    gift_name: str
    quantity: int
    temperature: TemperatureBand
    ship_by: date


@dataclass(frozen=True)
class WaitingGift:
    """A seasonal gift whose shipping window has not opened, with its orders waiting."""

    gift_id: int
    name: str
    ship_from: date
    orders: int


@dataclass(frozen=True)
class GiftRef:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class StockWarning:
    gift: GiftRef
    reason: str  # translated: what the supplier should look at


@dataclass(frozen=True)
class SupplierDashboard:
    today: date
    week_end: date  # today + 6 days: "this week"
    overdue: tuple[OrderCard, ...]  # ordered, ship-by passed, oldest first (at most ROWS)
    overdue_count: int
    this_week: tuple[OrderCard, ...]  # ordered, ship-by today … week_end
    week_count: int
    waiting: tuple[WaitingGift, ...]
    shipped_month: int  # shipments dated this calendar month, up to today
    stock_warnings: tuple[StockWarning, ...]
    unread: int  # conversations with a reply the supplier has not read


def _cards(session: Session, stmt: sa.Select[Any]) -> tuple[OrderCard, ...]:
    orders: sa.ScalarResult[Order] = session.scalars(
        stmt.join(Order.line)
        .join(DonationLine.donation)
        .join(DonationLine.gift)
        .options(
            contains_eager(Order.line).contains_eager(DonationLine.donation),
            contains_eager(Order.line).contains_eager(DonationLine.gift),
        )
        .order_by(Order.ship_by, Order.id)
        .limit(ROWS)
    )
    return tuple(
        OrderCard(
            id=o.id,
            order_no=order_no(o),
            gift_name=o.line.gift.name,
            quantity=o.line.quantity,
            temperature=o.line.gift.temperature,
            ship_by=o.ship_by,
        )
        for o in orders
    )


def _count(session: Session, stmt: sa.Select[Any]) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0


def stock_warnings(session: Session, supplier_id: int, today: date) -> tuple[StockWarning, ...]:
    """The supplier's gifts that need a look, by gift code (paused, out, low overall, low on
    a portal)."""
    gifts = list(
        session.scalars(sa.select(Gift).where(Gift.supplier_id == supplier_id).order_by(Gift.code))
    )
    warnings = []
    for s in gifts_stock(session, gifts, today):
        if s.gift.stock_paused:
            reason = _("受付を一時停止しています。")
        elif s.is_out:
            reason = _("在庫がなくなりました。")
        elif s.total_low:
            reason = _("在庫が残り%(n)s個です。", n=s.total)
        elif s.any_portal_low:
            reason = _("一部のポータルで在庫が少なくなっています。")
        else:
            continue
        warnings.append(StockWarning(GiftRef(s.gift.id, s.gift.code, s.gift.name), reason))
    return tuple(warnings)


def supplier_dashboard(session: Session, supplier_id: int, today: date) -> SupplierDashboard:
    week_end = today + timedelta(days=6)
    open_ = supplier_orders(supplier_id).where(Order.status == OrderStatus.ORDERED)
    late = open_.where(Order.ship_by < today)
    week = open_.where(Order.ship_by.between(today, week_end))
    waiting = session.execute(
        sa.select(Gift.id, Gift.name, Gift.ship_from, sa.func.count(Order.id))
        .join(DonationLine, DonationLine.gift_id == Gift.id)
        .join(Order, Order.line_id == DonationLine.id)
        .where(
            Order.supplier_id == supplier_id,
            Order.status == OrderStatus.ORDERED,
            Gift.ship_from.is_not(None),
            Gift.ship_from > today,
            Order.ship_by > week_end,
        )
        .group_by(Gift.id, Gift.name, Gift.ship_from, Gift.code)
        .order_by(Gift.ship_from, Gift.code)
    ).all()
    shipped_month = (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Shipment)
            .where(
                Shipment.supplier_id == supplier_id,
                Shipment.shipped_on >= today.replace(day=1),
                Shipment.shipped_on <= today,
            )
        )
        or 0
    )
    unread = (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Conversation)
            .where(
                Conversation.supplier_id == supplier_id,
                Conversation.last_public_message_id > Conversation.customer_read_upto,
            )
        )
        or 0
    )
    return SupplierDashboard(
        today=today,
        week_end=week_end,
        overdue=_cards(session, late),
        overdue_count=_count(session, late),
        this_week=_cards(session, week),
        week_count=_count(session, week),
        waiting=tuple(
            WaitingGift(gid, name, ship_from, n)
            for gid, name, ship_from, n in waiting
            if ship_from is not None  # always (the query asks for it); for the type
        ),
        shipped_month=shipped_month,
        stock_warnings=stock_warnings(session, supplier_id, today),
        unread=unread,
    )
