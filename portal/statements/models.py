"""Monthly statements (相互確認): per supplier and month, one line per gift shipped.

Amounts are snapshots taken when the statement is generated (a later change of a gift's
調達費用 or 送料 does not rewrite a past month). A confirmed statement is locked.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Supplier, User
from portal.core.audit import by_id, register_label
from portal.core.models import TimestampMixin, enum_column, utcnow
from portal.extensions import Model


class StatementState(enum.StrEnum):
    OPEN = "open"  # 確認待ち (the supplier's turn)
    DISPUTED = "disputed"  # 確認依頼中 (a line is disputed: staff's turn)
    CONFIRMED = "confirmed"  # 確認済 (locked)


class StatementEvent(enum.StrEnum):
    """Timeline kinds of a supplier statement."""

    GENERATED = "statement.generated"
    CONFIRMED = "statement.confirmed"
    DISPUTED = "statement.disputed"
    CORRECTED = "statement.corrected"


class Statement(TimestampMixin, Model):
    __tablename__ = "supplier_statement"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("supplier.id"), index=True)
    month: Mapped[str] = mapped_column(sa.String(7), index=True)  # 2026-10 (JST)
    state: Mapped[StatementState] = mapped_column(
        enum_column(StatementState), default=StatementState.OPEN, index=True
    )
    generated_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    supplier: Mapped[Supplier] = relationship()
    confirmed_by: Mapped[User | None] = relationship()
    lines: Mapped[list[StatementLine]] = relationship(
        back_populates="statement", order_by="StatementLine.gift_code", cascade="all, delete-orphan"
    )

    __table_args__ = (sa.UniqueConstraint("supplier_id", "month"),)

    @property
    def is_locked(self) -> bool:
        return self.state == StatementState.CONFIRMED

    @property
    def count_total(self) -> int:
        return sum(line.count for line in self.lines)

    @property
    def cost_total(self) -> int:
        return sum(line.cost_total for line in self.lines)

    @property
    def shipping_total(self) -> int:
        return sum(line.shipping_total for line in self.lines)

    @property
    def total(self) -> int:
        return self.cost_total + self.shipping_total


class StatementLine(Model):
    __tablename__ = "supplier_statement_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("supplier_statement.id", ondelete="CASCADE"), index=True
    )
    gift_id: Mapped[int] = mapped_column(sa.ForeignKey("gift.id"))
    gift_code: Mapped[str] = mapped_column(sa.String(30))  # snapshot
    gift_name: Mapped[str] = mapped_column(sa.String(200))  # snapshot
    count: Mapped[int]  # units shipped in the month
    unit_cost: Mapped[int]  # 調達費用 per unit (yen, snapshot)
    unit_shipping: Mapped[int]  # 送料 per unit (yen, snapshot)
    disputed: Mapped[bool] = mapped_column(default=False)
    dispute_comment: Mapped[str] = mapped_column(sa.Text, default="")
    disputed_at: Mapped[datetime | None]
    correction_note: Mapped[str] = mapped_column(sa.Text, default="")
    corrected_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    corrected_at: Mapped[datetime | None]

    statement: Mapped[Statement] = relationship(back_populates="lines")
    corrected_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("statement_id", "gift_id"),
        sa.CheckConstraint("count >= 0", name="count_not_negative"),
        sa.CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
        sa.CheckConstraint("unit_shipping >= 0", name="unit_shipping_not_negative"),
    )

    @property
    def cost_total(self) -> int:
        return self.count * self.unit_cost

    @property
    def shipping_total(self) -> int:
        return self.count * self.unit_shipping

    @property
    def total(self) -> int:
        return self.cost_total + self.shipping_total


register_label(
    "statement", by_id(Statement, "月次明細", lambda s: f"{s.month} 事業者{s.supplier_id}")
)
