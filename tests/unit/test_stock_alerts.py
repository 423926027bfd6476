"""Stock alerts, listings to close, thresholds, the pause switch and the unlimited rule."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from portal.core.errors import DomainError
from portal.core.portals import Portal
from portal.donations.importers import import_file
from portal.donations.lifecycle import DonationData, LineData, create_donation
from portal.donations.models import LineHold, PaymentMethod
from portal.gifts.models import GiftStatus
from portal.gifts.stock import (
    GiftAllocation,
    StockLedger,
    pause_gift,
    set_allocation,
    set_thresholds,
    stock_alert_count,
    stock_overview,
)

TODAY = date(2026, 12, 10)


def _donate(session, code: str, no: str, portal: Portal = Portal.CHOICE):
    return create_donation(
        session,
        DonationData(
            portal=portal,
            portal_order_no=no,
            donor_name="庄原 花子",
            amount=10000,
            applied_on=date(2026, 12, 1),
            payment_method=PaymentMethod.CARD,
            lines=[LineData(gift_code=code)],
        ),
    )


def _by_code(session):
    return {s.gift.code: s for s in stock_overview(session, TODAY)}


def test_overview_lists_listings_to_close_and_low_allocations(session, make_gift):
    mixed = make_gift(code="MIX-1", low_stock_threshold=12)
    set_allocation(session, mixed.id, "choice", 0)
    set_allocation(session, mixed.id, "rakuten", 3, low_threshold=5)
    set_allocation(session, mixed.id, "satofull", 8, low_threshold=5)
    paused = make_gift(code="PAU-1", stock_paused=True, stock_paused_reason="台風被害")
    set_allocation(session, paused.id, "choice", 30)
    over = make_gift(code="WIN-1", accept_until=date(2026, 11, 30))
    set_allocation(session, over.id, "rakuten", 30)
    make_gift(code="LIM-1", limited_quantity=100)
    fine = make_gift(code="OK-1")
    set_allocation(session, fine.id, "choice", 50, low_threshold=5)
    make_gift(code="FREE-1")  # unlimited: not stock-controlled, not on the page
    ended = make_gift(code="END-1", status=GiftStatus.ENDED)
    set_allocation(session, ended.id, "choice", 0)

    rows = _by_code(session)
    assert set(rows) == {"MIX-1", "PAU-1", "WIN-1", "LIM-1", "OK-1"}
    mix = rows["MIX-1"]
    assert mix.close == [("choice", "empty")]
    assert [a.portal for a in mix.low] == ["rakuten"]
    assert mix.total == 11 and mix.total_low and mix.alert
    assert rows["PAU-1"].close == [("choice", "paused")]
    assert rows["WIN-1"].close == [("rakuten", "window")]
    assert rows["LIM-1"].unallocated and rows["LIM-1"].alert
    assert not rows["OK-1"].alert
    assert stock_alert_count(session, TODAY) == 4


def test_thresholds_are_set_by_staff_and_validated(session, make_gift):
    gift = make_gift(code="THR-1")
    set_allocation(session, gift.id, "choice", 10)
    set_allocation(session, gift.id, "rakuten", 10)
    assert not _by_code(session)["THR-1"].alert
    set_thresholds(session, gift, 25, {"choice": 10, "rakuten": 2})
    row = _by_code(session)["THR-1"]
    assert row.total_low and [a.portal for a in row.low] == ["choice"]
    with pytest.raises(DomainError):
        set_thresholds(session, gift, -1, {})


def test_paused_gift_holds_lines_and_takes_nothing(session, make_gift):
    gift = make_gift(code="PAU-2")
    set_allocation(session, gift.id, "choice", 5)
    with pytest.raises(DomainError):
        pause_gift(session, gift, True, "")  # a reason is required
    pause_gift(session, gift, True, "品質確認中")
    held = _donate(session, gift.code, "P-1")
    assert held.lines[0].hold == LineHold.STOCK and not held.lines[0].stock_taken
    header = (
        "受付番号,寄附日,入金日,決済方法,寄附金額,氏名,フリガナ,郵便番号,住所,電話番号,"
        "メールアドレス,返礼品コード,数量"
    )
    rows = [header] + [
        f"PB-{i},2026/12/01,,銀行振込,10000,庄原 花子,,,,,,PAU-2,1" for i in range(3)
    ]
    set_allocation(session, gift.id, "standard", 5)
    result = import_file(session, "standard", "\r\n".join(rows).encode())
    assert result.new == 3
    holds = session.scalars(sa.select(sa.text("hold")).select_from(sa.table("donation_line"))).all()
    assert set(holds) == {LineHold.STOCK.value}
    assert session.scalar(sa.select(sa.func.sum(GiftAllocation.remaining))) == 10
    assert (
        session.scalar(
            sa.select(sa.func.count()).select_from(StockLedger).where(StockLedger.reason == "take")
        )
        == 0
    )
    pause_gift(session, gift, False)
    assert _donate(session, gift.code, "P-2").lines[0].hold == LineHold.NONE


def test_unlimited_rule(session, make_gift):
    """No allocation rows and no 数量限定: unlimited. 数量限定 without allocations: held."""
    free = make_gift(code="FREE-2")
    limited = make_gift(code="LIM-2", limited_quantity=10)
    assert _donate(session, free.code, "U-1").lines[0].hold == LineHold.NONE
    assert _donate(session, limited.code, "U-2").lines[0].hold == LineHold.STOCK
    allocated = make_gift(code="ALLOC-2")
    set_allocation(session, allocated.id, "rakuten", 5)  # a row on another portal only
    assert _donate(session, allocated.code, "U-3").lines[0].hold == LineHold.STOCK
