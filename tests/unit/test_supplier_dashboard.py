"""The supplier's home page read model (portal/shipping/dashboard.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from portal.core.dates import today_jst
from portal.core.portals import Portal
from portal.core.roles import Role
from portal.gifts.models import TemperatureBand
from portal.gifts.stock import set_allocation
from portal.shipping import dashboard, shipments
from portal.shipping.carriers import Carrier
from portal.support.models import Conversation, CustomerKind
from tests.unit.test_donation_queries import assert_plain
from tests.unit.test_shipments import tracking


@pytest.fixture()
def shop(make_supplier, make_user, make_gift) -> dict[str, Any]:
    supplier = make_supplier()
    return {
        "supplier": supplier,
        "user": make_user(Role.SUPPLIER, supplier=supplier),
        "gift": make_gift(supplier=supplier, code="A-001", temperature=TemperatureBand.FROZEN),
    }


def test_orders_to_ship_are_counted_and_listed_oldest_first(
    session, shop, make_gift, make_order
) -> None:
    today, gift = today_jst(), shop["gift"]
    late2 = make_order(gift, ship_by=today - timedelta(days=2))
    late1 = make_order(gift, ship_by=today - timedelta(days=1))
    due_today = make_order(gift, ship_by=today)
    week_last = make_order(gift, ship_by=today + timedelta(days=6))
    make_order(gift, ship_by=today + timedelta(days=7))  # next week: in neither list
    make_order(make_gift(), ship_by=today - timedelta(days=5))  # another supplier's

    board = dashboard.supplier_dashboard(session, shop["supplier"].id, today)

    assert [c.id for c in board.overdue] == [late2.id, late1.id]
    assert board.overdue_count == 2
    assert [c.id for c in board.this_week] == [due_today.id, week_last.id]
    assert board.week_count == 2
    assert board.week_end == today + timedelta(days=6)
    card = board.overdue[0]
    assert card.order_no == shipments.order_no(late2)
    assert (card.gift_name, card.temperature) == (gift.name, TemperatureBand.FROZEN)
    assert_plain(board)


def test_lists_stop_at_the_row_limit_but_counts_do_not(session, shop, make_order) -> None:
    today = today_jst()
    for _ in range(dashboard.ROWS + 2):
        make_order(shop["gift"], ship_by=today - timedelta(days=1))
    board = dashboard.supplier_dashboard(session, shop["supplier"].id, today)
    assert len(board.overdue) == dashboard.ROWS
    assert board.overdue_count == dashboard.ROWS + 2


def test_seasonal_orders_waiting_for_their_window(session, shop, make_gift, make_order) -> None:
    today = today_jst()
    melon = make_gift(
        supplier=shop["supplier"], name="メロン", ship_from=today + timedelta(days=30)
    )
    for _ in range(3):
        make_order(melon, ship_by=today + timedelta(days=40))
    board = dashboard.supplier_dashboard(session, shop["supplier"].id, today)
    assert [(w.gift_id, w.name, w.orders) for w in board.waiting] == [(melon.id, "メロン", 3)]
    assert board.waiting[0].ship_from == today + timedelta(days=30)


def test_shipped_this_month_and_unread_replies(
    session, shop, make_supplier, make_gift, make_order
) -> None:
    today = today_jst()
    order = make_order(shop["gift"], ordered_on=today, ship_by=today + timedelta(days=3))
    shipments.confirm_shipment(
        session, order, Carrier.YAMATO, tracking(order.id), today, by_user=shop["user"]
    )
    other = make_order(make_gift(supplier=make_supplier()), ordered_on=today, ship_by=today)
    shipments.confirm_shipment(  # another supplier's parcel of the same day: not counted
        session, other, Carrier.YAMATO, tracking(other.id), today, by_user=None
    )
    session.add_all(
        [
            Conversation(
                customer_kind=CustomerKind.SUPPLIER,
                supplier_id=shop["supplier"].id,
                last_public_message_id=5,
                customer_read_upto=3,
            ),
            Conversation(  # read already
                customer_kind=CustomerKind.SUPPLIER,
                supplier_id=shop["supplier"].id,
                last_public_message_id=5,
                customer_read_upto=5,
            ),
            Conversation(  # another supplier's
                customer_kind=CustomerKind.SUPPLIER,
                supplier_id=make_supplier().id,
                last_public_message_id=5,
                customer_read_upto=0,
            ),
        ]
    )
    session.flush()
    board = dashboard.supplier_dashboard(session, shop["supplier"].id, today)
    assert board.shipped_month == 1
    assert board.unread == 1
    assert board.week_count == 0  # shipped: no longer to ship


def test_stock_warnings_follow_the_one_stock_assessment(session, shop, make_gift) -> None:
    today = today_jst()
    supplier = shop["supplier"]
    make_gift(supplier=supplier, code="B-paused", stock_paused=True)
    out = make_gift(supplier=supplier, code="C-out")
    set_allocation(session, out.id, Portal.CHOICE.value, 0, by_user=shop["user"])
    low = make_gift(supplier=supplier, code="D-low", low_stock_threshold=5)
    set_allocation(session, low.id, Portal.CHOICE.value, 3, by_user=shop["user"])
    plenty = make_gift(supplier=supplier, code="E-plenty", low_stock_threshold=5)
    set_allocation(session, plenty.id, Portal.CHOICE.value, 50, by_user=shop["user"])
    make_gift(code="F-other", stock_paused=True)  # another supplier's

    board = dashboard.supplier_dashboard(session, supplier.id, today)

    assert [(w.gift.code, w.reason) for w in board.stock_warnings] == [
        ("B-paused", "受付を一時停止しています。"),
        ("C-out", "在庫がなくなりました。"),
        ("D-low", "在庫が残り3個です。"),
    ]
