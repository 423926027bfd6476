"""One-stop forms coming back, and returned mail (宛所不明) re-mailed after an address fix."""

from __future__ import annotations

from datetime import date

import pytest

from portal.core.audit import AuditEntry
from portal.core.errors import DomainError, NotFound
from portal.core.timeline import events_for
from portal.receipts import batches, onestop, service
from portal.receipts.models import CaseStatus, ItemKind, OnestopState, ReceiptStatus
from tests.conftest import jst, pdf_text
from tests.unit.test_receipts import paid


@pytest.fixture()
def in_february(frozen_clock):
    """Forms come back until the spring: 'today' is 1 February 2027 for these tests."""
    frozen_clock.freeze(jst(2027, 2, 1, 10, 0))


def test_deadline_is_january_tenth_or_the_next_business_day():
    assert onestop.deadline(2026) == date(2027, 1, 12)  # Sun 10th, Mon 11th 成人の日
    assert onestop.deadline(2025) == date(2026, 1, 13)  # Sat 10th, Mon 12th 成人の日
    assert onestop.deadline(2027) == date(2028, 1, 11)  # Mon 10th 成人の日 → Tue 11th
    assert onestop.deadline(2029) == date(2030, 1, 10)  # a Thursday


def test_scanned_code_finds_the_donation(session):
    d = paid(session, "S-1", onestop_requested=True)
    assert onestop.find_donation(session, f" {d.donation_no}\n") is d
    wide = d.donation_no.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    assert onestop.find_donation(session, wide) is d
    with pytest.raises(NotFound):
        onestop.find_donation(session, "2026-999999")


@pytest.mark.usefixtures("in_february")
def test_incomplete_then_complete_with_events_and_mail(session, mailbox):
    d = paid(
        session, "S-2", onestop_requested=True, email="donor@example.jp", paid_on=date(2026, 12, 1)
    )
    row, changed = onestop.register_return(
        session, d, received_on=date(2026, 12, 20), missing=["mynumber", "identity"], by_user=None
    )
    assert changed and row.state == OnestopState.INCOMPLETE and not row.late
    assert row.missing == ["identity", "mynumber"]  # canonical order
    assert row in onestop.incomplete_returns(session)
    onestop.notify_donor(row)
    assert "不備" in mailbox.messages[-1]["Subject"]
    body = mailbox.body()
    assert "本人確認書類" in body and "マイナンバー確認書類" in body and d.donation_no in body

    # The same entry twice: nothing changes, no second event.
    _, changed = onestop.register_return(
        session, d, received_on=date(2026, 12, 20), missing=["identity", "mynumber"], by_user=None
    )
    assert not changed

    row, changed = onestop.register_return(
        session, d, received_on=date(2027, 1, 5), missing=[], by_user=None
    )
    assert changed and row.state == OnestopState.COMPLETE and row.received_on == date(2026, 12, 20)
    assert row not in onestop.incomplete_returns(session)
    onestop.notify_donor(row)
    assert "受理" in mailbox.messages[-1]["Subject"]
    events = [e for e in events_for(session, "donation", d.id) if e.kind == "onestop.received"]
    assert [e.data["complete"] for e in events] == [False, True]
    assert events[0].public and events[0].data["missing"] == ["identity", "mynumber"]


@pytest.mark.usefixtures("in_february")
def test_form_after_the_deadline_is_late(session):
    d = paid(session, "S-3", onestop_requested=True, paid_on=date(2026, 12, 28))
    on_time, _ = onestop.register_return(
        session, d, received_on=date(2027, 1, 12), missing=[], by_user=None
    )
    assert not on_time.late
    e = paid(session, "S-4", onestop_requested=True, paid_on=date(2026, 12, 28))
    late, _ = onestop.register_return(
        session, e, received_on=date(2027, 1, 13), missing=[], by_user=None
    )
    assert late.late
    assert events_for(session, "donation", e.id)[-1].data["late"] is True


@pytest.mark.usefixtures("in_february")
def test_bad_entries_are_refused(session):
    d = paid(session, "S-5", onestop_requested=True, paid_on=date(2026, 12, 1))
    with pytest.raises(DomainError):
        onestop.register_return(
            session, d, received_on=date(2026, 12, 2), missing=["x"], by_user=None
        )
    with pytest.raises(DomainError):
        onestop.register_return(session, d, received_on=date(2026, 11, 1), missing=[], by_user=None)
    with pytest.raises(DomainError):
        onestop.register_return(session, d, received_on=date(2999, 1, 1), missing=[], by_user=None)


def test_no_my_number_is_stored_anywhere():
    from portal.receipts.models import OnestopReturn

    columns = {c.name for c in OnestopReturn.__table__.columns}
    assert not any("mynumber" in c or "individual" in c for c in columns)


# --- returned mail ----------------------------------------------------------------------


def test_returned_mail_opens_a_case_and_the_fixed_address_is_re_mailed(session, make_user):
    staff = make_user()
    d = paid(session, "R-1", donor_name="渡邉 翔", paid_on=date(2026, 11, 2))
    batch = batches.issue_due(session, until=date(2026, 12, 1), workers=1)
    service.mark_batch_mailed(session, batch, batch.created_at.date(), by_user=staff)
    receipt = service.resolve_receipt(session, d.donation_no, kind="donation")

    case = service.record_returned(
        session, receipt, returned_on=batch.created_at.date(), by_user=staff
    )
    assert receipt.status == ReceiptStatus.RETURNED and case.status == CaseStatus.OPEN
    assert (
        service.record_returned(
            session, receipt, returned_on=batch.created_at.date(), by_user=staff
        )
        is case
    )
    assert case in service.open_cases(session)
    assert (
        batches.issue_due(session, until=date(2026, 12, 1), workers=1) is None
    )  # waits for the fix

    with pytest.raises(DomainError):
        service.fix_address(
            session, case, mail_name="", mail_postal_code="72", mail_address="x", by_user=staff
        )
    service.fix_address(
        session,
        case,
        mail_name="",
        mail_postal_code="７２７－００２２",
        mail_address="広島県庄原市西本町2-2-2",
        by_user=staff,
    )
    assert d.mail_postal_code == "7270022" and d.mail_name == "渡邉 翔"
    assert case.status == CaseStatus.RESOLVED and receipt.needs_print
    assert (
        session.query(AuditEntry)
        .filter_by(subject_type="donation", subject_id=str(d.id), action="update")
        .count()
        == 1
    )

    again = batches.issue_due(session, until=date(2026, 12, 1), workers=1)
    assert again.count == 1 and again.items[0].kind == ItemKind.REMAIL
    text = "".join(pdf_text(service.donation_pdf(session, d)).split())
    assert "〒727-0022" in text and "西本町2-2-2" in text and receipt.number in text
    assert "再発行" not in text  # a re-mail is the same receipt, not a reissue
    kinds = [e.kind for e in events_for(session, "donation", d.id)]
    assert "receipt.returned" in kinds


def test_receipt_and_donation_numbers_can_look_alike(session):
    a = paid(session, "R-2", paid_on=date(2026, 11, 2))
    b = paid(session, "R-3", paid_on=date(2026, 11, 3))
    service.issue_receipt(session, b)  # receipt 2026-000001 for donation b
    service.issue_receipt(session, a)  # receipt 2026-000002
    # a.donation_no is e.g. 2026-000001, which is also b's receipt number.
    assert a.donation_no == service.receipt_for(session, b).number == "2026-000001"
    with pytest.raises(DomainError):
        service.resolve_receipt(session, a.donation_no)
    assert service.resolve_receipt(session, a.donation_no, kind="donation").donation is a
    assert service.resolve_receipt(session, a.donation_no, kind="receipt").donation is b
    with pytest.raises(NotFound):
        service.resolve_receipt(session, "2026-777777")


def test_unmailed_receipt_cannot_be_returned(session):
    d = paid(session, "R-4", paid_on=date(2026, 11, 2))
    r = service.issue_receipt(session, d)
    with pytest.raises(DomainError):
        service.record_returned(session, r, returned_on=date(2026, 11, 20), by_user=None)
