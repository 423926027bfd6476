"""Monthly statements (相互確認): per supplier and month, lines per gift shipped.

Amounts are snapshots taken when the statement is generated (a later change of a gift's
調達費用 or a shipment's 送料 does not rewrite a past month). A confirmed statement is locked;
a line paid in a payment run never changes (a correction is an ADJUSTMENT line next month).

Lines (for the invoice and the report — filter on the flags, not on the kind):
- kind SHIPMENT: the month's first parcels of one gift by one carrier; count units,
  cost_amount = count × unit_cost, shipping_amount = the sum of those shipments' 送料.
- kind RESEND: re-sends of one gift, by carrier and cause (`resend_cause`).
- kind ADJUSTMENT: a correction of a paid line of an earlier month (`adjusts_line_id`);
  amounts may be negative.
- `billable`: billed to the city as 返礼品代及び送料 [8(1)イ] — False for re-sends caused by the
  supplier or the operator.
- `payable`: owed to the supplier — False for re-sends the supplier caused (it bears them).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Supplier, User
from portal.core.models import TimestampMixin, enum_column, utcnow
from portal.extensions import Model

if TYPE_CHECKING:
    from portal.payments.models import PaymentRun


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


class LineKind(enum.StrEnum):
    SHIPMENT = "shipment"  # 発送
    RESEND = "resend"  # 再送
    ADJUSTMENT = "adjustment"  # 前月以前の支払済み行の訂正


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
        back_populates="statement",
        order_by="(StatementLine.gift_code, StatementLine.kind, StatementLine.id)",
        cascade="all, delete-orphan",
    )

    __table_args__ = (sa.UniqueConstraint("supplier_id", "month"),)

    @property
    def is_locked(self) -> bool:
        return self.state == StatementState.CONFIRMED

    @property
    def count_total(self) -> int:
        """Units shipped for the first time (re-sends and adjustments apart)."""
        return sum(line.count for line in self.lines if line.kind == LineKind.SHIPMENT)

    @property
    def payable_lines(self) -> list[StatementLine]:
        return [line for line in self.lines if line.payable]

    @property
    def cost_total(self) -> int:
        """調達費用 the supplier is owed (its own re-sends excluded)."""
        return sum(line.cost_total for line in self.payable_lines)

    @property
    def shipping_total(self) -> int:
        return sum(line.shipping_total for line in self.payable_lines)

    @property
    def total(self) -> int:
        return self.cost_total + self.shipping_total

    @property
    def billable_total(self) -> int:
        """返礼品代及び送料 the city is billed for this statement [8(1)イ]."""
        return sum(line.total for line in self.lines if line.billable)

    @property
    def is_paid(self) -> bool:
        return any(line.is_paid for line in self.lines)


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

    kind: Mapped[LineKind] = mapped_column(enum_column(LineKind), default=LineKind.SHIPMENT)
    carrier: Mapped[str] = mapped_column(sa.String(32), default="")  # Carrier value, "" if none
    resend_cause: Mapped[str] = mapped_column(sa.String(32), default="")  # ResendCause value
    cost_amount: Mapped[int] = mapped_column(default=0)  # 調達費用計 (yen)
    shipping_amount: Mapped[int] = mapped_column(default=0)  # 送料計: the shipments' own fees
    billable: Mapped[bool] = mapped_column(default=True)  # billed to the city
    payable: Mapped[bool] = mapped_column(default=True)  # owed to the supplier
    adjusts_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("supplier_statement_line.id"))
    paid_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payment_run.id"), index=True)

    statement: Mapped[Statement] = relationship(back_populates="lines")
    corrected_by: Mapped[User | None] = relationship()
    paid_run: Mapped[PaymentRun | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("count >= 0", name="count_not_negative"),
        sa.CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
        sa.CheckConstraint("unit_shipping >= 0", name="unit_shipping_not_negative"),
    )

    @property
    def cost_total(self) -> int:
        return self.cost_amount

    @property
    def shipping_total(self) -> int:
        return self.shipping_amount

    @property
    def is_paid(self) -> bool:
        """In a payment run marked paid (`paid_run_id` is the run that pays the line: set when
        a run is made, the line is paid once that run is marked paid)."""
        return self.paid_run is not None and self.paid_run.is_paid

    @property
    def total(self) -> int:
        return self.cost_total + self.shipping_total
