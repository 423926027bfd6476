"""Contract rates, city-paid advertising, invoices and the monthly business report [7], [8].

Amounts are integer yen. Rates are in basis points (1/100 of a percent: 1250 = 12.50 %) so
a rate is exact and the base fee is `floor(amount × bp / 10000)`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.core.models import TimestampMixin, enum_column, utcnow
from portal.core.portals import Portal
from portal.extensions import Model


class Rounding(enum.StrEnum):
    FLOOR = "floor"  # 1円未満切捨て
    HALF_UP = "half_up"  # 1円未満四捨五入
    CEIL = "ceil"  # 1円未満切上げ


class ContractRate(TimestampMixin, Model):
    """One period of the contract's prices (見積書): rates, the mailing price, the tax."""

    __tablename__ = "contract_rate"

    id: Mapped[int] = mapped_column(primary_key=True)
    valid_from: Mapped[date] = mapped_column(unique=True)  # until the next period starts
    base_rate_bp: Mapped[int]  # 基本業務委託料率 (donations with a gift)
    no_gift_rate_bp: Mapped[int]  # 返礼品を発送しない寄附
    crowdfunding_rate_bp: Mapped[int]  # クラウドファンディング型
    mailing_unit_price: Mapped[int] = mapped_column(default=0)  # 受領証明書等 1通
    mailing_in_base: Mapped[bool] = mapped_column(default=False)  # 8(1)ウ folded into ア
    tax_rate_percent: Mapped[int] = mapped_column(default=10)  # 0: amounts include tax
    tax_rounding: Mapped[Rounding] = mapped_column(enum_column(Rounding), default=Rounding.FLOOR)
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    __table_args__ = (
        sa.CheckConstraint(
            "base_rate_bp >= 0 AND no_gift_rate_bp >= 0 AND crowdfunding_rate_bp >= 0"
            " AND base_rate_bp <= 10000 AND no_gift_rate_bp <= 10000"
            " AND crowdfunding_rate_bp <= 10000",
            name="rates_in_range",
        ),
        sa.CheckConstraint("mailing_unit_price >= 0", name="mailing_price_not_negative"),
        sa.CheckConstraint(
            "tax_rate_percent >= 0 AND tax_rate_percent <= 100", name="tax_rate_in_range"
        ),
    )


class CityAdvertisement(TimestampMixin, Model):
    """Advertising the city paid to a portal itself [8(3)]: deducted from the next invoice."""

    __tablename__ = "city_advertisement"

    id: Mapped[int] = mapped_column(primary_key=True)
    paid_on: Mapped[date]
    amount: Mapped[int]
    description: Mapped[str] = mapped_column(sa.String(300))
    portal: Mapped[Portal | None] = mapped_column(enum_column(Portal))
    evidence_ref: Mapped[str] = mapped_column(sa.String(200), default="")  # 請求書番号 etc.
    evidence_name: Mapped[str] = mapped_column(sa.String(200), default="")
    evidence_type: Mapped[str] = mapped_column(sa.String(100), default="")
    evidence_data: Mapped[bytes | None] = mapped_column(sa.LargeBinary, deferred=True)
    deducted_invoice_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("city_invoice.id"), index=True
    )
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    __table_args__ = (sa.CheckConstraint("amount > 0", name="ad_amount_positive"),)


class InvoiceKind(enum.StrEnum):
    INVOICE = "invoice"  # 請求書
    CREDIT = "credit"  # 赤伝 (credit note: the negative of an issued invoice)


class InvoiceEvent(enum.StrEnum):
    """Timeline kinds of a city invoice."""

    ISSUED = "invoice.issued"
    CREDITED = "invoice.credited"  # cancelled by a credit note


class Invoice(Model):
    """An issued invoice to the city: numbered, its lines frozen (no later edit: a correction
    is a credit note and a new invoice)."""

    __tablename__ = "city_invoice"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7), index=True)
    kind: Mapped[InvoiceKind] = mapped_column(enum_column(InvoiceKind), default=InvoiceKind.INVOICE)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    issued_on: Mapped[date]
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    contract_rate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contract_rate.id"))
    original_id: Mapped[int | None] = mapped_column(sa.ForeignKey("city_invoice.id"))
    reason: Mapped[str] = mapped_column(sa.String(300), default="")  # of a credit note
    taxable: Mapped[int]
    tax: Mapped[int]
    total: Mapped[int]
    tax_note: Mapped[str] = mapped_column(sa.String(200), default="")

    issued_by: Mapped[User | None] = relationship()
    original: Mapped[Invoice | None] = relationship(remote_side=[id])
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )


class InvoiceLine(Model):
    __tablename__ = "city_invoice_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("city_invoice.id"), index=True)
    position: Mapped[int]
    section: Mapped[str] = mapped_column(sa.String(16))  # base / gifts / mailing / ads / tax
    label: Mapped[str] = mapped_column(sa.String(300))
    detail: Mapped[str] = mapped_column(sa.String(300), default="")
    quantity: Mapped[int] = mapped_column(default=0)
    basis: Mapped[int] = mapped_column(default=0)  # the amount a rate applies to
    unit_price: Mapped[int] = mapped_column(default=0)
    cost: Mapped[int] = mapped_column(default=0)  # 返礼品代 of a gift line
    shipping: Mapped[int] = mapped_column(default=0)  # 送料 of a gift line
    amount: Mapped[int]
    ref_type: Mapped[str] = mapped_column(sa.String(32), default="")  # statement_line, ...
    ref_id: Mapped[str] = mapped_column(sa.String(64), default="")

    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class GiftArticle(TimestampMixin, Model):
    """A gift introduction article the operator wrote [7(1)オ]."""

    __tablename__ = "gift_article"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    portal: Mapped[Portal | None] = mapped_column(enum_column(Portal))
    published_on: Mapped[date] = mapped_column(index=True)
    url: Mapped[str] = mapped_column(sa.String(500), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))


class PromotionActivity(TimestampMixin, Model):
    """Promotion done to raise donations [7(1)カ], with what it cost and what it brought."""

    __tablename__ = "promotion_activity"

    id: Mapped[int] = mapped_column(primary_key=True)
    what: Mapped[str] = mapped_column(sa.String(200))
    done_on: Mapped[date] = mapped_column(index=True)
    medium: Mapped[str] = mapped_column(sa.String(100))
    cost: Mapped[int] = mapped_column(default=0)
    reach: Mapped[int | None]  # impressions / recipients, when known
    donations_count: Mapped[int | None]  # donations attributed (portal reports, codes)
    donations_amount: Mapped[int | None]
    effect: Mapped[str] = mapped_column(sa.Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    __table_args__ = (sa.CheckConstraint("cost >= 0", name="promotion_cost_not_negative"),)


class ReportState(enum.StrEnum):
    DRAFT = "draft"  # 作成中
    SUBMITTED = "submitted"  # 提出済 (locked, the city inspects it)
    RETURNED = "returned"  # 差戻し (editable again)
    ACCEPTED = "accepted"  # 検査済


class ReportEvent(enum.StrEnum):
    CREATED = "report.created"
    SUBMITTED = "report.submitted"
    RETURNED = "report.returned"
    ACCEPTED = "report.accepted"


SECTIONS = ("a", "i", "u", "e", "o", "ka")  # ア イ ウ エ オ カ


class MonthlyReport(TimestampMixin, Model):
    """業務報告書 for one JST month [7(1)]; its history is in the timeline."""

    __tablename__ = "monthly_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7), unique=True)
    state: Mapped[ReportState] = mapped_column(
        enum_column(ReportState), default=ReportState.DRAFT, index=True
    )
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decision_comment: Mapped[str] = mapped_column(sa.Text, default="")

    comments: Mapped[list[ReportComment]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )

    @property
    def is_locked(self) -> bool:
        return self.state in (ReportState.SUBMITTED, ReportState.ACCEPTED)

    def comment_for(self, section: str) -> str:
        return next((c.body for c in self.comments if c.section == section), "")


class ReportComment(Model):
    """The operator's comment on one section (ア〜カ) while the report is a draft."""

    __tablename__ = "monthly_report_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("monthly_report.id"), index=True)
    section: Mapped[str] = mapped_column(sa.String(4))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    report: Mapped[MonthlyReport] = relationship(back_populates="comments")

    __table_args__ = (sa.UniqueConstraint("report_id", "section"),)
