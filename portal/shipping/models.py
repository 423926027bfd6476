"""Shipments of orders, and uploaded shipment files waiting between preview and apply."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.core.models import TimestampMixin, enum_column, utcnow
from portal.donations.models import Order
from portal.extensions import db
from portal.shipping.carriers import Carrier


class Shipment(TimestampMixin, db.Model):
    """What the supplier sent for one order: carrier, 送り状番号, date. One per order (the
    unique order_id makes a double submit — even two at once — end with one row)."""

    __tablename__ = "shipment"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("gift_order.id"), unique=True)
    carrier: Mapped[Carrier] = mapped_column(enum_column(Carrier))
    tracking_no: Mapped[str] = mapped_column(sa.String(40))
    shipped_on: Mapped[date]
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    corrected_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    corrected_at: Mapped[datetime | None]

    order: Mapped[Order] = relationship()
    confirmed_by: Mapped[User | None] = relationship(foreign_keys=[confirmed_by_id])
    corrected_by: Mapped[User | None] = relationship(foreign_keys=[corrected_by_id])


class ShipmentUpload(db.Model):
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
