"""Substitution of a held line's gift with the donor's consent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.core.portals import Portal
from portal.core.timeline import events_for
from portal.donations.lifecycle import DonationData, LineData, create_donation
from portal.donations.models import LineHold, PaymentMethod, PaymentState
from portal.donations.substitution import (
    ConsentChannel,
    LineSubstitution,
    substitute_candidates,
    substitute_line,
)
from portal.gifts.models import GiftStatus
from portal.gifts.stock import GiftAllocation, StockLedger, set_allocation

APPLIED = today_jst() - timedelta(days=3)


def _held(session, make_gift, *, paid: bool = True, amount: int = 20000):
    sold_out = make_gift(required_amount=20000)
    set_allocation(session, sold_out.id, "rakuten", 0)
    donation = create_donation(
        session,
        DonationData(
            portal=Portal.RAKUTEN,
            portal_order_no="R-1",
            donor_name="庄原 花子",
            amount=amount,
            applied_on=APPLIED,
            payment_method=PaymentMethod.CARD,
            payment_state=PaymentState.PAID if paid else PaymentState.UNPAID,
            paid_on=APPLIED if paid else None,
            lines=[LineData(gift_code=sold_out.code)],
        ),
    )
    line = donation.lines[0]
    assert line.hold == LineHold.STOCK
    return donation, line, sold_out


def test_substitute_takes_stock_records_consent_and_orders(
    session, make_gift, make_supplier, make_user
):
    donation, line, sold_out = _held(session, make_gift)
    other_supplier = make_supplier()
    substitute = make_gift(supplier=other_supplier, required_amount=15000)
    set_allocation(session, substitute.id, "rakuten", 2)
    staff = make_user()
    record = substitute_line(
        session,
        line,
        substitute,
        consent_via=ConsentChannel.PHONE,
        consent_on=today_jst(),
        note="在庫切れのため同額帯の品で了承",
        by_user=staff,
    )
    assert line.gift_id == substitute.id and line.hold == LineHold.NONE and line.stock_taken
    assert (
        session.scalar(
            sa.select(GiftAllocation.remaining).where(GiftAllocation.gift_id == substitute.id)
        )
        == 1
    )
    ledger = session.scalar(sa.select(StockLedger).where(StockLedger.donation_line_id == line.id))
    assert (ledger.gift_id, ledger.before, ledger.after) == (substitute.id, 2, 1)
    assert (record.from_gift_id, record.to_gift_id, record.consent_via) == (
        sold_out.id,
        substitute.id,
        ConsentChannel.PHONE,
    )
    assert record.held_as == LineHold.STOCK and record.by_user_id == staff.id
    assert [o.supplier_id for o in line.orders] == [other_supplier.id]
    event = next(
        e for e in events_for(session, "donation", donation.id) if e.kind == "line.substituted"
    )
    assert event.public and event.data["from_gift"] == sold_out.name
    assert event.data["to_gift"] == substitute.name


def test_unpaid_donation_gets_no_order_until_paid(session, make_gift):
    _, line, _ = _held(session, make_gift, paid=False)
    substitute = make_gift(required_amount=10000)  # unlimited: no allocation rows
    substitute_line(
        session, line, substitute, consent_via=ConsentChannel.EMAIL, consent_on=today_jst()
    )
    assert line.hold == LineHold.NONE and not line.stock_taken and line.orders == []


@pytest.mark.parametrize(
    "change, message",
    [
        ({"required_amount": 30000}, "寄附金額を超えます"),
        ({"status": GiftStatus.ENDED}, "掲載中"),
        ({"stock_paused": True}, "受付を停止"),
        ({"accept_until": date(2020, 1, 1)}, "受付期間外"),
        ({"allocation": 0}, "在庫"),
    ],
)
def test_refused_substitutes_change_nothing(session, make_gift, change, message):
    _, line, sold_out = _held(session, make_gift)
    allocation = change.pop("allocation", None)
    substitute = make_gift(**{"required_amount": 10000, **change})
    if allocation is not None:
        set_allocation(session, substitute.id, "rakuten", allocation)
    with pytest.raises(DomainError) as err:
        substitute_line(
            session, line, substitute, consent_via=ConsentChannel.WEB, consent_on=today_jst()
        )
    assert message in str(err.value.message)
    assert line.gift_id == sold_out.id and line.hold == LineHold.STOCK
    assert session.scalar(sa.select(sa.func.count()).select_from(LineSubstitution)) == 0


def test_consent_date_must_be_real(session, make_gift):
    _, line, _ = _held(session, make_gift)
    substitute = make_gift(required_amount=10000)
    with pytest.raises(DomainError):
        substitute_line(
            session,
            line,
            substitute,
            consent_via=ConsentChannel.PHONE,
            consent_on=today_jst() + timedelta(days=1),
        )
    with pytest.raises(DomainError):
        substitute_line(
            session,
            line,
            substitute,
            consent_via=ConsentChannel.PHONE,
            consent_on=APPLIED - timedelta(days=1),
        )


def test_a_secured_line_cannot_be_substituted(session, make_gift):
    _, line, _ = _held(session, make_gift)
    first = make_gift(required_amount=10000)
    substitute_line(session, line, first, consent_via=ConsentChannel.PHONE, consent_on=today_jst())
    with pytest.raises(DomainError):
        substitute_line(
            session, line, make_gift(), consent_via=ConsentChannel.PHONE, consent_on=today_jst()
        )


def test_candidates_fit_the_amount_and_are_listed(session, make_gift):
    _, line, _ = _held(session, make_gift, amount=20000)
    fits = make_gift(required_amount=20000)
    too_dear = make_gift(required_amount=25000)
    paused = make_gift(required_amount=10000, stock_paused=True)
    draft = make_gift(required_amount=10000, status=GiftStatus.DRAFT)
    codes = {g.code for g in substitute_candidates(session, line)}
    assert fits.code in codes
    assert not codes & {too_dear.code, paused.code, draft.code, line.gift.code}
