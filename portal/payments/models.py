"""A payment run per month: what each supplier (and each carrier the operator pays directly)
is owed from the month's confirmed statements, with the bank details as they were when the run
was made. Marking the run paid stamps its statement lines (`StatementLine.paid_run_id`): from
then on they never change, and a correction is an adjustment line of a later month.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Supplier, User
from portal.core.models import TimestampMixin, enum_column
from portal.extensions import Model
from portal.statements.models import Statement


class RunState(enum.StrEnum):
    DRAFT = "draft"  # 作成済（振込前）
    PAID = "paid"  # 支払済


class PayeeKind(enum.StrEnum):
    SUPPLIER = "supplier"
    CARRIER = "carrier"


class PaymentRun(TimestampMixin, Model):
    __tablename__ = "payment_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7), unique=True)  # the statements' month
    state: Mapped[RunState] = mapped_column(enum_column(RunState), default=RunState.DRAFT)
    transfer_on: Mapped[date]  # 振込指定日 written in the transfer file's header
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    paid_on: Mapped[date | None]
    paid_at: Mapped[datetime | None]
    paid_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    paid_by: Mapped[User | None] = relationship(foreign_keys=[paid_by_id])
    lines: Mapped[list[PaymentLine]] = relationship(
        back_populates="run",
        order_by="(PaymentLine.payee_kind.desc(), PaymentLine.payee_code, PaymentLine.id)",
        cascade="all, delete-orphan",
    )

    @property
    def is_paid(self) -> bool:
        return self.state == RunState.PAID

    @property
    def supplier_lines(self) -> list[PaymentLine]:
        return [ln for ln in self.lines if ln.payee_kind == PayeeKind.SUPPLIER]

    @property
    def carrier_lines(self) -> list[PaymentLine]:
        return [ln for ln in self.lines if ln.payee_kind == PayeeKind.CARRIER]

    @property
    def total(self) -> int:
        return sum(ln.amount for ln in self.lines)

    @property
    def supplier_total(self) -> int:
        return sum(ln.amount for ln in self.supplier_lines)


class PaymentLine(Model):
    """One payee of a run. For a supplier: 調達費用 plus the 送料 it paid the carrier itself,
    minus the 送料 of its own re-sends when the operator paid the carrier for them."""

    __tablename__ = "payment_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("payment_run.id", ondelete="CASCADE"), index=True
    )
    payee_kind: Mapped[PayeeKind] = mapped_column(enum_column(PayeeKind))
    payee_code: Mapped[str] = mapped_column(sa.String(32))  # supplier code or carrier value
    payee_name: Mapped[str] = mapped_column(sa.String(200))
    supplier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("supplier.id"), index=True)
    statement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("supplier_statement.id"))
    carrier: Mapped[str] = mapped_column(sa.String(32), default="")
    cost_amount: Mapped[int] = mapped_column(default=0)
    shipping_amount: Mapped[int] = mapped_column(default=0)
    deduction_amount: Mapped[int] = mapped_column(default=0)
    amount: Mapped[int]  # cost + shipping − deduction
    # 振込先 snapshot (the file is made from these, not from today's master)
    bank_code: Mapped[str] = mapped_column(sa.String(4), default="")
    bank_name: Mapped[str] = mapped_column(sa.String(100), default="")
    branch_code: Mapped[str] = mapped_column(sa.String(3), default="")
    branch_name: Mapped[str] = mapped_column(sa.String(100), default="")
    account_type: Mapped[str] = mapped_column(sa.String(10), default="")
    account_number: Mapped[str] = mapped_column(sa.String(10), default="")
    account_holder_kana: Mapped[str] = mapped_column(sa.String(30), default="")

    run: Mapped[PaymentRun] = relationship(back_populates="lines")
    supplier: Mapped[Supplier | None] = relationship()
    statement: Mapped[Statement | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("run_id", "payee_kind", "payee_code"),)

    @property
    def has_bank_account(self) -> bool:
        return bool(
            self.bank_code and self.branch_code and self.account_number
            and self.account_holder_kana
        )  # fmt: skip
