"""Monthly statements: generated from the month's shipments with snapshot amounts; confirm,
dispute, correct, confirm again; confirmed statements are locked."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest

from portal.core.errors import Conflict, DomainError, PermissionDenied
from portal.core.portals import Portal
from portal.core.roles import Role
from portal.donations.models import Donation, DonationLine, PaymentMethod
from portal.shipping.carriers import Carrier
from portal.shipping.models import Order, OrderStatus, Shipment
from portal.statements import service
from portal.statements.models import StatementState

_numbers = itertools.count(1)


def order_for(
    session: Any, gift: Any, *, quantity: int = 1, shipped_on: date | None = None
) -> Order:
    """A paid order for gift (and its shipment on shipped_on, when given)."""
    n = next(_numbers)
    donation = Donation(
        donation_no=f"2026-{800000 + n:06d}",
        portal=Portal.CHOICE,
        portal_order_no=f"H2-{n}",
        donor_name="寄附 花子",
        postal_code="7270011",
        address="広島県庄原市東本町1-1-1",
        phone="0824-72-1111",
        amount=gift.required_amount,
        applied_on=date(2026, 9, 1),
        payment_method=PaymentMethod.CARD,
    )
    line = DonationLine(donation=donation, position=0, gift=gift, quantity=quantity)
    order = Order(
        line=line,
        supplier_id=gift.supplier_id,
        status=OrderStatus.SHIPPED if shipped_on else OrderStatus.ORDERED,
        ordered_on=date(2026, 9, 1),
        ship_by=date(2026, 9, 20),
    )
    session.add_all([donation, line, order])
    session.flush()
    if shipped_on:
        session.add(
            Shipment(
                order_id=order.id,
                carrier=Carrier.OTHER,
                tracking_no=f"T{n:06d}",
                shipped_on=shipped_on,
            )
        )
        session.flush()
    return order


@pytest.fixture()
def october(session, make_supplier, make_gift, make_user):
    supplier = make_supplier()
    rice = make_gift(supplier, procurement_cost=3000, shipping_fee=1200)
    beef = make_gift(supplier, procurement_cost=9000, shipping_fee=1500)
    order_for(session, rice, quantity=2, shipped_on=date(2026, 10, 1))
    order_for(session, rice, shipped_on=date(2026, 10, 31))
    order_for(session, beef, shipped_on=date(2026, 10, 15))
    order_for(session, beef, shipped_on=date(2026, 11, 1))  # next month
    order_for(session, beef, shipped_on=date(2026, 9, 30))  # previous month
    order_for(session, beef)  # not shipped
    other = make_gift(make_supplier(), procurement_cost=500, shipping_fee=0)
    order_for(session, other, shipped_on=date(2026, 10, 2))
    return {
        "supplier": supplier,
        "rice": rice,
        "beef": beef,
        "user": make_user(Role.SUPPLIER, supplier=supplier),
        "staff": make_user(Role.OPERATOR),
    }


def _statement(session, supplier):
    created = service.generate(session, "2026-10")
    return next(st for st in created if st.supplier_id == supplier.id)


def test_lines_count_the_months_shipments_per_gift_with_amounts(session, october):
    st = _statement(session, october["supplier"])
    lines = {line.gift_id: line for line in st.lines}
    rice, beef = lines[october["rice"].id], lines[october["beef"].id]
    assert (rice.count, rice.unit_cost, rice.unit_shipping, rice.total) == (3, 3000, 1200, 12600)
    assert (beef.count, beef.total) == (1, 10500)
    assert st.total == 23100 and st.state == StatementState.OPEN


def test_generating_twice_creates_nothing_new_and_amounts_are_snapshots(session, october):
    st = _statement(session, october["supplier"])
    october["rice"].procurement_cost = 9999
    session.flush()
    assert service.generate(session, "2026-10") == []
    assert {line.unit_cost for line in st.lines} == {3000, 9000}


def test_dispute_correct_confirm_then_locked(session, october):
    st = _statement(session, october["supplier"])
    supplier_user, staff = october["user"], october["staff"]
    rice = next(line for line in st.lines if line.gift_id == october["rice"].id)
    service.dispute(session, st, rice, comment="発送は2箱です", by_user=supplier_user)
    assert st.state == StatementState.DISPUTED
    with pytest.raises(DomainError):
        service.confirm(session, st, by_user=supplier_user)  # staff's turn first
    service.correct_line(
        session,
        st,
        rice,
        count=2,
        unit_cost=3000,
        unit_shipping=1200,
        note="伝票で確認",
        by_user=staff,
    )
    assert st.state == StatementState.OPEN and not rice.disputed and rice.total == 8400
    service.confirm(session, st, by_user=supplier_user)
    service.confirm(session, st, by_user=supplier_user)  # a double submit is harmless
    assert st.state == StatementState.CONFIRMED and st.confirmed_by_id == supplier_user.id
    with pytest.raises(Conflict):
        service.correct_line(
            session, st, rice, count=5, unit_cost=1, unit_shipping=1, note="x", by_user=staff
        )
    with pytest.raises(Conflict):
        service.dispute(session, st, rice, comment="やはり違う", by_user=supplier_user)
    assert rice.count == 2 and st.total == 8400 + 10500


def test_only_the_own_supplier_confirms_and_only_operators_correct(session, october, make_user):
    st = _statement(session, october["supplier"])
    stranger = make_user(Role.SUPPLIER)
    with pytest.raises(PermissionDenied):
        service.confirm(session, st, by_user=stranger)
    with pytest.raises(PermissionDenied):
        service.correct_line(
            session, st, st.lines[0], count=1, unit_cost=1, unit_shipping=1, note="x",
            by_user=make_user(Role.CITY),
        )  # fmt: skip


def test_csv_export_has_a_bom_and_one_row_per_line(session, october):
    _statement(session, october["supplier"])
    data = service.statements_csv(session, "2026-10", by_user=october["staff"])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = data.decode("utf-8-sig").splitlines()
    assert rows[0].startswith("対象月,事業者コード")
    assert len(rows) == 1 + 3  # two gifts of one supplier, one of the other


@pytest.mark.usefixtures("session", "october")
def test_cli_generates_the_month(runner):
    result = runner.invoke(args=["statements", "generate", "2026-10"])
    assert result.exit_code == 0, result.output
    assert "created=2 lines=3" in result.output
    bad = runner.invoke(args=["statements", "generate", "October"])
    assert bad.exit_code != 0


def test_month_must_be_well_formed():
    with pytest.raises(DomainError):
        service.month_range("2026-13")
    assert service.month_range("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
    assert date(2026, 12, 1) + timedelta(days=31) == date(2027, 1, 1)
