"""The staff donation page's read model (portal/donations/queries.py)."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from portal.core.dates import today_jst
from portal.core.roles import Role
from portal.donations import queries
from portal.donors.models import DonorRequest, RequestKind, RequestStatus
from portal.shipping import problems, shipments
from portal.shipping.carriers import Carrier
from portal.shipping.models import OrderStatus
from portal.shipping.problems import ProblemKind
from tests.unit.test_shipments import tracking


def assert_plain(value: Any, where: str = "detail") -> None:
    """Only dataclasses, tuples, mappings and plain values: nothing a template could lazy-load
    from (an ORM object here would query while the page renders)."""
    if dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            assert_plain(getattr(value, f.name), f"{where}.{f.name}")
    elif isinstance(value, Mapping):
        for k, v in value.items():
            assert_plain(v, f"{where}[{k!r}]")
    elif isinstance(value, tuple):
        for i, v in enumerate(value):
            assert_plain(v, f"{where}[{i}]")
    else:
        assert value is None or isinstance(
            value, str | int | float | bool | date | datetime | enum.Enum
        ), f"{where} is {type(value).__name__}, not a plain value"


@pytest.fixture()
def shipped(session, make_supplier, make_user, make_gift, make_order) -> dict[str, Any]:
    supplier = make_supplier()
    gift = make_gift(supplier=supplier, name="庄原和牛")
    order = make_order(
        gift,
        paid_on=date(2026, 11, 20),
        onestop_requested=True,
    )
    number = tracking(order.id)
    shipments.confirm_shipment(
        session,
        order,
        Carrier.YAMATO,
        number,
        today_jst(),
        by_user=make_user(Role.SUPPLIER, supplier=supplier),
    )
    return {"order": order, "donation": order.line.donation, "tracking_no": number}


def test_unknown_donation_is_none(session) -> None:
    assert queries.donation_detail(session, 999_999) is None


def test_detail_holds_lines_orders_and_the_shipment(session, shipped) -> None:
    order, donation = shipped["order"], shipped["donation"]
    detail = queries.donation_detail(session, donation.id)
    assert detail is not None
    assert detail.donation.donation_no == donation.donation_no
    [line] = detail.donation.lines
    assert line.gift.name == "庄原和牛"
    assert [(o.id, o.status) for o in line.orders] == [(order.id, OrderStatus.SHIPPED)]
    shipment = detail.shipments[order.id]
    assert (shipment.carrier, shipment.tracking_no) == (Carrier.YAMATO, shipped["tracking_no"])
    assert detail.tracking[order.id] and shipped["tracking_no"] in detail.tracking[order.id]
    assert "order.shipped" in {e.kind for e in detail.events}
    assert_plain(detail)
    with pytest.raises(dataclasses.FrozenInstanceError):
        detail.donation.donor_name = "x"  # type: ignore[misc]


def test_open_problems_come_before_resolved_ones(session, shipped, make_user) -> None:
    order, staff = shipped["order"], make_user(Role.OPERATOR)
    today = today_jst()
    damage = problems.report_problem(
        session, order, kind=ProblemKind.DAMAGE, note="箱が潰れていた", by_user=staff, today=today
    )
    problems.resolve_problem(session, damage, resolution="再送しました", by_user=staff)
    problems.report_problem(
        session,
        order,
        kind=ProblemKind.DELAY,
        expected_on=today + timedelta(days=3),
        by_user=staff,
        today=today,
    )
    detail = queries.donation_detail(session, shipped["donation"].id)
    assert detail is not None
    listed = detail.problems[order.id]
    assert [(p.kind, p.is_open) for p in listed] == [
        (ProblemKind.DELAY, True),
        (ProblemKind.DAMAGE, False),
    ]
    assert listed[1].resolution == "再送しました"


def test_receipt_due_date_onestop_deadline_and_requests(session, shipped) -> None:
    donation = shipped["donation"]
    session.add(
        DonorRequest(
            donation_id=donation.id, kind=RequestKind.MAIL_ADDRESS, status=RequestStatus.OPEN
        )
    )
    session.flush()
    detail = queries.donation_detail(session, donation.id)
    assert detail is not None
    assert detail.receipt is None  # not issued yet: the page shows the due date
    assert detail.receipt_due_on == date(2026, 12, 4)  # 14 days after the 受領日
    # 10 Jan 2027 is a Sunday and 11 Jan is 成人の日: the form is due on Tuesday 12 Jan.
    assert detail.onestop_deadline == date(2027, 1, 12)
    assert detail.onestop_return is None
    assert [r.kind for r in detail.donor_requests] == [RequestKind.MAIL_ADDRESS]


def test_no_onestop_deadline_when_not_requested(session, make_gift, make_donation) -> None:
    donation = make_donation(gift=make_gift(), paid_on=None, onestop_requested=False)
    detail = queries.donation_detail(session, donation.id)
    assert detail is not None
    assert detail.onestop_deadline is None
    assert detail.receipt_due_on is None  # not paid
