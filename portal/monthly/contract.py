"""The contract table: which rates apply to a month, and how the tax is rounded."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.core.errors import DomainError, PermissionDenied
from portal.core.roles import can_prepare_monthly
from portal.monthly.models import ContractRate, Rounding

if TYPE_CHECKING:
    from portal.accounts.models import User

ROUNDING_LABELS = {
    Rounding.FLOOR: _l("1円未満切捨て"),
    Rounding.HALF_UP: _l("1円未満四捨五入"),
    Rounding.CEIL: _l("1円未満切上げ"),
}
_MODES = {
    Rounding.FLOOR: ROUND_FLOOR,
    Rounding.HALF_UP: ROUND_HALF_UP,
    Rounding.CEIL: ROUND_CEILING,
}


def round_yen(value: Decimal, mode: Rounding) -> int:
    return int(value.quantize(Decimal(1), rounding=_MODES[Rounding(mode)]))


def apply_rate(amount: int, bp: int) -> int:
    """The base fee for an amount: floor(amount × rate), rate in basis points."""
    return (amount * bp) // 10000


def percent_text(bp: int) -> str:
    return f"{Decimal(bp) / 100:.2f}%"


def rate_for(session: Session, day: date) -> ContractRate | None:
    """The period in force on `day` (the latest that started on or before it)."""
    return session.scalar(
        sa.select(ContractRate)
        .where(ContractRate.valid_from <= day)
        .order_by(ContractRate.valid_from.desc())
        .limit(1)
    )


def rates(session: Session) -> list[ContractRate]:
    return list(session.scalars(sa.select(ContractRate).order_by(ContractRate.valid_from.desc())))


def parse_percent(text: str, field: str) -> int:
    """'12.5' → 1250 basis points; DomainError for anything else or more than 2 decimals."""
    try:
        value = Decimal((text or "").strip().rstrip("%"))
    except ArithmeticError:
        raise DomainError(_l("率は 12.5 のように百分率で入力してください。"), field=field) from None
    bp = value * 100
    if bp != bp.to_integral_value() or not 0 <= bp <= 10000:
        raise DomainError(
            _l("率は 0〜100 の範囲で、小数点以下2桁までで入力してください。"), field=field
        )
    return int(bp)


def add_rate(
    session: Session,
    *,
    valid_from: date,
    base_rate_bp: int,
    no_gift_rate_bp: int,
    crowdfunding_rate_bp: int,
    mailing_unit_price: int,
    mailing_in_base: bool,
    tax_rate_percent: int,
    tax_rounding: Rounding | str = Rounding.FLOOR,
    note: str = "",
    by_user: User | None,
) -> ContractRate:
    if by_user is not None and not can_prepare_monthly(by_user):
        raise PermissionDenied(_l("契約単価を登録できるのは運営事務局の職員だけです。"))
    if session.scalar(sa.select(ContractRate.id).where(ContractRate.valid_from == valid_from)):
        raise DomainError(_l("この開始日の契約単価はすでに登録されています。"), field="valid_from")
    if mailing_unit_price is None or mailing_unit_price < 0:
        raise DomainError(_l("0以上の数を入力してください。"), field="mailing_unit_price")
    if tax_rate_percent is None or not 0 <= tax_rate_percent <= 100:
        raise DomainError(_l("税率は 0〜100 で入力してください。"), field="tax_rate_percent")
    issued_after = _issued_after(session, valid_from)
    if issued_after:
        raise DomainError(
            _l("%(month)s の請求書が発行済みです。それより後の期間から登録してください。",
               month=issued_after),
            field="valid_from",
        )  # fmt: skip
    rate = ContractRate(
        valid_from=valid_from,
        base_rate_bp=base_rate_bp,
        no_gift_rate_bp=no_gift_rate_bp,
        crowdfunding_rate_bp=crowdfunding_rate_bp,
        mailing_unit_price=mailing_unit_price,
        mailing_in_base=mailing_in_base,
        tax_rate_percent=tax_rate_percent,
        tax_rounding=Rounding(tax_rounding),
        note=(note or "").strip(),
        created_by_id=by_user.id if by_user else None,
    )
    session.add(rate)
    session.flush()
    return rate


def _issued_after(session: Session, day: date) -> str | None:
    """A month already invoiced on or after `day` (a new period must not rewrite it)."""
    from portal.monthly.models import Invoice, InvoiceKind

    month = f"{day.year:04d}-{day.month:02d}"
    return session.scalar(
        sa.select(Invoice.month)
        .where(Invoice.month >= month, Invoice.kind == InvoiceKind.INVOICE)
        .order_by(Invoice.month.desc())
        .limit(1)
    )
