"""Staff operations: the morning dashboard, the donation's full picture, staff corrections."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.dates import today_jst
from portal.core.errors import PermissionDenied
from portal.core.models import utcnow
from portal.core.roles import Role
from portal.core.timeline import TimelineEvent
from portal.donations.models import LineHold
from portal.donors.models import DonorRequest, ReissueReason, RequestKind
from portal.receipts import service as receipt_service
from portal.shipping import problems, shipments
from portal.shipping.carriers import Carrier
from portal.shipping.models import OrderStatus, Shipment
from portal.statements.models import Statement, StatementState
from tests.unit.test_shipments import tracking


def count(html: str, name: str) -> int:
    m = re.search(rf'data-count="{name}"><span class="stat__value">(\d+)</span>', html)
    assert m, name
    return int(m.group(1))


@pytest.mark.usefixtures("make_supplier")
def test_dashboard_counts_follow_the_work(session, login, make_user, make_gift, make_order):
    client = login(make_user(Role.OPERATOR))
    gift = make_gift()
    before = client.get("/staff/").get_data(as_text=True)
    base = {
        k: count(before, k)
        for k in ("orders_overdue", "held_lines", "requests_open", "problems_open")
    }
    base["statements_disputed"] = count(before, "statements_disputed")
    base["receipts_overdue"] = count(before, "receipts_overdue")

    late = make_order(gift, ship_by=today_jst() - timedelta(days=3))
    make_order(gift, ship_by=today_jst() + timedelta(days=3))  # not late
    held = make_order(gift).line
    held.hold = LineHold.STOCK
    donation = late.line.donation
    donation.received_on = today_jst() - timedelta(days=20)  # paid, no receipt: overdue
    donation.paid_on = donation.received_on
    session.add(
        DonorRequest(
            donation_id=donation.id,
            kind=RequestKind.RECEIPT_REISSUE,
            reissue_reason=ReissueReason.LOST,
        )
    )
    statement = Statement(supplier_id=gift.supplier_id, month="2026-10")
    statement.state = StatementState.DISPUTED
    session.add(statement)
    session.flush()

    page = client.get("/staff/").get_data(as_text=True)
    assert count(page, "orders_overdue") == base["orders_overdue"] + 1
    assert count(page, "held_lines") == base["held_lines"] + 1
    assert count(page, "requests_open") == base["requests_open"] + 1
    assert count(page, "statements_disputed") == base["statements_disputed"] + 1
    assert count(page, "receipts_overdue") >= base["receipts_overdue"] + 1
    # Late things are red, and the count links to the list that shows them.
    assert 'class="stat stat--warn" href="/staff/orders/overdue"' in page
    overdue = client.get("/staff/orders/overdue").get_data(as_text=True)
    assert shipments.order_no(late) in overdue
    assert "寄附 太郎" not in overdue  # no donor data on the list

    # Shipping the late order takes it off the count.
    shipments.confirm_shipment(session, late, Carrier.YAMATO, tracking(701), today_jst(), None)
    session.flush()
    after = client.get("/staff/").get_data(as_text=True)
    assert count(after, "orders_overdue") == base["orders_overdue"]


def test_city_sees_the_same_figures_without_forms(login, make_user, make_gift, make_order):
    gift = make_gift()
    make_order(gift, ship_by=today_jst() - timedelta(days=1))
    client = login(make_user(Role.CITY))
    page = client.get("/staff/").get_data(as_text=True)
    assert "市職員ダッシュボード" in page
    assert count(page, "orders_overdue") >= 1
    assert client.get("/staff/orders/overdue").status_code == 200


def _shipped(session, make_order, gift, user, *, seed: int, days_ago: int = 3):
    order = make_order(gift, ordered_on=today_jst() - timedelta(days=days_ago + 1))
    shipment = shipments.confirm_shipment(
        session, order, Carrier.YAMATO, tracking(seed), today_jst() - timedelta(days=days_ago), user
    )
    shipment.confirmed_at = utcnow() - timedelta(days=days_ago)  # the supplier's 24 h are over
    session.flush()
    return order, shipment


def test_detail_shows_shipment_problem_receipt_requests(
    session, login, make_user, make_gift, make_order
):
    operator = make_user(Role.OPERATOR)
    gift = make_gift()
    order, shipment = _shipped(session, make_order, gift, operator, seed=711)
    donation = order.line.donation
    donation.received_on = today_jst() - timedelta(days=5)
    donation.onestop_requested = True
    problems.report_problem(
        session,
        order,
        kind=problems.ProblemKind.DELAY,
        expected_on=today_jst() + timedelta(days=2),
        note="台風で遅れ",
        by_user=operator,
        today=today_jst(),
    )
    receipt_service.issue_receipt(session, donation, on=today_jst(), by_user=operator)
    session.add(
        DonorRequest(
            donation_id=donation.id,
            kind=RequestKind.MAIL_ADDRESS,
        )
    )
    session.flush()
    client = login(operator)
    page = client.get(f"/staff/donations/{donation.id}").get_data(as_text=True)
    assert shipments.order_no(order) in page
    assert shipment.tracking_no in page
    assert "https://" in page and "kuronekoyamato" in page  # the carrier's tracking link
    assert "お届けの遅れ" in page and "台風で遅れ" in page and "未解決" in page
    receipt = receipt_service.receipt_for(session, donation)
    assert receipt.number in page
    assert "書類の送付先の変更" in page
    assert "未返送" in page  # one-stop form not back yet
    # Every public kind on the page reads as a sentence, never as its code.
    assert "order.shipped" not in page and "delivery.problem" not in page
    assert "receipt.issued" not in page and "request.opened" not in page
    assert session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.subject_type == "donation", AuditEntry.subject_id == str(donation.id))
    )


def test_staff_corrects_a_shipment_after_24_hours(session, login, make_user, make_gift, make_order):
    operator = make_user(Role.OPERATOR)
    gift = make_gift()
    order, shipment = _shipped(session, make_order, gift, operator, seed=721)
    client = login(operator)
    url = f"/staff/orders/{order.id}/shipment"
    data = {
        f"o{order.id}-carrier": "sagawa",
        f"o{order.id}-tracking_no": tracking(722),
        f"o{order.id}-shipped_on": (today_jst() - timedelta(days=2)).isoformat(),
        f"o{order.id}-reason": "事業者が別の送り状番号を登録していた",
    }

    missing_reason = client.post(url, data={**data, f"o{order.id}-reason": ""})
    assert missing_reason.status_code == 422
    body = missing_reason.get_data(as_text=True)
    assert "訂正の理由を入力してください。" in body
    assert tracking(722) in body  # the typed input is kept
    assert session.get(Shipment, shipment.id).tracking_no == tracking(721)

    bad = client.post(url, data={**data, f"o{order.id}-tracking_no": "123"})
    assert bad.status_code == 422
    assert session.get(Shipment, shipment.id).tracking_no == tracking(721)

    done = client.post(url, data=data)
    assert done.status_code == 303
    again = client.post(url, data=data)  # a double submit changes nothing more
    assert again.status_code == 303
    shipment = session.get(Shipment, shipment.id)
    assert (shipment.carrier, shipment.tracking_no) == (Carrier.SAGAWA, tracking(722))
    assert shipment.corrected_by_id == operator.id
    kinds = list(
        session.scalars(
            sa.select(TimelineEvent.kind).where(
                TimelineEvent.subject_id == order.line.donation_id,
                TimelineEvent.kind.in_(["order.shipment_corrected", "order.correction_reason"]),
            )
        )
    )
    assert sorted(kinds) == ["order.correction_reason", "order.shipment_corrected"]
    reason_event = session.scalar(
        sa.select(TimelineEvent).where(TimelineEvent.kind == "order.correction_reason")
    )
    assert reason_event.public is False  # the donor never sees staff's reason

    page = client.get(f"/staff/donations/{order.line.donation_id}").get_data(as_text=True)
    assert "訂正あり" in page and "事業者が別の送り状番号を登録していた" in page

    delivered = client.post(f"/staff/orders/{order.id}/delivered")
    assert delivered.status_code == 303
    client.post(f"/staff/orders/{order.id}/delivered")
    assert order.status == OrderStatus.DELIVERED
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(TimelineEvent)
            .where(
                TimelineEvent.kind == "order.delivered",
                TimelineEvent.subject_id == order.line.donation_id,
            )
        )
        == 1
    )


def test_city_and_supplier_cannot_correct(session, login, make_user, make_gift, make_order):
    operator = make_user(Role.OPERATOR)
    gift = make_gift()
    order, shipment = _shipped(session, make_order, gift, operator, seed=731)
    city = login(make_user(Role.CITY))
    page = city.get(f"/staff/donations/{order.line.donation_id}").get_data(as_text=True)
    assert "訂正を保存" not in page and "配達済にする" not in page
    data = {
        f"o{order.id}-carrier": "yamato",
        f"o{order.id}-tracking_no": tracking(732),
        f"o{order.id}-shipped_on": today_jst().isoformat(),
        f"o{order.id}-reason": "x",
    }
    assert city.post(f"/staff/orders/{order.id}/shipment", data=data).status_code == 403
    assert city.post(f"/staff/orders/{order.id}/delivered").status_code == 403
    assert session.get(Shipment, shipment.id).tracking_no == tracking(731)
    assert order.status == OrderStatus.SHIPPED


def test_supplier_correction_window_still_closes_after_24_hours(
    session, make_user, make_gift, make_order
):
    gift = make_gift()
    supplier_user = make_user(Role.SUPPLIER, supplier=gift.supplier)
    _order, shipment = _shipped(session, make_order, gift, supplier_user, seed=741)
    with pytest.raises(PermissionDenied):
        shipments.staff_correct_shipment(
            session, shipment, Carrier.YAMATO, tracking(742), date.today(), "x", supplier_user
        )
