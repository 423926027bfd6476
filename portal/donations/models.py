"""Donations and their gift lines (the orders a paid line becomes are portal.shipping's).

A donation is keyed by (portal, portal_order_no) so imports are idempotent; donation_no is
the city's own 寄附受付番号 from the gap-free counter.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.audit import by_id, register_label
from portal.core.models import TimestampMixin, backend_index, enum_column
from portal.core.portals import Portal
from portal.extensions import Model
from portal.gifts.models import Gift
from portal.shipping.models import Order, OrderStatus


class PaymentMethod(enum.StrEnum):
    CARD = "card"  # クレジットカード
    BANK = "bank"  # 銀行振込
    POSTAL = "postal"  # 郵便振替
    CASH_REGISTERED = "cash_registered"  # 現金書留
    PAYMENT_SLIP = "payment_slip"  # 納付書
    OTHER = "other"  # その他


class PaymentState(enum.StrEnum):
    UNPAID = "unpaid"  # 未入金
    PAID = "paid"  # 入金済


class DonationState(enum.StrEnum):
    RECEIVED = "received"  # 受付
    PAID = "paid"  # 入金済
    CANCELLED = "cancelled"  # 取消


# Allowed moves of the donation state machine (portal.donations.states.transition).
DONATION_TRANSITIONS: dict[DonationState, frozenset[DonationState]] = {
    DonationState.RECEIVED: frozenset({DonationState.PAID, DonationState.CANCELLED}),
    DonationState.PAID: frozenset({DonationState.CANCELLED}),
    DonationState.CANCELLED: frozenset(),
}


class DonationEvent(enum.StrEnum):
    """Timeline kinds of a donation and its lines; stored as the value."""

    RECEIVED = "donation.received"
    PAID = "donation.paid"
    CANCELLED = "donation.cancelled"
    UPDATED = "donation.updated"  # an import changed its details
    LINE_HELD = "line.held"
    LINE_RELEASED = "line.released"
    LINE_SUBSTITUTED = "line.substituted"


# The event each move of the donation state machine writes (portal.donations.lifecycle).
DONATION_MOVE_EVENTS: dict[DonationState, DonationEvent] = {
    DonationState.PAID: DonationEvent.PAID,
    DonationState.CANCELLED: DonationEvent.CANCELLED,
}


class DonationKind(enum.StrEnum):
    """What the donation list filters on and the figures count separately."""

    DISASTER_RELIEF = "disaster_relief"  # 災害支援
    CROWDFUNDING = "crowdfunding"  # クラウドファンディング (tied to a project)
    REGULAR = "regular"  # neither


class LineHold(enum.StrEnum):
    NONE = "none"  # 在庫確保済 (or no gift)
    STOCK = "stock"  # 在庫超過: no allocation left on this portal
    WINDOW = "window"  # 受付期間外
    CANCELLED = "cancelled"  # line cancelled, stock given back


class Donation(TimestampMixin, Model):
    __tablename__ = "donation"

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_no: Mapped[str] = mapped_column(sa.String(20), unique=True)  # 寄附受付番号
    portal: Mapped[Portal] = mapped_column(enum_column(Portal))
    portal_order_no: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[DonationState] = mapped_column(
        enum_column(DonationState), default=DonationState.RECEIVED, index=True
    )

    donor_name: Mapped[str] = mapped_column(sa.String(100))
    donor_kana: Mapped[str] = mapped_column(sa.String(100), default="")
    postal_code: Mapped[str] = mapped_column(sa.String(8), default="")  # 7270011 (digits)
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    email: Mapped[str] = mapped_column(sa.String(254), default="")

    amount: Mapped[int]  # yen
    applied_on: Mapped[date] = mapped_column(index=True)  # 寄附日 (申込日); analytics ranges
    payment_method: Mapped[PaymentMethod] = mapped_column(enum_column(PaymentMethod))
    payment_state: Mapped[PaymentState] = mapped_column(
        enum_column(PaymentState), default=PaymentState.UNPAID
    )
    paid_on: Mapped[date | None]  # 入金日 (決済日 / 振込日 / 到着日)
    received_on: Mapped[date | None]  # 受領日 (receipts use it), derived from the method

    purpose: Mapped[str] = mapped_column(sa.String(200), default="")  # 寄附使途
    onestop_requested: Mapped[bool] = mapped_column(default=False)
    receipt_wanted: Mapped[bool] = mapped_column(default=True)
    publish_name: Mapped[bool] = mapped_column(default=False)  # 氏名公表可否
    message: Mapped[str] = mapped_column(sa.Text, default="")  # 応援メッセージ

    delivery_name: Mapped[str] = mapped_column(sa.String(100), default="")
    delivery_postal_code: Mapped[str] = mapped_column(sa.String(8), default="")
    delivery_address: Mapped[str] = mapped_column(sa.String(300), default="")
    delivery_phone: Mapped[str] = mapped_column(sa.String(20), default="")

    mail_name: Mapped[str] = mapped_column(sa.String(100), default="")  # 書類送付先
    mail_postal_code: Mapped[str] = mapped_column(sa.String(8), default="")
    mail_address: Mapped[str] = mapped_column(sa.String(300), default="")

    # クラウドファンディング: the portal's own wording of the project (data, as the file gave it)
    # and the project it was resolved to (portal.crowdfunding); only the id makes it one.
    project: Mapped[str] = mapped_column(sa.String(200), default="")
    project_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("crowdfunding_project.id"), index=True, default=None
    )
    disaster_relief: Mapped[bool] = mapped_column(default=False)  # 災害支援

    cancel_reason: Mapped[str] = mapped_column(sa.String(300), default="")

    # Normalised copies for the one search box (portal.donations.search, which writes them):
    # PERSONAL DATA — names, kana, phones, e-mail. An erasure must blank every search_* column.
    search_name: Mapped[str] = mapped_column(sa.String(200), default="", index=True)
    search_kana: Mapped[str] = mapped_column(sa.String(200), default="", index=True)
    search_phone: Mapped[str] = mapped_column(sa.String(50), default="", index=True)
    search_email: Mapped[str] = mapped_column(sa.String(254), default="", index=True)
    search_delivery: Mapped[str] = mapped_column(sa.String(200), default="", index=True)

    lines: Mapped[list[DonationLine]] = relationship(
        back_populates="donation", order_by="DonationLine.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.UniqueConstraint("portal", "portal_order_no"),
        sa.Index("ix_donation_portal_order_no", "portal_order_no"),
        # an exact e-mail address: a B-tree beside PostgreSQL's trigram index (0023); SQLite's
        # ix_donation_search_email is a B-tree already, so there it is not kept twice (0036)
        backend_index("ix_donation_search_email_eq", "search_email"),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
    )

    @hybrid_property
    def is_crowdfunding(self) -> bool:
        """The one definition of a crowdfunding donation (the donation list's kind, the figures
        and the invoice's group): it is tied to a project."""
        return self.project_id is not None

    @is_crowdfunding.inplace.expression
    @classmethod
    def _is_crowdfunding_expression(cls) -> sa.ColumnElement[bool]:
        return cls.project_id.is_not(None)

    @property
    def is_shipped(self) -> bool:
        return any_shipped(self.lines)

    def __repr__(self) -> str:
        return f"<Donation {self.donation_no}>"


class DonationLine(Model):
    __tablename__ = "donation_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(sa.ForeignKey("donation.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    gift_id: Mapped[int] = mapped_column(sa.ForeignKey("gift.id"), index=True)
    quantity: Mapped[int] = mapped_column(default=1)
    desired_date: Mapped[date | None]  # 配送希望日
    desired_time: Mapped[str] = mapped_column(sa.String(20), default="")  # 時間帯
    noshi: Mapped[str] = mapped_column(sa.String(50), default="")  # のし
    hold: Mapped[LineHold] = mapped_column(enum_column(LineHold), default=LineHold.NONE, index=True)
    stock_taken: Mapped[bool] = mapped_column(default=False)

    donation: Mapped[Donation] = relationship(back_populates="lines")
    gift: Mapped[Gift] = relationship()
    orders: Mapped[list[Order]] = relationship(back_populates="line")

    __table_args__ = (sa.CheckConstraint("quantity > 0", name="quantity_positive"),)


def any_shipped(lines: Iterable[Any]) -> bool:
    """Whether a donation has left for the donor: one of its lines' orders shipped (or
    delivered). `lines`: DonationLine rows, or the status page's read-only ones (their
    `orders` with a `status`)."""
    return any(
        o.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)
        for line in lines
        for o in line.orders
    )


DONATION_WORD = "寄附"  # how an audit row names a donation: "寄附 2026-000123"
register_label("donation", by_id(Donation, DONATION_WORD, lambda d: d.donation_no))
