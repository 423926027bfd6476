"""Monthly statement screens: supplier confirms or disputes, staff correct, CSV export."""

from __future__ import annotations

from datetime import date

from portal.core.roles import Role
from portal.statements import service
from portal.statements.models import StatementState
from tests.conftest import jst
from tests.unit.test_statements import SEPTEMBER


def _setup(session, make_gift, make_user, make_order, frozen_clock):
    frozen_clock.freeze(jst(2026, 11, 10, 10, 0))  # October is over: its statements are due
    gift = make_gift(name="比婆牛 500g", procurement_cost=9000, shipping_fee=1500)
    make_order(gift, quantity=2, shipped_on=date(2026, 10, 10), **SEPTEMBER)
    st = service.generate(session, "2026-10")[0]
    return st, make_user(Role.SUPPLIER, supplier=gift.supplier), make_user(Role.OPERATOR)


def test_dispute_correct_and_confirm_through_the_screens(
    client, login, session, make_gift, make_user, make_order, frozen_clock
):
    st, supplier_user, staff = _setup(session, make_gift, make_user, make_order, frozen_clock)
    line = st.lines[0]
    login(supplier_user)
    page = client.get(f"/supplier/statements/{st.id}").get_data(as_text=True)
    assert "比婆牛 500g" in page and "21,000円" in page
    response = client.post(
        f"/supplier/statements/{st.id}/lines/{line.id}/dispute", data={"comment": "1箱だけです"}
    )
    assert response.status_code == 303 and st.state == StatementState.DISPUTED
    client.post("/logout")

    login(staff)
    assert "1箱だけです" in client.get(f"/staff/statements/{st.id}").get_data(as_text=True)
    assert st.supplier.name in client.get("/staff/statements?month=2026-10").get_data(as_text=True)
    response = client.post(
        f"/staff/statements/{st.id}/lines/{line.id}",
        data={"count": "1", "unit_cost": "9000", "unit_shipping": "1500", "note": "伝票で確認"},
    )
    assert response.status_code == 303 and line.count == 1 and st.state == StatementState.OPEN
    csv = client.get("/staff/statements.csv?month=2026-10")
    assert csv.data.startswith(b"\xef\xbb\xbf") and "比婆牛 500g".encode() in csv.data
    client.post("/logout")

    login(supplier_user)
    assert client.post(f"/supplier/statements/{st.id}/confirm").status_code == 303
    assert st.state == StatementState.CONFIRMED
    page = client.get(f"/supplier/statements/{st.id}").get_data(as_text=True)
    assert "確定した明細は変更できません" in page and "この行が違う" not in page


def test_confirmed_statement_cannot_be_corrected_by_staff(
    client, login, session, make_gift, make_user, make_order, frozen_clock
):
    st, supplier_user, staff = _setup(session, make_gift, make_user, make_order, frozen_clock)
    service.confirm(session, st, by_user=supplier_user)
    login(staff)
    response = client.post(
        f"/staff/statements/{st.id}/lines/{st.lines[0].id}",
        data={"count": "9", "unit_cost": "1", "unit_shipping": "1", "note": "x"},
    )
    assert response.status_code == 422
    assert "確認済みの明細は変更できません" in response.get_data(as_text=True)
    assert st.lines[0].count == 2


def test_another_suppliers_statement_is_not_found(
    client, login, session, make_gift, make_user, make_order, frozen_clock
):
    st, _, _ = _setup(session, make_gift, make_user, make_order, frozen_clock)
    login(make_user(Role.SUPPLIER))
    assert client.get(f"/supplier/statements/{st.id}").status_code == 404
    assert client.post(f"/supplier/statements/{st.id}/confirm").status_code == 404
    assert st.state == StatementState.OPEN
