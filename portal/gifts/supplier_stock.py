"""The supplier's own stock: add a harvest to a portal allocation, set a counted value, pause.

Every change writes a StockLedger row (who, when, before, after, why) through the stock
module's ledger writer; additions are one conditional UPDATE like every other stock change
(portal.gifts.stock), so a harvest booked while donations take units loses nothing. When the
total reaches 0 the gift's listings show in the staff list of listings to close (the one
stock rule, portal.gifts.stock.assess_stock) and new lines are held, never oversold.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.core.audit import audit
from portal.core.dates import today_jst
from portal.core.errors import DomainError, PermissionDenied
from portal.core.portals import Portal
from portal.core.roles import Role
from portal.gifts.models import Gift, GiftStatus
from portal.gifts.stock import (
    GiftAllocation,
    GiftStock,
    StockLedger,
    _get_or_create,
    _ledger,
    gifts_stock,
    pause_gift,
    set_allocation,
)

REASON_MAX = 300
MAX_UNITS = 1_000_000

# Ledger reasons written here (stock.py writes take/restore/set/move).
LEDGER_LABELS = {
    "take": _l("寄附で確保"),
    "restore": _l("取消で戻し"),
    "set": _l("数え直し"),
    "move": _l("配分の移動"),
    "add": _l("入荷"),
    "pause": _l("受付停止"),
    "unpause": _l("受付再開"),
}


def _check(gift: Gift, by_user: User, reason: str) -> str:
    if by_user.role != Role.SUPPLIER or gift.supplier_id != by_user.supplier_id:
        raise PermissionDenied(_l("この返礼品は操作できません。"))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("理由を入力してください。"), field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(_l("理由は300文字以内で入力してください。"), field="reason")
    return reason


def _portal(value: str) -> str:
    try:
        return Portal(value).value
    except ValueError:
        raise DomainError(_l("配分先のポータルを選んでください。"), field="portal") from None


def _quantity(value: int | None, *, allow_zero: bool) -> int:
    if value is None or value < (0 if allow_zero else 1) or value > MAX_UNITS:
        message = (
            _l("0以上の数を入力してください。")
            if allow_zero
            else _l("1以上の数を入力してください。")
        )
        raise DomainError(message, field="quantity")
    return value


def stock_overview(
    session: Session, supplier_id: int, today: date | None = None
) -> list[GiftStock]:
    """The supplier's offered gifts (not drafts) assessed by the one stock rule."""
    gifts = session.scalars(
        sa.select(Gift)
        .where(Gift.supplier_id == supplier_id, Gift.status != GiftStatus.DRAFT)
        .order_by(Gift.code)
    ).all()
    return gifts_stock(session, list(gifts), today or today_jst())


def add_stock(
    session: Session, gift: Gift, *, portal: str, quantity: int | None, reason: str, by_user: User
) -> int:
    """A harvest in: quantity more units on one portal's allocation. Returns the new value."""
    reason = _check(gift, by_user, reason)
    portal = _portal(portal)
    n = _quantity(quantity, allow_zero=False)
    alloc = _get_or_create(session, gift.id, portal)
    after = session.execute(
        sa.update(GiftAllocation)
        .where(GiftAllocation.id == alloc.id)
        .values(remaining=GiftAllocation.remaining + n)
        .returning(GiftAllocation.remaining)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    session.expire(alloc)
    _ledger(session, gift.id, portal, after - n, after, "add", note=reason, by_user=by_user)
    audit(
        session, actor=by_user, action="stock.added", subject_type="gift", subject_id=gift.id,
        detail=f"{portal} {after - n} → {after}",
    )  # fmt: skip
    session.flush()
    return after


def set_counted(
    session: Session, gift: Gift, *, portal: str, quantity: int | None, reason: str, by_user: User
) -> int:
    """A stock count: the portal's allocation becomes exactly the counted value."""
    reason = _check(gift, by_user, reason)
    portal = _portal(portal)
    n = _quantity(quantity, allow_zero=True)
    set_allocation(session, gift.id, portal, n, note=reason, by_user=by_user)
    session.flush()
    return n


def set_paused(session: Session, gift: Gift, *, paused: bool, reason: str, by_user: User) -> None:
    """The supplier pauses (new lines are held) or resumes its own gift, with a reason both
    ways; the pause itself (and its ledger row) is portal.gifts.stock.pause_gift."""
    reason = _check(gift, by_user, reason)
    pause_gift(session, gift, paused, reason, by_user=by_user)


def ledger(session: Session, gift_ids: list[int], limit: int = 100) -> list[StockLedger]:
    if not gift_ids:
        return []
    return list(
        session.scalars(
            sa.select(StockLedger)
            .where(StockLedger.gift_id.in_(gift_ids))
            .order_by(StockLedger.at.desc(), StockLedger.id.desc())
            .limit(limit)
        )
    )
