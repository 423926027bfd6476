"""What the watch stores: costs staff enter, the warning margins, and gift price history.

- `CostEntry`: a cost the portal's own records do not hold (portal fees per portal and month,
  payment fees, advertising …), per JST month; its kind decides the 総務省 category
  (`portal.oversight.categories.ENTRY_CATEGORY`).
- `OversightSetting`: one row, the margins before the 5割 and 3割 limits (basis points).
- `GiftPriceChange`: every change of a gift's 必要寄附額 or 調達費用, old and new values side by
  side, written by a flush listener whichever use case changed the gift (catalogue, proposal
  approval, demo), so "over 3割 since a price change" has a before and an after.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from portal.accounts.models import User
from portal.core.audit import by_id, register_label
from portal.core.models import TimestampMixin, enum_column, utcnow
from portal.core.portals import Portal
from portal.extensions import Model
from portal.gifts.models import Gift

DEFAULT_FIFTY_MARGIN_BP = 4700  # warn at 47% (limit 50%)
DEFAULT_THIRTY_MARGIN_BP = 2800  # warn at 28% (limit 30%)


class CostKind(enum.StrEnum):
    """What staff enter; each kind belongs to one 総務省 category (categories.py)."""

    PORTAL_FEE = "portal_fee"  # ポータルサイト手数料
    PAYMENT_FEE = "payment_fee"  # 決済手数料
    ADVERTISING = "advertising"  # 広告費 (other than the city-paid ads of the invoice)
    ONESTOP = "onestop"  # ワンストップ特例事務
    RECEIPT = "receipt"  # 受領証明書の発行・送付 (beyond the invoice's mailing line)
    PROCUREMENT_OTHER = "procurement_other"  # その他の返礼品等調達
    SHIPPING_OTHER = "shipping_other"  # その他の送付
    ADMIN_OTHER = "admin_other"  # その他の事務


class CostEntry(TimestampMixin, Model):
    __tablename__ = "cost_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7), index=True)  # 2026-10 (JST)
    category: Mapped[CostKind] = mapped_column(enum_column(CostKind))
    portal: Mapped[Portal | None] = mapped_column(enum_column(Portal))
    amount: Mapped[int]  # yen, tax included
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    __table_args__ = (sa.CheckConstraint("amount > 0", name="cost_amount_positive"),)


class OversightSetting(Model):
    __tablename__ = "oversight_setting"

    id: Mapped[int] = mapped_column(primary_key=True)
    fifty_margin_bp: Mapped[int] = mapped_column(default=DEFAULT_FIFTY_MARGIN_BP)
    thirty_margin_bp: Mapped[int] = mapped_column(default=DEFAULT_THIRTY_MARGIN_BP)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    __table_args__ = (
        sa.CheckConstraint(
            "fifty_margin_bp > 0 AND fifty_margin_bp <= 5000"
            " AND thirty_margin_bp > 0 AND thirty_margin_bp <= 3000",
            name="margins_below_limits",
        ),
    )


class GiftPriceChange(Model):
    __tablename__ = "gift_price_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    gift_id: Mapped[int] = mapped_column(sa.ForeignKey("gift.id"), index=True)
    old_required_amount: Mapped[int | None]  # None: the gift was created
    new_required_amount: Mapped[int]
    old_procurement_cost: Mapped[int | None]
    new_procurement_cost: Mapped[int]
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    gift: Mapped[Gift] = relationship()


def _old(session: Session, gift: Gift, name: str) -> tuple[bool, Any]:
    hist = sa.inspect(gift).attrs[name].history
    if not hist.has_changes():
        return False, getattr(gift, name)
    if hist.deleted:
        return True, hist.deleted[0]
    # Set without being loaded first (expired after a commit): the row still has the old value.
    with session.no_autoflush:
        return True, session.scalar(sa.select(getattr(Gift, name)).where(Gift.id == gift.id))


@event.listens_for(Session, "before_flush")
def _record_price_changes(session: Session, _ctx: Any, _instances: Any) -> None:
    """One history row per flush in which a gift's amount or cost changed (new gifts too)."""
    for gift in list(session.new):
        if isinstance(gift, Gift):
            session.add(
                GiftPriceChange(
                    gift=gift,
                    new_required_amount=gift.required_amount,
                    new_procurement_cost=gift.procurement_cost,
                )
            )
    for gift in list(session.dirty):
        if not isinstance(gift, Gift):
            continue
        amount_changed, old_amount = _old(session, gift, "required_amount")
        cost_changed, old_cost = _old(session, gift, "procurement_cost")
        if not (amount_changed or cost_changed):
            continue
        if old_amount == gift.required_amount and old_cost == gift.procurement_cost:
            continue
        session.add(
            GiftPriceChange(
                gift_id=gift.id,
                old_required_amount=old_amount,
                new_required_amount=gift.required_amount,
                old_procurement_cost=old_cost,
                new_procurement_cost=gift.procurement_cost,
            )
        )


register_label(
    "cost_entry", by_id(CostEntry, "募集費用", lambda c: f"{c.month} {c.category.value}")
)
register_label("oversight_setting", by_id(OversightSetting, "経費率の警告設定", lambda _s: ""))
