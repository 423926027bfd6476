"""Receipts: numbers per calendar year of the 受領日 without gaps, due dates, reissue, API."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.core.errors import DomainError
from portal.core.portals import Portal
from portal.core.timeline import events_for
from portal.donations.lifecycle import DonationData, create_donation
from portal.donations.models import PaymentMethod, PaymentState
from portal.receipts import service
from portal.receipts.models import Receipt, ReceiptStatus


def paid(session, order_no: str, *, paid_on=date(2026, 12, 1), **kw):
    values = dict(
        applied_on=paid_on or date(2026, 12, 1),
        portal=Portal.CHOICE,
        portal_order_no=order_no,
        donor_name="庄原 花子",
        postal_code="7270011",
        address="広島県庄原市東本町1-1-1",
        amount=12000,
        paid_on=paid_on,
        payment_method=PaymentMethod.CARD,
        payment_state=PaymentState.PAID,
    )
    values.update(kw)
    return create_donation(session, DonationData(**values))


def test_number_is_per_year_of_the_receipt_date_and_sequential(session):
    dec = paid(session, "A-1", paid_on=date(2026, 12, 28))
    jan = paid(session, "A-2", paid_on=date(2027, 1, 4))
    dec2 = paid(session, "A-3", paid_on=date(2026, 12, 30))
    # All printed in January 2027: the December ones are still 2026 receipts.
    r1 = service.issue_receipt(session, dec, on=date(2027, 1, 8))
    r2 = service.issue_receipt(session, jan, on=date(2027, 1, 8))
    r3 = service.issue_receipt(session, dec2, on=date(2027, 1, 8))
    assert (r1.number, r2.number, r3.number) == ("2026-000001", "2027-000001", "2026-000002")
    assert r1.received_on == date(2026, 12, 28)


def test_due_fourteen_days_after_the_receipt_date(session):
    d = paid(session, "B-1", paid_on=date(2026, 12, 3))
    assert service.due_on_for(d) == date(2026, 12, 17)
    r = service.issue_receipt(session, d, on=date(2026, 12, 5))
    assert r.due_on == date(2026, 12, 17)
    unpaid = paid(session, "B-2", payment_state=PaymentState.UNPAID, paid_on=None)
    assert service.due_on_for(unpaid) is None
    with pytest.raises(DomainError):
        service.issue_receipt(session, unpaid)


def test_only_wanted_receipts_of_paid_donations_are_due(session):
    wanted = paid(session, "C-1", paid_on=date(2026, 11, 1))
    paid(session, "C-2", paid_on=date(2026, 11, 1), receipt_wanted=False)
    paid(session, "C-3", payment_state=PaymentState.UNPAID, paid_on=None)
    recent = paid(session, "C-4", paid_on=date(2026, 11, 20))
    due = session.scalars(service.unissued_stmt()).all()
    assert [d.id for d in due] == [wanted.id, recent.id]
    # Until 2026-11-20: only what is due by then (received on or before 11-06).
    due_by = session.scalars(service.unissued_stmt(until=date(2026, 11, 20))).all()
    assert [d.id for d in due_by] == [wanted.id]
    service.issue_receipt(session, wanted)
    assert wanted.id not in [d.id for d in session.scalars(service.unissued_stmt())]


def test_issuing_twice_gives_the_same_receipt(session):
    d = paid(session, "D-1")
    a = service.issue_receipt(session, d)
    b = service.issue_receipt(session, d)
    assert a is b and a.number == "2026-000001"
    assert [e.kind for e in events_for(session, "donation", d.id)].count("receipt.issued") == 1


def test_rollback_gives_the_number_back(session):
    a = paid(session, "E-1")
    b = paid(session, "E-2")
    with session.begin_nested() as sp:
        service.issue_receipt(session, a)
        sp.rollback()
    r = service.issue_receipt(session, b)
    assert r.number == "2026-000001"


def test_reissue_keeps_the_number_and_is_marked(session):
    d = paid(session, "F-1")
    assert service.receipt_for(session, d) is None
    with pytest.raises(DomainError):
        service.request_reissue(session, d, reason="紛失", by_user=None)
    r = service.issue_receipt(session, d, on=date(2026, 12, 10))
    r.needs_print = False
    r.status = ReceiptStatus.MAILED
    again = service.request_reissue(session, d, reason="紛失", by_user=None)
    assert again.number == r.number and again.reissued_on is not None
    assert again.needs_print and again.status == ReceiptStatus.DUE
    assert service.mailing_set_for(again, set_id="X").reissued
    # Asked twice before the batch ran: one reissue.
    service.request_reissue(session, d, reason="紛失", by_user=None)
    kinds = [e.kind for e in events_for(session, "donation", d.id)]
    assert kinds.count("receipt.reissued") == 1 and again.reissue_count == 1
    ev = next(e for e in events_for(session, "donation", d.id) if e.kind == "receipt.reissued")
    assert ev.public and ev.data["number"] == r.number


def test_no_pdf_before_issue(session):
    d = paid(session, "G-1")
    assert service.donation_pdf(session, d) is None


@pytest.mark.usefixtures("postgres_only")
def test_eight_concurrent_issuers_leave_no_gap_and_no_duplicate(committed):
    from portal.extensions import db

    ids = [
        paid(db.session, f"P-{i}", paid_on=date(2026, 12, 1) + timedelta(days=i % 3)).id
        for i in range(40)
    ]
    db.session.commit()
    app = committed
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            with app.app_context(), sa.orm.Session(db.engine) as s:
                barrier.wait()
                for did in ids[k::8]:
                    from portal.donations.models import Donation

                    service.issue_receipt(s, s.get(Donation, did))
                    s.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with sa.orm.Session(db.engine) as s:
        seqs = sorted(s.scalars(sa.select(Receipt.seq).where(Receipt.year == 2026)))
        assert seqs == list(range(1, 41))
