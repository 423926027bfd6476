"""Donation lifecycle: numbers, stock per portal, holds, orders on payment, cancellation."""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa

from portal.core.errors import DomainError
from portal.core.portals import Portal
from portal.core.timeline import events_for
from portal.donations.lifecycle import (
    DonationData,
    LineData,
    cancel_donation,
    create_donation,
    held_lines,
    mark_paid,
    retry_line,
)
from portal.donations.models import (
    Donation,
    DonationLine,
    DonationState,
    LineHold,
    PaymentMethod,
    PaymentState,
)
from portal.gifts.stock import GiftAllocation, StockLedger, move_allocation, set_allocation
from portal.shipping.models import Order, OrderStatus


def _data(order_no: str, *codes: str, portal: Portal = Portal.CHOICE, **kw) -> DonationData:
    values = dict(
        portal=portal,
        portal_order_no=order_no,
        donor_name="庄原 花子",
        amount=10000,
        applied_on=date(2026, 12, 1),
        payment_method=PaymentMethod.CARD,
        lines=[LineData(gift_code=c) for c in codes],
    )
    values.update(kw)
    return DonationData(**values)


def test_numbers_are_sequential_and_unique_per_portal_order(session, make_gift):
    gift = make_gift()
    a = create_donation(session, _data("A-1", gift.code))
    b = create_donation(session, _data("A-2", gift.code))
    assert (a.donation_no, b.donation_no) == ("2026-000001", "2026-000002")
    assert a.state == DonationState.RECEIVED and a.lines[0].hold == LineHold.NONE
    with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
        create_donation(session, _data("A-1", gift.code))


def test_paid_donation_gets_one_order_per_line_with_ship_by(session, make_gift, make_supplier):
    s1, s2 = make_supplier(), make_supplier()
    normal = make_gift(supplier=s1, lead_days=10)
    peach = make_gift(supplier=s2, ship_from=date(2027, 7, 15), ship_until=date(2027, 8, 31))
    d = create_donation(session, _data("P-1", normal.code, peach.code))
    assert session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    mark_paid(session, d, date(2026, 12, 3))
    orders = {o.line.gift.code: o for line in d.lines for o in line.orders}
    assert orders[normal.code].supplier_id == s1.id
    assert orders[normal.code].ship_by == date(2026, 12, 13)
    assert orders[peach.code].supplier_id == s2.id
    assert orders[peach.code].ship_by == date(2027, 7, 15)
    assert d.state == DonationState.PAID and d.received_on == date(2026, 12, 3)
    kinds = [e.kind for e in events_for(session, "donation", d.id)]
    assert kinds[:2] == ["donation.received", "donation.paid"] and kinds.count("order.created") == 2


@pytest.mark.usefixtures("make_gift")
def test_received_on_follows_the_payment_method(session):
    card = create_donation(session, _data("C-1", payment_state=PaymentState.PAID))
    assert card.received_on == date(2026, 12, 1)  # card settles on the application date
    cash = create_donation(session, _data("C-2", payment_method=PaymentMethod.CASH_REGISTERED))
    assert cash.received_on is None
    mark_paid(session, cash, date(2026, 12, 9))  # arrival of the 現金書留
    assert cash.received_on == date(2026, 12, 9)


def test_stock_runs_out_and_the_line_is_held_then_released_by_a_move(session, make_gift):
    gift = make_gift()
    set_allocation(session, gift.id, "choice", 1)
    set_allocation(session, gift.id, "rakuten", 3)
    first = create_donation(session, _data("S-1", gift.code))
    second = create_donation(session, _data("S-2", gift.code, payment_state=PaymentState.PAID))
    assert first.lines[0].hold == LineHold.NONE
    assert second.lines[0].hold == LineHold.STOCK
    assert not second.lines[0].orders  # held lines are not ordered
    assert held_lines(session) == [second.lines[0]]
    move_allocation(session, gift.id, "rakuten", "choice", 1)
    assert retry_line(session, second.lines[0]) == LineHold.NONE
    assert len(second.lines[0].orders) == 1
    assert held_lines(session) == []
    remaining = dict(
        session.execute(
            sa.select(GiftAllocation.portal, GiftAllocation.remaining).where(
                GiftAllocation.gift_id == gift.id
            )
        ).all()
    )
    assert remaining == {"choice": 0, "rakuten": 2}


def test_gift_outside_its_acceptance_window_is_held(session, make_gift):
    gift = make_gift(accept_until=date(2026, 11, 30))
    d = create_donation(session, _data("W-1", gift.code))
    assert d.lines[0].hold == LineHold.WINDOW


def test_cancellation_restores_stock_and_cancels_orders(session, make_gift):
    gift = make_gift()
    set_allocation(session, gift.id, "choice", 2)
    d = create_donation(session, _data("X-1", gift.code, payment_state=PaymentState.PAID))
    with pytest.raises(DomainError):
        cancel_donation(session, d, "  ")
    cancel_donation(session, d, "寄附者からの申し出")
    session.expire_all()
    assert session.scalar(sa.select(GiftAllocation.remaining)) == 2
    assert d.state == DonationState.CANCELLED
    assert d.lines[0].orders[0].status == OrderStatus.CANCELLED
    reasons = session.scalars(sa.select(StockLedger.reason).order_by(StockLedger.id)).all()
    assert reasons == ["set", "take", "restore"]
    with pytest.raises(DomainError):
        mark_paid(session, d, date(2026, 12, 5))


def test_shipped_donation_cannot_be_cancelled(session, make_gift):
    gift = make_gift()
    d = create_donation(session, _data("Y-1", gift.code, payment_state=PaymentState.PAID))
    d.lines[0].orders[0].status = OrderStatus.SHIPPED
    with pytest.raises(DomainError):
        cancel_donation(session, d, "遅すぎる取消")


@pytest.mark.usefixtures("postgres_only")
def test_sixteen_sessions_take_the_last_five_units(committed, make_gift):
    from portal.extensions import db

    gift = make_gift()
    set_allocation(db.session, gift.id, "satofull", 5)
    db.session.commit()
    code = gift.code
    app = committed
    barrier = threading.Barrier(16)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            with app.app_context(), sa.orm.Session(db.engine) as s:
                barrier.wait()
                create_donation(s, _data(f"R-{i}", code, portal=Portal.SATOFULL))
                s.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sa.orm.Session(db.engine) as s:
        holds = s.scalars(sa.select(DonationLine.hold)).all()
        assert len(holds) == 16
        assert holds.count(LineHold.NONE) == 5
        assert holds.count(LineHold.STOCK) == 11
        assert s.scalar(sa.select(GiftAllocation.remaining)) == 0
        assert s.scalar(sa.select(sa.func.count()).select_from(Donation)) == 16
