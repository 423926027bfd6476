"""Demo depth for the operator's screens (h7): stock that needs a decision and a substitution
the donor agreed to (the one-stop form that came back late is the receipts step's).

Runs after the donations and receipts steps. Each part looks for its own natural key first,
so a second `flask seed-demo` changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.core.portals import Portal
from portal.donations.lifecycle import held_lines
from portal.donations.substitution import (
    ConsentChannel,
    LineSubstitution,
    substitute_candidates,
    substitute_line,
)
from portal.gifts.models import Gift
from portal.gifts.stock import GiftAllocation, StockLedger, pause_gift, set_allocation

if TYPE_CHECKING:
    from portal.demo.programme import Context

# FY2024 shares (PRODUCT.md): the allocations of a limited gift follow the donations.
SHARES = [
    (Portal.SATOFULL, 36.6),
    (Portal.RAKUTEN, 26.2),
    (Portal.CHOICE, 23.8),
    (Portal.FURUNAVI, 5.0),
    (Portal.JAL, 4.0),
    (Portal.DIRECT, 4.4),
]
NOTE = "デモ：棚卸し"
LOW = ("HB-005", Portal.RAKUTEN, 2, 3)  # 比婆牛 切り落とし: 2 left on 楽天, alert at 3
EMPTY = ("KR-001", Portal.CHOICE)  # 高野りんご 秀品: チョイス sold out → close that listing
PAUSED = ("KR-002", "デモ：台風で落果が多く、選果が追いつかないため受付を一時停止")


def _gift(session: Session, code: str) -> Gift | None:
    return session.scalar(sa.select(Gift).where(Gift.code == code))


def _allocations(session: Session) -> None:
    """Every 数量限定 gift split across the portals by share (those the donations demo left)."""
    allocated = set(session.scalars(sa.select(GiftAllocation.gift_id).distinct()))
    for gift in session.scalars(
        sa.select(Gift).where(Gift.limited_quantity.is_not(None)).order_by(Gift.code)
    ):
        if gift.id in allocated:
            continue
        for portal, share in SHARES:
            set_allocation(
                session,
                gift.id,
                portal.value,
                max(1, round((gift.limited_quantity or 0) * share / 100)),
                low_threshold=1,
                note="demo",
            )


def _counted(session: Session, gift_id: int, portal: Portal, remaining: int, low: int) -> None:
    done = session.scalar(
        sa.select(StockLedger.id).where(
            StockLedger.gift_id == gift_id,
            StockLedger.portal == portal.value,
            StockLedger.note == NOTE,
        )
    )
    if done is None:
        set_allocation(session, gift_id, portal.value, remaining, low_threshold=low, note=NOTE)


def _stock(session: Session) -> None:
    code, portal, remaining, low = LOW
    gift = _gift(session, code)
    if gift is not None:
        _counted(session, gift.id, portal, remaining, low)
    code, portal = EMPTY
    gift = _gift(session, code)
    if gift is not None:
        _counted(session, gift.id, portal, 0, 1)
    code, reason = PAUSED
    gift = _gift(session, code)
    if gift is not None and not gift.stock_paused:
        pause_gift(session, gift, True, reason)


def _substitution(session: Session, today: date) -> None:
    if session.scalar(sa.select(sa.func.count()).select_from(LineSubstitution)):
        return
    for line in held_lines(session):
        for candidate in substitute_candidates(session, line):
            consent_on = max(line.donation.applied_on, today - timedelta(days=1))
            try:
                with session.begin_nested():
                    substitute_line(
                        session,
                        line,
                        candidate,
                        consent_via=ConsentChannel.PHONE,
                        consent_on=consent_on,
                        note="デモ：在庫切れをお電話でお伝えし、同じ事業者の品で了承いただいた",
                    )
                return
            except DomainError:  # demo: try the next candidate
                continue


def seed(session: Session, _ctx: Context) -> None:
    today = today_jst()
    _allocations(session)
    _stock(session)
    _substitution(session, today)
    session.flush()
