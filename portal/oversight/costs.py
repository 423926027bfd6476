"""Use cases: costs staff enter, and the warning margins. Every change is audited."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.core.audit import audit
from portal.core.dates import today_jst
from portal.core.errors import DomainError, PermissionDenied
from portal.core.portals import Portal
from portal.core.roles import can_enter_costs, can_set_cost_margins
from portal.oversight.models import CostEntry, CostKind, OversightSetting
from portal.oversight.ratios import FIFTY_LIMIT_BP, THIRTY_LIMIT_BP, percent, settings
from portal.statements.service import normalise_month

if TYPE_CHECKING:
    from portal.accounts.models import User

MAX_AMOUNT = 10_000_000_000  # ¥10 billion: a typo guard, far above any month's cost


def _check(by_user: User) -> None:
    if not can_enter_costs(by_user):
        raise PermissionDenied(_l("募集費用を入力できるのは運営事務局と市の職員です。"))


def _month(text: str) -> str:
    month = normalise_month(text)
    today = today_jst()
    if month > f"{today.year:04d}-{today.month:02d}":
        raise DomainError(_l("先の月の費用は入力できません。"), field="month")
    return month


def _amount(value: int | None) -> int:
    if value is None or not 0 < value <= MAX_AMOUNT:
        raise DomainError(_l("金額は1円以上で入力してください。"), field="amount")
    return value


def _describe(entry: CostEntry) -> str:
    portal = entry.portal.value if entry.portal else "-"
    return f"{entry.month} {entry.category.value} {portal} {entry.amount}円"


def add_entry(
    session: Session,
    *,
    month: str,
    category: CostKind | str,
    amount: int | None,
    portal: Portal | str | None = None,
    note: str = "",
    by_user: User,
) -> CostEntry:
    _check(by_user)
    entry = CostEntry(
        month=_month(month),
        category=CostKind(category),
        portal=Portal(portal) if portal else None,
        amount=_amount(amount),
        note=(note or "").strip()[:300],
        created_by_id=by_user.id,
        updated_by_id=by_user.id,
    )
    session.add(entry)
    session.flush()
    audit(
        session, actor=by_user, action="oversight.cost_added", subject_type="cost_entry",
        subject_id=entry.id, detail=_describe(entry),
    )  # fmt: skip
    return entry


def update_entry(
    session: Session,
    entry: CostEntry,
    *,
    month: str,
    category: CostKind | str,
    amount: int | None,
    portal: Portal | str | None = None,
    note: str = "",
    by_user: User,
) -> CostEntry:
    _check(by_user)
    before = _describe(entry)
    entry.month = _month(month)
    entry.category = CostKind(category)
    entry.portal = Portal(portal) if portal else None
    entry.amount = _amount(amount)
    entry.note = (note or "").strip()[:300]
    entry.updated_by_id = by_user.id
    session.flush()
    audit(
        session, actor=by_user, action="oversight.cost_changed", subject_type="cost_entry",
        subject_id=entry.id, detail=f"{before} → {_describe(entry)}",
    )  # fmt: skip
    return entry


def delete_entry(session: Session, entry: CostEntry, *, by_user: User) -> None:
    _check(by_user)
    audit(
        session, actor=by_user, action="oversight.cost_deleted", subject_type="cost_entry",
        subject_id=entry.id, detail=_describe(entry), label=f"募集費用 {entry.month}",
    )  # fmt: skip
    session.delete(entry)
    session.flush()


def entries(session: Session, first_month: str, last_month: str) -> list[CostEntry]:
    return list(
        session.scalars(
            sa.select(CostEntry)
            .where(CostEntry.month >= first_month, CostEntry.month <= last_month)
            .order_by(CostEntry.month.desc(), CostEntry.id.desc())
        )
    )


def parse_margin(text: str | None, field: str, limit_bp: int) -> int:
    """'47' or '47.5' (percent) → basis points, above 0 and not above the limit."""
    try:
        value = Decimal((text or "").strip().rstrip("%"))
    except InvalidOperation:
        raise DomainError(
            _l("割合は 47 や 47.5 のように百分率で入力してください。"), field=field
        ) from None
    bp = value * 100
    if bp != bp.to_integral_value() or not 0 < bp <= limit_bp:
        raise DomainError(
            _l("割合は 0 より大きく %(limit)s 以下、小数点以下2桁までで入力してください。",
               limit=percent(limit_bp)),
            field=field,
        )  # fmt: skip
    return int(bp)


def set_margins(
    session: Session, *, fifty: str | None, thirty: str | None, by_user: User
) -> OversightSetting:
    if not can_set_cost_margins(by_user):
        raise PermissionDenied(_l("警告の割合を変更できるのは市の職員と運営事務局の管理者です。"))
    fifty_bp = parse_margin(fifty, "fifty_margin", FIFTY_LIMIT_BP)
    thirty_bp = parse_margin(thirty, "thirty_margin", THIRTY_LIMIT_BP)
    row = settings(session)
    before = f"{percent(row.fifty_margin_bp)} / {percent(row.thirty_margin_bp)}"
    row.fifty_margin_bp, row.thirty_margin_bp = fifty_bp, thirty_bp
    row.updated_by_id = by_user.id
    session.add(row)
    session.flush()
    audit(
        session, actor=by_user, action="oversight.margins", subject_type="oversight_setting",
        subject_id=row.id, detail=f"{before} → {percent(fifty_bp)} / {percent(thirty_bp)}",
    )  # fmt: skip
    return row
