"""Donor requests: the donor asks, staff decide in the queue, the donor sees it and gets mail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.roles import Role
from portal.core.timeline import record_event
from portal.donations.models import Donation
from portal.donors.models import DonorRequest, RequestStatus
from portal.shipping.models import OrderStatus
from tests.web.test_donor_access import lookup


class Ref:
    """Ids only: a job run in-process ends the ORM session, so tests re-read rows."""

    def __init__(self, d) -> None:
        self.id, self.donation_no = d.id, d.donation_no


@pytest.fixture()
def donor(client, make_donation):
    d = make_donation()
    assert lookup(client, d.donation_no, "7270011").status_code == 303
    return Ref(d)


def donation(session, ref):
    return session.get(Donation, ref.id)


def test_delivery_address_change_approved_writes_the_donation(
    client, session, donor, make_user, mailbox, login
):
    form = client.get(f"/donor/donations/{donor.id}/requests/delivery-address")
    assert "広島県庄原市東本町1-1" in form.get_data(as_text=True)  # prefilled
    r = client.post(
        f"/donor/donations/{donor.id}/requests/delivery-address",
        data={
            "name": "寄附　太郎",
            "postal_code": "１００－０００１",
            "address": "東京都千代田区千代田1-1",
            "phone": "０３－１２３４－５６７８",
        },
    )
    assert r.status_code == 303
    req = session.scalar(sa.select(DonorRequest))
    req_id = req.id
    assert (req.postal_code, req.name, req.phone) == ("1000001", "寄附 太郎", "03-1234-5678")
    assert "受け付けました" in mailbox.body()
    page = client.get(f"/donor/donations/{donor.id}").get_data(as_text=True)
    assert "返礼品のお届け先の変更" in page and "受付中" in page

    staff = make_user(Role.OPERATOR)
    login(staff)
    queue = client.get("/staff/requests").get_data(as_text=True)
    assert donor.donation_no in queue
    assert client.get(f"/staff/requests/{req_id}").status_code == 200
    decided = client.post(f"/staff/requests/{req_id}", data={"decision": "approve"})
    assert decided.status_code == 303
    d = donation(session, donor)
    assert d.delivery_postal_code == "1000001"
    assert d.delivery_address == "東京都千代田区千代田1-1"
    assert session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.action == "update", AuditEntry.subject_id == str(donor.id)
        )
    )
    assert len(mailbox.messages) == 2 and "対応しました" in mailbox.body()
    page = client.get(f"/donor/donations/{donor.id}").get_data(as_text=True)
    assert "対応しました" in page
    # Decided once: a second decision is refused and changes nothing.
    again = client.post(f"/staff/requests/{req_id}", data={"decision": "refuse", "staff_note": "x"})
    assert again.status_code == 422 and "すでに処理されています" in again.get_data(as_text=True)
    assert session.get(DonorRequest, req_id).status == RequestStatus.APPROVED


def test_refusal_needs_a_reason_that_the_donor_sees(client, session, donor, make_user, login):
    client.post(
        f"/donor/donations/{donor.id}/requests/mail-address",
        data={"name": "寄附 花子", "postal_code": "7270012", "address": "広島県庄原市中本町2-2"},
    )
    req = session.scalar(sa.select(DonorRequest))
    req_id = req.id
    staff = make_user(Role.OPERATOR)
    login(staff)
    no_reason = client.post(f"/staff/requests/{req_id}", data={"decision": "refuse"})
    assert no_reason.status_code == 422
    assert "理由を入力してください" in no_reason.get_data(as_text=True)
    client.post(
        f"/staff/requests/{req_id}",
        data={"decision": "refuse", "staff_note": "ご本人確認ができませんでした。"},
    )
    page = client.get(f"/donor/donations/{donor.id}").get_data(as_text=True)
    assert "お受けできませんでした" in page and "ご本人確認ができませんでした。" in page
    assert donation(session, donor).mail_address == ""


def test_corrected_applies_what_staff_checked(client, session, donor, make_user, login):
    client.post(
        f"/donor/donations/{donor.id}/requests/mail-address",
        data={"name": "寄附 花子", "postal_code": "7270012", "address": "庄原市中本町2-2"},
    )
    req = session.scalar(sa.select(DonorRequest))
    req_id = req.id
    staff = make_user(Role.OPERATOR)
    login(staff)
    client.post(
        f"/staff/requests/{req_id}",
        data={
            "decision": "correct",
            "name": "寄附 花子",
            "postal_code": "727-0012",
            "address": "広島県庄原市中本町二丁目2-2",
            "staff_note": "都道府県名を補いました。",
        },
    )
    assert donation(session, donor).mail_address == "広島県庄原市中本町二丁目2-2"
    assert session.get(DonorRequest, req_id).status == RequestStatus.CORRECTED


def test_bad_postal_code_keeps_what_was_typed(client, session, donor):
    r = client.post(
        f"/donor/donations/{donor.id}/requests/mail-address",
        data={"name": "寄附 花子", "postal_code": "72700", "address": "広島県庄原市中本町2-2"},
    )
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert "7桁" in html and "広島県庄原市中本町2-2" in html
    assert session.scalar(sa.select(sa.func.count()).select_from(DonorRequest)) == 0


def test_double_submit_makes_one_request(client, session, donor, mailbox):
    data = {"name": "寄附 花子", "postal_code": "7270012", "address": "広島県庄原市中本町2-2"}
    url = f"/donor/donations/{donor.id}/requests/mail-address"
    assert client.post(url, data=data).status_code == 303
    assert client.post(url, data=data).status_code == 303
    assert session.scalar(sa.select(sa.func.count()).select_from(DonorRequest)) == 1
    assert len(mailbox.messages) == 1


def test_delivery_address_cannot_change_after_shipping(client, session, donor):
    # This donation's own order (another test's committed rows must not be picked up).
    order = donation(session, donor).lines[0].orders[0]
    order.status = OrderStatus.SHIPPED
    order.shipped_at = datetime(2026, 11, 5, tzinfo=UTC)
    session.flush()
    r = client.post(
        f"/donor/donations/{donor.id}/requests/delivery-address",
        data={"name": "寄附 花子", "postal_code": "7270012", "address": "広島県庄原市中本町2-2"},
    )
    assert r.status_code == 422
    assert "すでに発送されたため" in r.get_data(as_text=True)
    page = client.get(f"/donor/donations/{donor.id}").get_data(as_text=True)
    assert "お届け先を変更する" not in page


def test_reissue_request_needs_a_reason(client, session, donor):
    url = f"/donor/donations/{donor.id}/requests/receipt-reissue"
    assert "紛失した" in client.get(url).get_data(as_text=True)
    r = client.post(url, data={})
    assert r.status_code == 422 and "理由を選んでください" in r.get_data(as_text=True)
    assert client.post(url, data={"reason": "lost"}).status_code == 303
    req = session.scalar(sa.select(DonorRequest))
    assert req.reissue_reason.value == "lost"


def test_city_staff_read_the_queue_but_cannot_decide(client, session, donor, make_user, login):
    client.post(f"/donor/donations/{donor.id}/requests/receipt-reissue", data={"reason": "lost"})
    req = session.scalar(sa.select(DonorRequest))
    req_id = req.id
    city = make_user(Role.CITY)
    login(city)
    assert client.get(f"/staff/requests/{req_id}").status_code == 200
    assert client.post(f"/staff/requests/{req_id}", data={"decision": "approve"}).status_code == 403


def test_unknown_request_kind_is_not_found(client, donor):
    assert client.get(f"/donor/donations/{donor.id}/requests/anything").status_code == 404


def test_request_events_show_on_the_timeline(client, session, donor):
    record_event(
        session,
        "donation",
        donor.id,
        "request.updated",
        public=True,
        request_kind="mail-address",
        status="corrected",
    )
    page = client.get(f"/donor/donations/{donor.id}").get_data(as_text=True)
    assert "「書類の送付先の変更」のお申し込み: 内容を修正して対応しました。" in page


def test_approved_reissue_goes_to_the_receipt_service(
    client,
    session,
    make_donation,
    make_receipt,
    make_user,
    login,
):
    from portal.receipts.models import Receipt, ReceiptStatus

    d = make_donation(donor_name="寄附 花子")
    receipt = make_receipt(d)
    receipt.needs_print = False  # as after its batch was printed
    receipt.status = ReceiptStatus.ISSUED
    number, donation_id = receipt.number, d.id
    session.flush()
    assert lookup(client, d.donation_no, "7270011").status_code == 303
    r = client.post(
        f"/donor/donations/{donation_id}/requests/receipt-reissue",
        data={
            "reason": "details-wrong",
            "name": "寄附 華子",
            "postal_code": "727-0011",
            "address": "広島県庄原市東本町1-1",
        },
    )
    assert r.status_code == 303
    req_id = session.scalar(sa.select(DonorRequest.id))
    login(make_user(Role.OPERATOR))
    assert client.post(f"/staff/requests/{req_id}", data={"decision": "approve"}).status_code == 303
    receipt = session.scalar(sa.select(Receipt).where(Receipt.donation_id == donation_id))
    assert receipt.number == number and receipt.reissued_on is not None
    assert session.get(Donation, donation_id).donor_name == "寄附 華子"
    page = client.get(f"/donor/donations/{donation_id}").get_data(as_text=True)
    assert "再発行しました" in page
