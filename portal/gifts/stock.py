"""Stock per gift split into per-portal allocations, with a ledger of every change.

Units are taken with one conditional UPDATE (`remaining >= n`) and a row-count check, so two
sessions can never both take the last unit (ARCHITECTURE: concurrency by the database).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from portal.accounts.models import User
from portal.core.audit import audit
from portal.core.errors import DomainError
from portal.core.models import TimestampMixin, utcnow
from portal.extensions import Model
from portal.gifts.models import Gift


class GiftAllocation(TimestampMixin, Model):
    """Units of one gift that one portal may still sell (portal: a core.portals.Portal value)."""

    __tablename__ = "gift_allocation"

    id: Mapped[int] = mapped_column(primary_key=True)
    gift_id: Mapped[int] = mapped_column(sa.ForeignKey("gift.id"), index=True)
    portal: Mapped[str] = mapped_column(sa.String(16))
    remaining: Mapped[int] = mapped_column(default=0)
    low_threshold: Mapped[int] = mapped_column(default=0)  # alert staff at or below this

    gift: Mapped[Gift] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("gift_id", "portal"),
        sa.CheckConstraint("remaining >= 0", name="remaining_not_negative"),
    )

    @property
    def is_low(self) -> bool:
        return self.remaining <= self.low_threshold


class StockLedger(Model):
    """Who changed which allocation, when, from what to what, and why."""

    __tablename__ = "stock_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    gift_id: Mapped[int] = mapped_column(sa.ForeignKey("gift.id"), index=True)
    portal: Mapped[str] = mapped_column(sa.String(16))
    before: Mapped[int]
    after: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.String(64))  # "take", "restore", "set", "move"
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    donation_line_id: Mapped[int | None]
    by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    by_user: Mapped[User | None] = relationship()


def _ledger(
    session: Session,
    gift_id: int,
    portal: str,
    before: int,
    after: int,
    reason: str,
    *,
    note: str = "",
    line_id: int | None = None,
    by_user: User | None = None,
) -> None:
    session.add(
        StockLedger(
            gift_id=gift_id,
            portal=portal,
            before=before,
            after=after,
            reason=reason,
            note=note,
            donation_line_id=line_id,
            by_user_id=by_user.id if by_user is not None else None,
        )
    )


def take_units(
    session: Session,
    gift_id: int,
    portal: str,
    n: int,
    *,
    line_id: int | None = None,
    by_user: User | None = None,
) -> bool:
    """Take n units atomically; False when the portal's allocation cannot cover them."""
    after = _take(session, gift_id, portal, n)
    if after is None:
        return False
    _ledger(session, gift_id, portal, after + n, after, "take", line_id=line_id, by_user=by_user)
    return True


@dataclass
class Take:
    """What one line got from a grouped take: taken or not, and the allocation before/after."""

    taken: bool
    before: int = 0
    after: int = 0


def take_units_many(
    session: Session, gift_id: int, portal: str, quantities: list[int]
) -> list[Take]:
    """Take units for several lines of one (gift, portal) at once, exactly as taking them one
    by one in this order would: each line gets its units only while the allocation covers it.

    Fast path: one conditional UPDATE for the whole group (`remaining >= total`). When that
    fails, the row is locked (FOR UPDATE on PostgreSQL; SQLite transactions begin IMMEDIATE,
    so the writer already holds the lock), the lines that fit are worked out in order, and
    their sum is taken with the same conditional UPDATE. Never oversells: every decrement is
    guarded by `remaining >= n` in the database. The caller writes the ledger rows (it knows
    the line ids)."""
    total = sum(quantities)
    after = _take(session, gift_id, portal, total)
    if after is not None:
        return _sequence(after + total, quantities, [True] * len(quantities))
    remaining = session.scalar(
        sa.select(GiftAllocation.remaining)
        .where(GiftAllocation.gift_id == gift_id, GiftAllocation.portal == portal)
        .with_for_update()
    )
    if remaining is None:
        return [Take(False) for _ in quantities]
    fits = []
    left = remaining
    for q in quantities:
        fits.append(q <= left)
        if q <= left:
            left -= q
    taken_total = remaining - left
    if taken_total == 0:
        return [Take(False) for _ in quantities]
    after = _take(session, gift_id, portal, taken_total)
    if after is not None:
        return _sequence(after + taken_total, quantities, fits)
    # The lock did not hold (cannot happen on PostgreSQL or SQLite IMMEDIATE): one by one.
    takes = []
    for q in quantities:
        got = _take(session, gift_id, portal, q)
        takes.append(Take(True, got + q, got) if got is not None else Take(False))
    return takes


def _take(session: Session, gift_id: int, portal: str, n: int) -> int | None:
    stmt = (
        sa.update(GiftAllocation)
        .where(
            GiftAllocation.gift_id == gift_id,
            GiftAllocation.portal == portal,
            GiftAllocation.remaining >= n,
        )
        .values(remaining=GiftAllocation.remaining - n)
        .returning(GiftAllocation.remaining)
        .execution_options(synchronize_session=False)
    )
    return session.execute(stmt).scalar_one_or_none()


def _sequence(start: int, quantities: list[int], fits: list[bool]) -> list[Take]:
    takes = []
    for q, ok in zip(quantities, fits, strict=True):
        if ok:
            takes.append(Take(True, start, start - q))
            start -= q
        else:
            takes.append(Take(False))
    return takes


def restore_units(
    session: Session,
    gift_id: int,
    portal: str,
    n: int,
    *,
    note: str = "",
    line_id: int | None = None,
    by_user: User | None = None,
) -> None:
    """Give n units back (a cancelled line); creates the allocation row when missing."""
    alloc = _get_or_create(session, gift_id, portal)
    stmt = (
        sa.update(GiftAllocation)
        .where(GiftAllocation.id == alloc.id)
        .values(remaining=GiftAllocation.remaining + n)
        .returning(GiftAllocation.remaining)
        .execution_options(synchronize_session=False)
    )
    after = session.execute(stmt).scalar_one()
    session.expire(alloc)
    _ledger(
        session,
        gift_id,
        portal,
        after - n,
        after,
        "restore",
        note=note,
        line_id=line_id,
        by_user=by_user,
    )


def _get_or_create(session: Session, gift_id: int, portal: str) -> GiftAllocation:
    alloc = session.scalar(
        sa.select(GiftAllocation).where(
            GiftAllocation.gift_id == gift_id, GiftAllocation.portal == portal
        )
    )
    if alloc is None:
        alloc = GiftAllocation(gift_id=gift_id, portal=portal, remaining=0)
        session.add(alloc)
        session.flush()
    return alloc


def set_allocation(
    session: Session,
    gift_id: int,
    portal: str,
    remaining: int,
    *,
    low_threshold: int | None = None,
    note: str = "",
    by_user: User | None = None,
) -> GiftAllocation:
    """Staff set a portal's allocation outright (stock count, new season)."""
    alloc = _get_or_create(session, gift_id, portal)
    session.refresh(alloc)
    before = alloc.remaining
    alloc.remaining = remaining
    if low_threshold is not None:
        alloc.low_threshold = low_threshold
    session.flush()
    _ledger(session, gift_id, portal, before, remaining, "set", note=note, by_user=by_user)
    audit(
        session, actor=by_user, action="stock.set", subject_type="gift", subject_id=gift_id,
        detail=f"{portal} {before} → {remaining}",
    )  # fmt: skip
    return alloc


def move_allocation(
    session: Session,
    gift_id: int,
    from_portal: str,
    to_portal: str,
    n: int,
    *,
    by_user: User | None = None,
) -> None:
    """Move n units from one portal's allocation to another's (staff decision)."""
    if n <= 0 or from_portal == to_portal:
        raise DomainError(_l("移動する数量と移動先を確認してください。"), field="quantity")
    if not take_units(session, gift_id, from_portal, n, by_user=by_user):
        raise DomainError(_l("移動元の在庫が足りません。"), field="quantity")
    session.flush()
    restore_units(session, gift_id, to_portal, n, note=f"from {from_portal}", by_user=by_user)
    audit(
        session, actor=by_user, action="stock.moved", subject_type="gift", subject_id=gift_id,
        detail=f"{from_portal} → {to_portal} {n}",
    )  # fmt: skip


def total_remaining(session: Session, gift_id: int) -> int:
    return (
        session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(GiftAllocation.remaining), 0)).where(
                GiftAllocation.gift_id == gift_id
            )
        )
        or 0
    )


# --- alerts and the listings to close ------------------------------------------------------
#
# One definition, read by the staff stock page, the held queue, the supplier's dashboard and
# its stock page:
# - a listing to close: a portal allocation of a gift that must come off that portal — the
#   gift is paused, its acceptance window is over (or not yet open), or the allocation is 0;
# - low: a portal allocation at or below its own threshold (GiftAllocation.is_low), or the
#   gift's total at or below Gift.low_stock_threshold (with 0 = only when nothing is left).


class CloseReason(enum.StrEnum):
    PAUSED = "paused"  # 受付停止中
    WINDOW = "window"  # 受付期間外
    EMPTY = "empty"  # 割当が0


@dataclass
class GiftStock:
    """One gift's stock and what needs doing about it."""

    gift: Gift
    allocations: list[GiftAllocation]
    total: int
    total_low: bool  # total remaining ≤ Gift.low_stock_threshold (or nothing left)
    low: list[GiftAllocation]  # portals at or below their own threshold, not to be closed
    close: list[tuple[str, CloseReason]]  # (portal, why): listings to take down on that portal
    unallocated: bool  # 数量限定 but no allocation rows: every line would be held

    @property
    def is_out(self) -> bool:
        """Allocated, and nothing left on any portal (an unlimited gift is never out)."""
        return bool(self.allocations) and self.total == 0

    @property
    def unlimited(self) -> bool:
        """No allocation rows and not 数量限定: stock is not counted, so never out or low."""
        return not self.allocations and not self.unallocated

    @property
    def any_portal_low(self) -> bool:
        return any(a.is_low for a in self.allocations)

    @property
    def alert(self) -> bool:
        return self.total_low or bool(self.low) or bool(self.close) or self.unallocated


def assess_stock(gift: Gift, allocations: list[GiftAllocation], today: date) -> GiftStock:
    """The rule itself, for one gift and its allocation rows (no queries)."""
    total = sum(a.remaining for a in allocations)
    window_over = bool(
        (gift.accept_until and today > gift.accept_until)
        or (gift.accept_from and today < gift.accept_from)
    )
    close: list[tuple[str, CloseReason]] = []
    for a in allocations:
        if gift.stock_paused:
            close.append((a.portal, CloseReason.PAUSED))
        elif window_over:
            close.append((a.portal, CloseReason.WINDOW))
        elif a.remaining == 0:
            close.append((a.portal, CloseReason.EMPTY))
    closing = {p for p, _ in close}
    return GiftStock(
        gift=gift,
        allocations=allocations,
        total=total,
        total_low=bool(allocations) and total <= gift.low_stock_threshold,
        low=[a for a in allocations if a.portal not in closing and a.is_low],
        close=close,
        unallocated=not allocations and gift.limited_quantity is not None,
    )


def _allocations_by_gift(
    session: Session, gift_ids: list[int] | None = None
) -> dict[int, list[GiftAllocation]]:
    stmt = sa.select(GiftAllocation).order_by(GiftAllocation.gift_id, GiftAllocation.portal)
    if gift_ids is not None:
        if not gift_ids:
            return {}
        stmt = stmt.where(GiftAllocation.gift_id.in_(gift_ids))
    allocs: dict[int, list[GiftAllocation]] = {}
    for alloc in session.scalars(stmt):
        allocs.setdefault(alloc.gift_id, []).append(alloc)
    return allocs


def stock_overview(session: Session, today: date) -> list[GiftStock]:
    """Every listed gift under stock control (allocations or a limited quantity), for staff.
    Two queries."""
    from portal.gifts.models import GiftStatus

    allocs = _allocations_by_gift(session)
    gifts = session.scalars(
        sa.select(Gift)
        .where(
            Gift.status == GiftStatus.LISTED,
            sa.or_(Gift.id.in_(list(allocs)), Gift.limited_quantity.is_not(None)),
        )
        .order_by(Gift.code)
    )
    return [assess_stock(gift, allocs.get(gift.id, []), today) for gift in gifts]


def gifts_stock(session: Session, gifts: list[Gift], today: date) -> list[GiftStock]:
    """The same assessment for a chosen list of gifts (a supplier's own), in their order."""
    allocs = _allocations_by_gift(session, [g.id for g in gifts])
    return [assess_stock(gift, allocs.get(gift.id, []), today) for gift in gifts]


@dataclass
class ListingToClose:
    gift: Gift
    portal: str
    reason: CloseReason
    remaining: int


def listings_to_close(session: Session, today: date) -> list[ListingToClose]:
    """Every (gift, portal) listing that must come off its portal now, by gift code."""
    out: list[ListingToClose] = []
    for s in stock_overview(session, today):
        remaining = {a.portal: a.remaining for a in s.allocations}
        out.extend(ListingToClose(s.gift, p, why, remaining[p]) for p, why in s.close)
    return out


def stock_alert_count(session: Session, today: date) -> int:
    return sum(1 for g in stock_overview(session, today) if g.alert)


def set_thresholds(
    session: Session,
    gift: Gift,
    total: int,
    per_portal: dict[str, int],
    *,
    by_user: User | None = None,
) -> None:
    """Staff set the total and per-portal low-stock thresholds (0 = alert only when empty)."""
    if total < 0 or any(v < 0 for v in per_portal.values()):
        raise DomainError(_l("しきい値は0以上の数で入力してください。"), field="threshold")
    gift.low_stock_threshold = total
    for alloc in session.scalars(
        sa.select(GiftAllocation).where(GiftAllocation.gift_id == gift.id)
    ):
        if alloc.portal in per_portal:
            alloc.low_threshold = per_portal[alloc.portal]
    session.flush()
    audit(
        session, actor=by_user, action="stock.thresholds", subject_type="gift",
        subject_id=gift.id, detail=f"total={total} " + " ".join(f"{k}={v}" for k, v in per_portal.items()),
    )  # fmt: skip


PAUSE_REASON_MAX = 300


def pause_gift(
    session: Session,
    gift: Gift,
    paused: bool,
    reason: str = "",
    *,
    by_user: User | None = None,
) -> bool:
    """The one switch that stops (or resumes) taking units for a gift: while paused every new
    line is held, never sold. Staff's stock page, the supplier's stock page and an
    out-of-stock delivery problem all come here, so each pause and resume is a stock-ledger
    row ("pause" / "unpause", before = after = the total left) with who and why. Pausing
    needs a reason; the same state twice is a no-op (a double submit writes one row).
    Returns whether anything changed."""
    reason = (reason or "").strip()[:PAUSE_REASON_MAX]
    if paused and not reason:
        raise DomainError(_l("停止の理由を入力してください。"), field="reason")
    if gift.stock_paused == paused:
        return False
    total = total_remaining(session, gift.id)
    gift.stock_paused = paused
    gift.stock_paused_reason = reason if paused else ""
    audit(
        session, actor=by_user, action="stock.paused" if paused else "stock.resumed",
        subject_type="gift", subject_id=gift.id,
    )  # fmt: skip
    _ledger(
        session,
        gift.id,
        "",
        total,
        total,
        "pause" if paused else "unpause",
        note=reason,
        by_user=by_user,
    )
    session.flush()
    return True
