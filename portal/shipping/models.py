"""Orders to suppliers (one per paid gift line) with their state machine, the shipments that
fulfil them, and uploaded shipment files waiting between preview and apply."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Supplier, User
from portal.core.models import TimestampMixin, enum_column, utcnow
from portal.extensions import Model
from portal.shipping.carriers import Carrier

if TYPE_CHECKING:
    from portal.donations.models import DonationLine


class OrderStatus(enum.StrEnum):
    ORDERED = "ordered"  # 発注済
    SHIPPED = "shipped"  # 発送済
    DELIVERED = "delivered"  # 配達済
    CANCELLED = "cancelled"  # 取消


# Allowed moves of the order state machine (portal.shipping.orders.move_order). An order is
# created ORDERED when its line is paid and secured; a shipped order is never cancelled.
ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.ORDERED: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


class OrderEvent(enum.StrEnum):
    """Timeline kinds of an order (written on its donation's timeline); stored as the value."""

    CREATED = "order.created"
    SHIPPED = "order.shipped"
    SHIPMENT_CORRECTED = "order.shipment_corrected"
    CORRECTION_REASON = "order.correction_reason"  # internal: why staff corrected a shipment
    DELIVERED = "order.delivered"
    RESENT = "order.resent"  # a re-send (portal.shipping.resends)


# The event each move writes. A cancelled order is told by its donation's own
# donation.cancelled event (the whole donation is cancelled, one line on the timeline).
ORDER_MOVE_EVENTS: dict[OrderStatus, OrderEvent | None] = {
    OrderStatus.SHIPPED: OrderEvent.SHIPPED,
    OrderStatus.DELIVERED: OrderEvent.DELIVERED,
    OrderStatus.CANCELLED: None,
}


class ResendCause(enum.StrEnum):
    """Whose doing a re-send was. Re-sends caused by the supplier or the operator are not
    billed to the city [8(1)イ]; the supplier bears its own."""

    SUPPLIER = "supplier"  # 事業者の責
    OPERATOR = "operator"  # 受注者（運営事務局）の責
    CARRIER = "carrier"  # 配送事業者の事故
    DONOR = "donor"  # 寄附者の事情（長期不在・住所誤り）
    DISASTER = "disaster"  # 災害


NOT_BILLED_TO_CITY: frozenset[ResendCause] = frozenset({ResendCause.SUPPLIER, ResendCause.OPERATOR})
BORNE_BY_SUPPLIER: frozenset[ResendCause] = frozenset({ResendCause.SUPPLIER})


class Order(TimestampMixin, Model):
    """One per gift line once the donation is paid: what the supplier must ship, by when."""

    __tablename__ = "gift_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(sa.ForeignKey("donation_line.id"), unique=True)
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("supplier.id"), index=True)
    status: Mapped[OrderStatus] = mapped_column(
        enum_column(OrderStatus), default=OrderStatus.ORDERED, index=True
    )
    ordered_on: Mapped[date]
    ship_by: Mapped[date]
    shipped_at: Mapped[datetime | None]

    line: Mapped[DonationLine] = relationship(back_populates="orders")
    supplier: Mapped[Supplier] = relationship()

    # The supplier's order list pages by (ship_by, id) within its own orders, optionally by
    # status: keyset pagination walks these indexes (bench/orders.py).
    __table_args__ = (
        sa.Index("ix_gift_order_supplier_ship_by", "supplier_id", "ship_by", "id"),
        sa.Index("ix_gift_order_supplier_status_ship_by", "supplier_id", "status", "ship_by", "id"),
        sa.Index("ix_gift_order_status_ship_by", "status", "ship_by"),
    )


class Shipment(TimestampMixin, Model):
    """What the supplier sent for one order: carrier, 送り状番号, date. One per order (the
    unique order_id makes a double submit — even two at once — end with one row)."""

    __tablename__ = "shipment"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("gift_order.id"), unique=True)
    # The order's supplier (it never changes), kept here so a supplier's shipments of a month
    # are one index range (the dashboard's 今月の発送), not a join over all its orders.
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("supplier.id"))
    carrier: Mapped[Carrier] = mapped_column(enum_column(Carrier))
    tracking_no: Mapped[str] = mapped_column(sa.String(40))
    shipped_on: Mapped[date]
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    corrected_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    corrected_at: Mapped[datetime | None]
    # 送料 of this parcel (yen): the gift's fee × units when recorded; staff may correct it
    # with a reason (audited), and the month's statement sums these.
    shipping_fee: Mapped[int] = mapped_column(default=0)
    fee_note: Mapped[str] = mapped_column(sa.Text, default="")
    fee_corrected_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    fee_corrected_at: Mapped[datetime | None]

    order: Mapped[Order] = relationship()
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])
    corrected_by: Mapped[User | None] = relationship(foreign_keys=[corrected_by_id])

    __table_args__ = (
        sa.CheckConstraint("shipping_fee >= 0", name="shipping_fee_not_negative"),
        sa.Index("ix_shipment_shipped_on", "shipped_on"),
        sa.Index("ix_shipment_supplier_shipped_on", "supplier_id", "shipped_on"),
    )


class Resend(TimestampMixin, Model):
    """A re-send (再送) of an order's gift: a parcel of its own, with its carrier, 送り状番号,
    date, units, 送料 and cause. The order keeps its first Shipment; each re-send is a row
    here, usually closing a delivery problem (damage, return to sender)."""

    __tablename__ = "resend_shipment"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("gift_order.id"), index=True)
    problem_id: Mapped[int | None] = mapped_column(sa.ForeignKey("delivery_problem.id"))
    cause: Mapped[ResendCause] = mapped_column(enum_column(ResendCause))
    carrier: Mapped[Carrier] = mapped_column(enum_column(Carrier))
    tracking_no: Mapped[str] = mapped_column(sa.String(40))
    shipped_on: Mapped[date] = mapped_column(index=True)
    quantity: Mapped[int]
    shipping_fee: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    order: Mapped[Order] = relationship()
    recorded_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("shipping_fee >= 0", name="shipping_fee_not_negative"),
    )

    @property
    def billed_to_city(self) -> bool:
        return self.cause not in NOT_BILLED_TO_CITY


class ShipmentUpload(Model):
    """A parsed shipment file kept server-side between preview and apply, under a random key
    (nothing of the file travels in the URL). `rows` are the matched good rows, `problems`
    the bad ones with their line; applied_at makes a second apply a no-op."""

    __tablename__ = "shipment_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("supplier.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    filename: Mapped[str] = mapped_column(sa.String(200), default="")
    rows: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    applied_at: Mapped[datetime | None]
    applied_count: Mapped[int] = mapped_column(default=0)
