"""The payment advice (支払通知書): one A4 document per supplier and payment run, listing the
statement lines paid, the deduction, the amount and the account it went to.

Japanese-only on purpose, like the other business documents (fixed labels, not catalogue
strings): it is the operator's formal notice to a Japanese supplier. Rendered from plain values
through the shared WeasyPrint engine (portal.documents.rendering).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy.orm import Session

from portal.accounts.models import ShippingPayer
from portal.core import clock
from portal.core.dates import wareki
from portal.core.money import format_yen
from portal.payments.models import PaymentLine, PaymentRun
from portal.payments.service import lines_paid_by
from portal.shipping.carriers import CARRIER_LABELS, Carrier
from portal.statements.models import LineKind, StatementLine

TEMPLATE = "documents/payment_advice.html"
STYLESHEET = "payment_advice.css"

CAUSE_TITLES = {
    "supplier": "事業者の責",
    "operator": "運営事務局の責",
    "carrier": "配送事故",
    "donor": "寄附者の事情",
    "disaster": "災害",
}


@dataclass(frozen=True)
class AdviceRow:
    month: str
    gift: str
    kind: str
    carrier: str
    count: int
    cost: str
    shipping: str
    paid: bool  # counted in the amount (not the supplier's own re-send)


@dataclass(frozen=True)
class Advice:
    number: str
    supplier: str
    supplier_code: str
    month: str
    pay_day: str
    paid: bool
    rows: tuple[AdviceRow, ...]
    cost: str
    shipping: str
    deduction: str
    amount: str
    shipping_to_carrier: bool
    bank: str
    account: str
    remitter: str
    printed_on: str


def _month_title(month: str) -> str:
    """'2026-10' → 令和8年10月."""
    year, mon = month.split("-")
    return wareki(date(int(year), int(mon), 1)).rsplit("月", 1)[0] + "月"


def _kind(line: StatementLine) -> str:
    if line.kind == LineKind.RESEND:
        return f"再送（{CAUSE_TITLES.get(line.resend_cause, line.resend_cause)}）"
    if line.kind == LineKind.ADJUSTMENT:
        return "訂正"
    return "発送"


def _carrier(value: str) -> str:
    try:
        return str(CARRIER_LABELS[Carrier(value)])
    except (ValueError, KeyError):
        return ""


def advice_number(run: PaymentRun, line: PaymentLine) -> str:
    return f"P{run.month.replace('-', '')}-{line.payee_code}"


def build_advice(session: Session, run: PaymentRun, line: PaymentLine) -> Advice:
    rows = tuple(
        AdviceRow(
            month=_month_title(sl.statement.month),
            gift=f"{sl.gift_code} {sl.gift_name}",
            kind=_kind(sl),
            carrier=_carrier(sl.carrier),
            count=sl.count,
            cost=format_yen(sl.cost_total),
            shipping=format_yen(sl.shipping_total),
            paid=sl.payable,
        )
        for sl in lines_paid_by(session, line)
    )
    number = line.account_number
    masked = "*" * max(0, len(number) - 3) + number[-3:] if number else ""
    return Advice(
        number=advice_number(run, line),
        supplier=line.payee_name,
        supplier_code=line.payee_code,
        month=_month_title(run.month),
        pay_day=wareki(run.paid_on or run.transfer_on),
        paid=run.is_paid,
        rows=rows,
        cost=format_yen(line.cost_amount),
        shipping=format_yen(line.shipping_amount),
        deduction=format_yen(line.deduction_amount),
        amount=format_yen(line.amount),
        shipping_to_carrier=line.supplier is not None
        and line.supplier.shipping_paid_by == ShippingPayer.OPERATOR,
        bank=f"{line.bank_name} {line.branch_name}".strip(),
        account=f"{line.account_type} {masked}".strip(),
        remitter=current_app.config.get("PAYMENT_REMITTER_NAME", ""),
        printed_on=wareki(clock.today_jst()),
    )


def advice_html(advices: list[Advice]) -> str:
    city = current_app.config.get("CITY_NAME", "庄原市")
    return current_app.jinja_env.get_template(TEMPLATE).render(advices=advices, city=city)


def render_advice(session: Session, run: PaymentRun, line: PaymentLine) -> bytes:
    from portal.documents.rendering import html_to_pdf

    pdf, _pages = html_to_pdf(advice_html([build_advice(session, run, line)]), STYLESHEET)
    return pdf


def advice_filename(run: PaymentRun, line: PaymentLine) -> str:
    return f"shiharai-tsuchi-{run.month}-{line.payee_code}.pdf"
