"""The 申告特例申請事項変更届出書 (様式第55号の6): offered to the donor once the one-stop form
was received, registered by staff on the one-stop record, mentioned in the confirmation of a
name/address change."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from portal.core.roles import Role
from portal.donors.models import DonorRequest
from portal.receipts import onestop
from portal.receipts.models import OnestopReturn
from tests.conftest import jst, pdf_text
from tests.web.test_donor_access import lookup

LINK = "申告特例申請事項変更届出書（PDF・記入済み）"


def squash(text: str) -> str:
    return "".join(text.split())


def _received(session, d, on=date(2026, 12, 10)):
    onestop.register_return(session, d, received_on=on, missing=[], by_user=None)
    session.flush()


def test_donor_downloads_the_prefilled_change_form_once_the_form_was_received(
    client, session, make_donation, frozen_clock
):
    frozen_clock.freeze(jst(2026, 12, 20, 10, 0, 0))
    d = make_donation(onestop_requested=True, donor_name="寄附 花子")
    donation_id = d.id
    assert lookup(client, d.donation_no, "7270011").status_code == 303
    page = client.get(f"/donor/donations/{donation_id}").get_data(as_text=True)
    assert LINK not in page
    assert client.get(f"/donor/donations/{donation_id}/onestop-change.pdf").status_code == 404
    _received(session, d)
    page = client.get(f"/donor/donations/{donation_id}").get_data(as_text=True)
    assert LINK in page
    r = client.get(f"/donor/donations/{donation_id}/onestop-change.pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    text = squash(pdf_text(r.data))
    assert "寄附金税額控除に係る申告特例申請事項変更届出書" in text
    assert "令和8年寄附分市町村民税・道府県民税" in text
    assert "申告特例対象年の翌年の1月10日までに提出してください" in text
    assert "寄附花子" in text and "令和8年11月1日" in text
    # After the deadline (12 January 2027: the 10th is a Sunday, the 11th 成人の日) it is gone.
    frozen_clock.freeze(jst(2027, 1, 13, 10, 0, 0))
    assert LINK not in client.get(f"/donor/donations/{donation_id}").get_data(as_text=True)


def test_staff_register_the_returned_change_form_on_the_one_stop_record(
    client, session, make_donation, make_user, login, frozen_clock
):
    frozen_clock.freeze(jst(2026, 12, 20, 10, 0, 0))
    d = make_donation(onestop_requested=True)
    donation_id = d.id
    login(make_user(Role.OPERATOR))
    # Not before the form itself is registered.
    client.post(
        f"/staff/receipts/onestop/{donation_id}/change",
        data={"change_received_on": "2026-12-18"},
    )
    assert "先に申請書を登録してください" in client.get(
        f"/staff/receipts/onestop/{donation_id}"
    ).get_data(as_text=True)
    _received(session, d)
    r = client.post(
        f"/staff/receipts/onestop/{donation_id}/change",
        data={"change_received_on": "2026-12-18"},
    )
    assert r.status_code == 303
    row = session.scalar(sa.select(OnestopReturn).where(OnestopReturn.donation_id == donation_id))
    assert row.change_received_on == date(2026, 12, 18) and row.change_count == 1
    assert not row.change_late
    page = client.get(f"/staff/receipts/onestop/{donation_id}").get_data(as_text=True)
    assert "変更届出書" in page and "1通" in page
    detail = client.get(f"/staff/donations/{donation_id}").get_data(as_text=True)
    assert "変更届出書：2026年12月18日(金) 受付（1通）" in detail


def test_confirmed_name_change_tells_the_donor_to_send_the_change_form(
    client, session, make_donation, make_receipt, make_user, login, mailbox, frozen_clock
):
    from portal.receipts.models import ReceiptStatus

    frozen_clock.freeze(jst(2026, 12, 20, 10, 0, 0))
    d = make_donation(onestop_requested=True, donor_name="寄附 花子")
    receipt = make_receipt(d)
    receipt.needs_print = False
    receipt.status = ReceiptStatus.ISSUED
    donation_id = d.id
    _received(session, d)
    assert lookup(client, d.donation_no, "7270011").status_code == 303
    client.post(
        f"/donor/donations/{donation_id}/requests/receipt-reissue",
        data={
            "reason": "details-wrong",
            "name": "寄附 華子",
            "postal_code": "727-0011",
            "address": "広島県庄原市東本町1-1",
        },
    )
    req_id = session.scalar(sa.select(DonorRequest.id))
    login(make_user(Role.OPERATOR))
    assert client.post(f"/staff/requests/{req_id}", data={"decision": "approve"}).status_code == 303
    bodies = [m.get_content() for m in mailbox.messages if m["To"] == "hanako@example.jp"]
    assert "申告特例申請事項変更届出書" in bodies[-1]
    assert "令和9年1月12日まで" in bodies[-1]
    assert "申告特例申請事項変更届出書" not in bodies[0]  # the request's receipt mail
