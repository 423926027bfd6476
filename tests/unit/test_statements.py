"""Monthly statements: generated from the month's shipments with snapshot amounts; confirm,
dispute, correct, confirm again; confirmed statements are locked."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.core.errors import Conflict, DomainError, PermissionDenied
from portal.core.roles import Role
from portal.statements import service
from portal.statements.models import StatementState
from tests.conftest import jst

SEPTEMBER = {"paid_on": date(2026, 9, 1), "ship_by": date(2026, 9, 20)}  # paid, then shipped


@pytest.fixture()
def october(make_supplier, make_gift, make_user, make_order, frozen_clock):
    frozen_clock.freeze(jst(2026, 11, 10, 10, 0))  # October is over: its statements are due
    supplier = make_supplier()
    rice = make_gift(supplier, procurement_cost=3000, shipping_fee=1200)
    beef = make_gift(supplier, procurement_cost=9000, shipping_fee=1500)
    make_order(rice, quantity=2, shipped_on=date(2026, 10, 1), **SEPTEMBER)
    make_order(rice, shipped_on=date(2026, 10, 31), **SEPTEMBER)
    make_order(beef, shipped_on=date(2026, 10, 15), **SEPTEMBER)
    make_order(beef, shipped_on=date(2026, 11, 1), **SEPTEMBER)  # next month
    make_order(beef, shipped_on=date(2026, 9, 30), **SEPTEMBER)  # previous month
    make_order(beef, **SEPTEMBER)  # not shipped
    other = make_gift(make_supplier(), procurement_cost=500, shipping_fee=0)
    make_order(other, shipped_on=date(2026, 10, 2), **SEPTEMBER)
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
