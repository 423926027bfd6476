"""The date rules at the instants where Japan's day (and month, and year) turns.

Japan's midnight is 15:00 UTC the day before, so a rule that took "today" from UTC or from the
server's local zone would answer for the wrong day for nine hours. Each test freezes the one
clock one second before and exactly at the boundary and asks the real rule both times.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime

import pytest

from portal.core import clock
from portal.core.errors import DomainError
from portal.core.roles import Role
from portal.gifts.models import TemperatureBand
from portal.gifts.proposal_models import ProposalState as S
from portal.gifts.proposals import create_draft, transition
from portal.receipts import batches, onestop, service
from portal.shipping.carriers import Carrier
from portal.shipping.shipments import confirm_shipment
from portal.statements import service as statements
from portal.support import hours
from tests.conftest import jst
from tests.unit.test_shipments import tracking

NEW_YEARS_EVE = jst(2026, 12, 31, 23, 59, 59)
NEW_YEAR = jst(2027, 1, 1, 0, 0, 0)


def test_the_boundary_instants_are_15_utc() -> None:
    assert NEW_YEARS_EVE.astimezone(UTC) == datetime(2026, 12, 31, 14, 59, 59, tzinfo=UTC)
    assert NEW_YEAR.astimezone(UTC) == datetime(2026, 12, 31, 15, 0, 0, tzinfo=UTC)


# --- receipts: the number's year is the 受領日's, the batch is dated by Japan's day -------


@pytest.mark.parametrize(
    ("instant", "number", "today"),
    [
        (NEW_YEARS_EVE, "2026-000001", date(2026, 12, 31)),
        (NEW_YEAR, "2027-000001", date(2027, 1, 1)),
    ],
)
def test_a_payment_entered_today_numbers_its_receipt_in_japans_year(
    session, frozen_clock, make_donation, instant, number, today
) -> None:
    """The payment screen proposes today's date; today is Japan's, on both sides of midnight."""
    frozen_clock.freeze(instant)
    donation = make_donation(paid_on=clock.today_jst(), lines=[])
    receipt = service.issue_receipt(session, donation)
    assert (receipt.number, receipt.received_on, receipt.issued_on) == (number, today, today)


def test_a_december_receipt_printed_after_midnight_keeps_its_year(
    session, frozen_clock, make_donation
) -> None:
    december = make_donation(paid_on=date(2026, 12, 17), lines=[])  # due 2026-12-31
    frozen_clock.freeze(NEW_YEAR)
    batch = batches.create_batch(session, until=clock.today_jst())
    receipt = service.receipt_for(session, december)
    assert receipt is not None and batch is not None
    assert receipt.number == "2026-000001"  # the year of the 受領日…
    assert receipt.issued_on == date(2027, 1, 1)  # …printed on Japan's New Year's Day
    assert batch.label == "B2027-0001"


def test_the_fourteenth_day_is_due_and_the_next_day_overdue(
    session, frozen_clock, make_donation
) -> None:
    """受領日 + 14 days: due on that day until Japan's midnight, overdue from 00:00 JST."""
    d = make_donation(paid_on=date(2026, 12, 17), lines=[])
    assert service.due_on_for(d) == date(2026, 12, 31)
    later = make_donation(paid_on=date(2026, 12, 18), lines=[])  # due 2027-01-01

    def overdue() -> list[int]:
        stmt = service.unissued_stmt().where(
            service.Donation.received_on < service.overdue_cutoff()
        )
        return [x.id for x in session.scalars(stmt)]

    def due_by_today() -> list[int]:
        return [x.id for x in session.scalars(service.unissued_stmt(clock.today_jst()))]

    frozen_clock.freeze(NEW_YEARS_EVE)
    assert overdue() == []
    assert due_by_today() == [d.id]

    frozen_clock.freeze(NEW_YEAR)
    assert overdue() == [d.id]
    assert due_by_today() == [d.id, later.id]


# --- one-stop forms: 10 January, or the next business day -------------------------------


@pytest.mark.parametrize(
    ("instant", "late"),
    [(jst(2027, 1, 12, 23, 59, 59), False), (jst(2027, 1, 13, 0, 0, 0), True)],
)
def test_a_form_received_today_is_late_from_japans_midnight_after_the_deadline(
    session, frozen_clock, make_donation, instant, late
) -> None:
    """deadline(2026) is Tuesday 12 January 2027 (the 10th a Sunday, the 11th 成人の日)."""
    assert onestop.deadline(2026) == date(2027, 1, 12)
    donation = make_donation(paid_on=date(2026, 12, 20), onestop_requested=True, lines=[])
    frozen_clock.freeze(instant)
    row, _ = onestop.register_return(
        session, donation, received_on=clock.today_jst(), missing=[], by_user=None
    )
    assert row.late is late


def test_tomorrows_form_date_is_refused_until_japans_midnight(
    session, frozen_clock, make_donation
) -> None:
    donation = make_donation(paid_on=date(2026, 12, 20), onestop_requested=True, lines=[])
    frozen_clock.freeze(jst(2027, 1, 12, 23, 59, 59))
    with pytest.raises(DomainError) as e:
        onestop.register_return(
            session, donation, received_on=date(2027, 1, 13), missing=[], by_user=None
        )
    assert e.value.field == "received_on"
    frozen_clock.advance(datetime(2027, 1, 13, tzinfo=clock.JST) - clock.now_jst())
    assert clock.now_jst() == jst(2027, 1, 13, 0, 0, 0)
    row, _ = onestop.register_return(
        session, donation, received_on=date(2027, 1, 13), missing=[], by_user=None
    )
    assert row.late is True


# --- statements: the month of the shipment's date -----------------------------------------


@pytest.mark.parametrize(
    ("instant", "month", "other"),
    [
        (jst(2027, 2, 28, 23, 59, 59), "2027-02", "2027-03"),
        (jst(2027, 3, 1, 0, 0, 0), "2027-03", "2027-02"),
    ],
)
def test_a_shipment_confirmed_today_counts_in_japans_month(
    session, frozen_clock, make_user, make_order, instant, month, other
) -> None:
    order = make_order(paid_on=date(2027, 2, 20))
    supplier = make_user(Role.SUPPLIER, supplier=order.line.gift.supplier)
    frozen_clock.freeze(instant)
    # The supplier types today's date: on the last day of a month it is not "in the future".
    confirm_shipment(session, order, Carrier.YAMATO, tracking(1), clock.today_jst(), supplier)
    (st,) = statements.generate(session, month)
    assert [(line.gift_id, line.count) for line in st.lines] == [(order.line.gift_id, 1)]
    assert statements.generate(session, other) == []


def test_tomorrows_shipping_date_is_refused_until_japans_midnight(
    session, frozen_clock, make_user, make_order
) -> None:
    order = make_order(paid_on=date(2026, 12, 20))
    supplier = make_user(Role.SUPPLIER, supplier=order.line.gift.supplier)
    frozen_clock.freeze(NEW_YEARS_EVE)
    with pytest.raises(DomainError) as e:
        confirm_shipment(session, order, Carrier.YAMATO, tracking(2), date(2027, 1, 1), supplier)
    assert e.value.field == "shipped_on"
    frozen_clock.freeze(NEW_YEAR)
    shipment = confirm_shipment(
        session, order, Carrier.YAMATO, tracking(2), date(2027, 1, 1), supplier
    )
    assert shipment.shipped_on == date(2027, 1, 1)


def test_staff_statements_page_opens_on_last_month_in_japan(frozen_clock, login, make_user) -> None:
    frozen_clock.freeze(NEW_YEARS_EVE)
    client = login(make_user(Role.OPERATOR))
    assert 'name="month" value="2026-11"' in client.get("/staff/statements").get_data(True)
    frozen_clock.freeze(NEW_YEAR)
    assert 'name="month" value="2026-12"' in client.get("/staff/statements").get_data(True)


# --- desk hours -------------------------------------------------------------------------


def test_desk_is_closed_over_new_year_and_reopens_on_the_fourth(session, frozen_clock) -> None:
    reopen = jst(2027, 1, 4, 9, 0, 0)  # 29 Dec – 3 Jan closed; 4 Jan 2027 is a Monday
    for instant in (NEW_YEARS_EVE, NEW_YEAR):
        frozen_clock.freeze(instant)
        assert hours.is_open(session) is False
        assert hours.next_opening(session) == reopen


def test_desk_opens_at_nine_in_japan_which_is_utc_midnight(session, frozen_clock) -> None:
    frozen_clock.freeze(jst(2027, 1, 4, 8, 59, 59))  # 2027-01-03 23:59:59 UTC, a Sunday there
    assert hours.is_open(session) is False
    assert hours.next_opening(session) == jst(2027, 1, 4, 9, 0, 0)
    frozen_clock.freeze(jst(2027, 1, 4, 9, 0, 0))
    assert hours.is_open(session) is True


@pytest.mark.parametrize(
    ("instant", "answer"),
    [
        (jst(2026, 12, 28, 16, 59, 59), "open"),  # the last working day of the year
        (jst(2026, 12, 28, 17, 0, 0), "closed until 2027-01-04T09:00+09:00"),
        (NEW_YEAR, "closed until 2027-01-04T09:00+09:00"),
    ],
)
def test_desk_status_command_answers_for_now_in_japan(runner, frozen_clock, instant, answer):
    frozen_clock.freeze(instant)
    result = runner.invoke(args=["desk-status"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == answer


# --- the proposal export: JST days, inclusive -------------------------------------------


def _approved_now(session, people, name: str):
    p = create_draft(
        session,
        {
            "name": name,
            "criterion": "2",
            "temperature": TemperatureBand.AMBIENT,
            "required_amount": 10000,
            "procurement_cost": 2800,
            "shipping_fee": 1000,
            "materials": [{"material": "トマト", "origin": "広島県庄原市", "share": 90}],
            "origin_details": {"processing_place": "岡山県岡山市"},
        },
        by_user=people["supplier"],
    )
    transition(session, p.id, S.SUBMITTED, by_user=people["supplier"])
    transition(session, p.id, S.UNDER_REVIEW, by_user=people["operator"])
    transition(session, p.id, S.RECOMMENDED, by_user=people["operator"])
    transition(session, p.id, S.APPROVED, by_user=people["city"], comment="承認")
    return p


def test_export_period_splits_approvals_at_japans_midnight(
    session, runner, make_user, frozen_clock, tmp_path
) -> None:
    people = {
        "supplier": make_user(Role.SUPPLIER),
        "operator": make_user(Role.OPERATOR),
        "city": make_user(Role.CITY),
    }
    frozen_clock.freeze(NEW_YEARS_EVE)
    _approved_now(session, people, "大晦日のトマト")
    frozen_clock.freeze(NEW_YEAR)
    _approved_now(session, people, "元日のトマト")
    session.flush()

    def export(*period: str) -> list[tuple[str, str]]:
        out = tmp_path / "report.csv"
        result = runner.invoke(args=["export-proposals", *period, "--out", str(out)])
        assert result.exit_code == 0, result.output
        with out.open(encoding="utf-8-sig") as fh:
            return [(r["返礼品名"], r["承認日"]) for r in csv.DictReader(fh)]

    assert export("--from", "2026-12-01", "--to", "2026-12-31") == [
        ("大晦日のトマト", "2026-12-31")
    ]
    assert export("--from", "2027-01-01", "--to", "2027-01-31") == [("元日のトマト", "2027-01-01")]
    assert export("--from", "2026-12-31", "--to", "2027-01-01") == [
        ("大晦日のトマト", "2026-12-31"),
        ("元日のトマト", "2027-01-01"),
    ]
