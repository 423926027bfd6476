"""Use cases for the gift catalogue: create, edit, search; the city's required amounts."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.accounts.models import Supplier, User
from portal.core.audit import audit
from portal.core.errors import DomainError, PermissionDenied
from portal.core.roles import can_change_required_amount, can_edit_gifts, can_list_gifts
from portal.gifts.models import (
    OFFERED_STATUSES,
    Gift,
    GiftStatus,
    RequiredAmountChange,
    TemperatureBand,
)


@dataclass
class GiftData:
    """Plain values for a gift, as a form or an import hands them over."""

    code: str
    name: str
    supplier_id: int
    required_amount: int
    procurement_cost: int
    description: str = ""
    shipping_fee: int = 0
    size: int = 60
    temperature: TemperatureBand = TemperatureBand.AMBIENT
    status: GiftStatus = GiftStatus.DRAFT
    limited_quantity: int | None = None
    accept_from: date | None = None
    accept_until: date | None = None
    ship_from: date | None = None
    ship_until: date | None = None
    lead_days: int = 14


def _validate(session: Session, data: GiftData, gift: Gift | None) -> None:
    clash = session.scalar(sa.select(Gift.id).where(Gift.code == data.code))
    if clash is not None and (gift is None or clash != gift.id):
        raise DomainError(_l("この返礼品コードは既に使われています。"), field="code")
    if session.get(Supplier, data.supplier_id) is None:
        raise DomainError(_l("事業者を選んでください。"), field="supplier_id")
    if data.required_amount <= 0:
        raise DomainError(_l("必要寄附額は1円以上です。"), field="required_amount")
    for start, end, field in (
        (data.accept_from, data.accept_until, "accept_until"),
        (data.ship_from, data.ship_until, "ship_until"),
    ):
        if start and end and end < start:
            raise DomainError(_l("終了日は開始日より後にしてください。"), field=field)
    if (data.ship_from is None) != (data.ship_until is None):
        raise DomainError(
            _l("発送期間は開始日と終了日の両方を入れてください。"), field="ship_until"
        )


def _refuse_listing(by_user: User) -> None:
    # A status the form offers but this user may not choose: aimed at the field, so it is said
    # beside it with everything typed kept (web/forms.py), not as a 403 page.
    if not can_list_gifts(by_user):
        raise PermissionDenied(
            _l("返礼品の掲載は市の職員が必要寄附額を確認して行います。"), field="status"
        )


def create_gift(session: Session, data: GiftData, *, by_user: User) -> Gift:
    """Operator staff create a gift unlisted (準備中): its amount is theirs to propose, and the
    city sets it and lists the gift (change_required_amount(..., list_it=True))."""
    if not can_edit_gifts(by_user) and not can_change_required_amount(by_user):
        raise PermissionDenied(_l("返礼品を登録する権限がありません。"))
    if data.status != GiftStatus.DRAFT:
        _refuse_listing(by_user)
    _validate(session, data, None)
    gift = Gift(**{f.name: getattr(data, f.name) for f in fields(GiftData)})
    session.add(gift)
    session.flush()
    session.add(
        RequiredAmountChange(
            gift_id=gift.id,
            old_amount=None,
            new_amount=data.required_amount,
            changed_by_id=by_user.id,
            reason="created",
        )
    )
    return gift


def update_gift(
    session: Session, gift: Gift, data: GiftData, *, by_user: User, reason: str = ""
) -> Gift:
    """Operator staff edit everything but the amount and the first listing; city staff may
    change the amount."""
    amount_changes = data.required_amount != gift.required_amount
    others = [
        f.name
        for f in fields(GiftData)
        if f.name != "required_amount" and getattr(data, f.name) != getattr(gift, f.name)
    ]
    if amount_changes and not can_change_required_amount(by_user):
        raise PermissionDenied(
            _l("必要寄附額を変更できるのは市の職員だけです。"), field="required_amount"
        )
    if others and not can_edit_gifts(by_user):
        raise PermissionDenied(_l("返礼品を編集する権限がありません。"))
    if data.status in OFFERED_STATUSES and not gift.is_offered:
        _refuse_listing(by_user)
    _validate(session, data, gift)
    if amount_changes:
        change_required_amount(session, gift, data.required_amount, by_user=by_user, reason=reason)
    for name in others:
        setattr(gift, name, getattr(data, name))
    session.flush()
    return gift


def change_required_amount(
    session: Session,
    gift: Gift,
    amount: int,
    *,
    by_user: User,
    reason: str = "",
    list_it: bool = False,
) -> RequiredAmountChange:
    """The city sets the 必要寄附額 (kept with who, when and why) and, with `list_it`, lists a
    gift that is not offered yet: the amount it is listed at is always the city's."""
    if not can_change_required_amount(by_user):
        raise PermissionDenied(
            _l("必要寄附額を変更できるのは市の職員だけです。"), field="required_amount"
        )
    if amount <= 0:
        raise DomainError(_l("必要寄附額は1円以上です。"), field="required_amount")
    change = RequiredAmountChange(
        gift_id=gift.id,
        old_amount=gift.required_amount,
        new_amount=amount,
        changed_by_id=by_user.id,
        reason=reason,
    )
    gift.required_amount = amount
    session.add(change)
    audit(
        session, actor=by_user, action="money.required_amount", subject_type="gift",
        subject_id=gift.id, detail=f"必要寄附額 {change.old_amount}円 → {amount}円",
    )  # fmt: skip
    if list_it and not gift.is_offered:
        _refuse_listing(by_user)
        gift.status = GiftStatus.LISTED
    return change


def search_gifts(
    *,
    q: str = "",
    status: GiftStatus | None = None,
    supplier_id: int | None = None,
    over_limit: bool = False,
) -> sa.Select[Gift]:
    stmt = sa.select(Gift).join(Gift.supplier)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(
            sa.or_(Gift.name.ilike(like), Gift.code.ilike(like), Supplier.name.ilike(like))
        )
    if status is not None:
        stmt = stmt.where(Gift.status == status)
    if supplier_id is not None:
        stmt = stmt.where(Gift.supplier_id == supplier_id)
    if over_limit:
        stmt = stmt.where(Gift.exceeds_return_limit)
    return stmt.order_by(Gift.code)
