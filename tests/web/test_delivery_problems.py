"""Delivery problems: supplier reports on its own orders, staff see open ones and close them."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from portal.core.dates import today_jst
from portal.core.roles import Role
from portal.core.timeline import TimelineEvent
from portal.shipping.problems import DeliveryProblem
from portal.shipping.shipments import order_no


def _events(session, donation_id):
    return session.scalars(
        sa.select(TimelineEvent).where(
            TimelineEvent.subject_type == "donation", TimelineEvent.subject_id == donation_id
        )
    ).all()


def test_supplier_reports_a_delay_it_reaches_staff_and_the_donor_timeline(
    client, login, session, make_user, make_gift, make_order
):
    gift = make_gift()
    order = make_order(gift)
    supplier = make_user(Role.SUPPLIER, supplier=gift.supplier)
    login(supplier)
    url = f"/supplier/orders/{order.id}/problems/new"
    assert client.get(url).status_code == 200
    new_date = today_jst() + timedelta(days=5)
    data = {
        "kind": "delay",
        "expected_on": new_date.isoformat(),
        "note": "台風で収穫が遅れています",
    }
    assert client.post(url, data=data).status_code == 303
    assert client.post(url, data=data).status_code == 303  # double submit
    assert session.scalar(sa.select(sa.func.count(DeliveryProblem.id))) == 1
    event = next(
        e for e in _events(session, order.line.donation_id) if e.kind == "delivery.problem"
    )
    assert event.public and event.data["problem_kind"] == "delay"
    assert event.data["expected_on"] == new_date.isoformat()
    assert "台風" not in str(event.data)  # the supplier's note stays internal

    client.post("/logout")
    staff = make_user(Role.OPERATOR)
    login(staff)
    page = client.get("/staff/deliveries").get_data(as_text=True)
    assert order_no(order) in page and "台風で収穫が遅れています" in page
    problem = session.scalar(sa.select(DeliveryProblem))
    response = client.post(f"/staff/deliveries/{problem.id}/resolve", data={"resolution": ""})
    assert problem.resolved_at is None  # a resolution is required
    response = client.post(
        f"/staff/deliveries/{problem.id}/resolve", data={"resolution": "寄附者に電話で連絡済"}
    )
    assert response.status_code == 303
    assert problem.resolved_at is not None
    assert order_no(order) not in client.get("/staff/deliveries").get_data(as_text=True)
    kinds = [e.kind for e in _events(session, order.line.donation_id)]
    assert "delivery.problem_resolved" in kinds


def test_a_delay_needs_a_date_and_bad_input_keeps_the_text(
    client, login, session, make_user, make_gift, make_order
):
    gift = make_gift()
    order = make_order(gift)
    login(make_user(Role.SUPPLIER, supplier=gift.supplier))
    response = client.post(
        f"/supplier/orders/{order.id}/problems/new", data={"kind": "delay", "note": "遅れます"}
    )
    page = response.get_data(as_text=True)
    assert "新しいお届け予定日を入力してください" in page and "遅れます" in page
    assert session.scalar(sa.select(sa.func.count(DeliveryProblem.id))) == 0


def test_another_suppliers_order_is_not_found(
    client, login, session, make_user, make_gift, make_order
):
    order = make_order(make_gift())
    login(make_user(Role.SUPPLIER))
    assert client.get(f"/supplier/orders/{order.id}/problems/new").status_code == 404
    response = client.post(
        f"/supplier/orders/{order.id}/problems/new", data={"kind": "damage", "note": "割れ"}
    )
    assert response.status_code == 404
    assert session.scalar(sa.select(sa.func.count(DeliveryProblem.id))) == 0


def test_out_of_stock_pauses_the_gift(client, login, make_user, make_gift, make_order):
    gift = make_gift()
    order = make_order(gift)
    login(make_user(Role.SUPPLIER, supplier=gift.supplier))
    client.post(
        f"/supplier/orders/{order.id}/problems/new",
        data={"kind": "out_of_stock", "note": "霜の被害で出荷できません"},
    )
    assert gift.stock_paused and "霜" in gift.stock_paused_reason
    page = client.get("/supplier/problems").get_data(as_text=True)
    assert order_no(order) in page


def test_city_staff_cannot_see_supplier_pages_and_suppliers_cannot_see_staff_list(
    client, login, make_user
):
    login(make_user(Role.SUPPLIER))
    assert client.get("/staff/deliveries").status_code == 403
