from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Supplier, User
from portal.core.audit import by_id, register_label
from portal.core.models import TimestampMixin, enum_column, utcnow
from portal.extensions import Model

# 3割ルール: 返礼品の調達費用 ≤ 寄附額の30% (送料は含めない) — 地方税法第37条の2第2項,
# 平成31年総務省告示第179号 第4条; see DOMAIN-NOTES §4.4.
RETURN_RATIO_LIMIT_PERCENT = 30


class TemperatureBand(enum.StrEnum):
    AMBIENT = "ambient"  # 常温
    CHILLED = "chilled"  # 冷蔵
    FROZEN = "frozen"  # 冷凍


TEMPERATURE_LABELS = {
    TemperatureBand.AMBIENT: _l("常温"),
    TemperatureBand.CHILLED: _l("冷蔵"),
    TemperatureBand.FROZEN: _l("冷凍"),
}


class GiftStatus(enum.StrEnum):
    DRAFT = "draft"  # 準備中
    LISTED = "listed"  # 掲載中
    PAUSED = "paused"  # 一時停止
    ENDED = "ended"  # 終了


# Offered to donors. Entering these from 準備中 or 終了 is the city's decision (catalogue).
OFFERED_STATUSES = frozenset({GiftStatus.LISTED, GiftStatus.PAUSED})


# Carrier box sizes (sum of three sides in cm) that the carriers' tariffs use.
GIFT_SIZES = (60, 80, 100, 120, 140, 160, 180, 200)


class Gift(TimestampMixin, Model):
    __tablename__ = "gift"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(30), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("supplier.id"), index=True)
    required_amount: Mapped[int]  # 必要寄附額 (yen), set by the city
    procurement_cost: Mapped[int]  # 調達費用 (yen, tax included)
    shipping_fee: Mapped[int] = mapped_column(default=0)  # 送料 (yen)
    size: Mapped[int] = mapped_column(default=60)
    temperature: Mapped[TemperatureBand] = mapped_column(
        enum_column(TemperatureBand), default=TemperatureBand.AMBIENT
    )
    status: Mapped[GiftStatus] = mapped_column(enum_column(GiftStatus), default=GiftStatus.DRAFT)
    limited_quantity: Mapped[int | None]  # 数量限定: total units ever offered
    accept_from: Mapped[date | None]  # 受付期間
    accept_until: Mapped[date | None]
    ship_from: Mapped[date | None]  # 発送期間 (seasonal gifts)
    ship_until: Mapped[date | None]
    lead_days: Mapped[int] = mapped_column(default=14)  # days from order to ship-by, off-season
    # Stock controls: a paused gift takes no new units (lines are held, never oversold); the
    # total threshold alerts staff across all portal allocations together.
    stock_paused: Mapped[bool] = mapped_column(default=False)
    stock_paused_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    low_stock_threshold: Mapped[int] = mapped_column(default=0)

    supplier: Mapped[Supplier] = relationship()
    images: Mapped[list[GiftImage]] = relationship(
        back_populates="gift", order_by="GiftImage.position", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("required_amount > 0", name="required_amount_positive"),
        sa.CheckConstraint("procurement_cost >= 0", name="procurement_cost_not_negative"),
        sa.CheckConstraint("shipping_fee >= 0", name="shipping_fee_not_negative"),
    )

    @staticmethod
    def over_return_limit(required_amount: int | None, procurement_cost: int | None) -> bool:
        """The 3割 rule itself, on plain values (a proposal's figures, before a gift exists):
        調達費用 > 必要寄附額 × 30%. 送料 is deliberately not an argument. Unknown figures are
        not (yet) over the limit."""
        if not required_amount or procurement_cost is None:
            return False
        return procurement_cost * 100 > required_amount * RETURN_RATIO_LIMIT_PERCENT

    @property
    def return_ratio(self) -> float:
        """調達費用 / 必要寄附額 in percent; shipping is not part of the 3割 rule."""
        return round(self.procurement_cost * 100 / self.required_amount, 1)

    @hybrid_property
    def exceeds_return_limit(self) -> bool:
        """The 3割 rule on this gift; also a SQL expression (`where(Gift.exceeds_return_limit)`),
        so lists and counters select with the same comparison in integers."""
        return self.procurement_cost * 100 > self.required_amount * RETURN_RATIO_LIMIT_PERCENT

    @property
    def min_required_amount(self) -> int:
        """The smallest 必要寄附額 that keeps this gift's 調達費用 within the 3割 rule."""
        return -(-self.procurement_cost * 100 // RETURN_RATIO_LIMIT_PERCENT)

    @property
    def is_offered(self) -> bool:
        return self.status in OFFERED_STATUSES

    @property
    def is_seasonal(self) -> bool:
        return self.ship_from is not None

    def __repr__(self) -> str:
        return f"<Gift {self.code}>"


class GiftImage(Model):
    __tablename__ = "gift_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    gift_id: Mapped[int] = mapped_column(sa.ForeignKey("gift.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))  # under UPLOAD_DIR, re-encoded
    alt: Mapped[str] = mapped_column(sa.String(200), default="")
    position: Mapped[int] = mapped_column(default=0)

    gift: Mapped[Gift] = relationship(back_populates="images")


class RequiredAmountChange(Model):
    """Who changed a gift's 必要寄附額, when, from what to what (only city staff may)."""

    __tablename__ = "required_amount_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    gift_id: Mapped[int] = mapped_column(sa.ForeignKey("gift.id"), index=True)
    old_amount: Mapped[int | None]
    new_amount: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    changed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    changed_by: Mapped[User] = relationship()


register_label("gift", by_id(Gift, "返礼品", lambda g: g.code))
