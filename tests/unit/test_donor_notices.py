"""Donor notifications: one mail per event through the real SMTP path, never twice."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role
from portal.core.portals import Portal
from portal.donations.importers import import_file
from portal.donations.models import Donation
from portal.donors import notify
from portal.donors.access import redeem_token
from portal.donors.models import DonorNotice, NoticeStatus
from portal.receipts import service as receipts
from portal.receipts.models import ReceiptEvent, ReceiptStatus
from portal.shipping import shipments
from portal.shipping.carriers.names import Carrier
from tests.conftest import jst

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"
TARO = "taro@example.jp"


def tracking(seed: int) -> str:
    body = f"{40000000000 + seed:011d}"
    return body + str(int(body) % 7)


@pytest.fixture()
def gifts(make_gift, make_supplier):
    supplier = make_supplier()
    return {c: make_gift(code=c, supplier=supplier) for c in ("HB-001", "HJ-002", "BD-001")}


def _to(mailbox, address: str):
    return [m for m in mailbox.messages if m["To"] == address]


def _subjects(messages) -> list[str]:
    return [str(m["Subject"]) for m in messages]


def test_import_paid_shipped_receipted_mails_once_per_event(
    session, gifts, mailbox, frozen_clock, make_user
):
    frozen_clock.freeze(jst(2026, 12, 3, 10, 0))
    data = (FIXTURES / "standard.csv").read_bytes()
    import_file(session, "standard", data)
    taro = session.scalar(
        sa.select(Donation).where(
            Donation.portal == Portal.STANDARD, Donation.portal_order_no == "S-0001"
        )
    )
    notify.send_notices(session)
    first = _to(mailbox, TARO)
    assert len(first) == 2  # accepted (the standard CSV's channels send none) and paid
    assert "寄附受付" in first[0]["Subject"] and "入金確認" in first[1]["Subject"]

    user = make_user(Role.SUPPLIER, supplier=gifts["HB-001"].supplier)
    orders = [ln.orders[0] for ln in taro.lines]
    for n, order in enumerate(orders):
        shipments.confirm_shipment(
            session, order, Carrier.YAMATO, tracking(n), date(2026, 12, 3), user
        )
    receipt = receipts.issue_receipt(session, taro, on=date(2026, 12, 3))
    receipts.move_receipt(session, receipt, ReceiptStatus.ISSUED, event=None)
    receipts.move_receipt(
        session, receipt, ReceiptStatus.MAILED, event=ReceiptEvent.MAILED, mailed_on="2026-12-03"
    )
    session.flush()
    notify.send_notices(session)
    notify.send_notices(session)  # a second run (the schedule firing twice) sends nothing

    mails = _to(mailbox, TARO)
    assert len(mails) == 5
    for m in mails:
        assert m.get_all("To") == [TARO] and "," not in m["To"] and m["Cc"] is None
        assert taro.donation_no in m["Subject"]
    shipped = [m for m in mails if "返礼品発送" in m["Subject"]]
    assert len(shipped) == 2
    body = shipped[0].get_body(("plain",)).get_content()
    assert "ヤマト運輸" in body and tracking(0) in body
    assert "https://toi.kuronekoyamato.co.jp" in body or "kuronekoyamato" in body
    assert f"寄附番号：{taro.donation_no}" in body
    # The one-time link opens the donor's status page for this donation.
    token = re.search(r"https?://\S+/donor/\S*?([A-Za-z0-9_-]{40,})", body)
    assert token is not None
    assert taro.id in redeem_token(session, token.group(1)).donation_ids
    assert sum("受領証明書" in s for s in _subjects(mails)) == 1

    # What was sent to whom, without the body; replaying the file sends nothing more.
    sent = session.scalars(
        sa.select(DonorNotice).where(
            DonorNotice.donation_id == taro.id, DonorNotice.status == NoticeStatus.SENT
        )
    ).all()
    assert len(sent) == 5 and {n.recipient for n in sent} == {TARO}
    before = len(mailbox.messages)
    result = import_file(session, "standard", data)
    assert "new=0" in result.summary()
    notify.send_notices(session)
    assert len(mailbox.messages) == before


def test_historic_import_and_missing_address_send_nothing(
    session, make_donation, mailbox, frozen_clock
):
    frozen_clock.freeze(jst(2026, 12, 3, 10, 0))
    old = make_donation(portal=Portal.STANDARD, paid_on=date(2026, 10, 1))  # long paid
    silent = make_donation(portal=Portal.STANDARD, paid_on=date(2026, 12, 2), email="")
    portal_mailed = make_donation(portal=Portal.CHOICE, paid_on=date(2026, 12, 2))
    notify.send_notices(session)
    assert len(mailbox.messages) == 1  # only the paid notice of the ふるさとチョイス donation
    assert "入金確認" in mailbox.messages[0]["Subject"]

    def statuses(d):
        return sorted(str(n.status) for n in notify.notices_for(session, d.id))

    assert statuses(old) == ["historic", "historic"]
    assert statuses(silent) == ["no_address", "no_address"]
    assert statuses(portal_mailed) == ["portal_confirms", "sent"]


def test_staff_donation_page_lists_what_was_sent_when(
    session, make_donation, mailbox, frozen_clock, login, make_user
):
    frozen_clock.freeze(jst(2026, 12, 3, 10, 0))
    donation = make_donation(portal=Portal.STANDARD, paid_on=date(2026, 12, 2))
    notify.send_notices(session)
    assert len(mailbox.messages) == 2
    client = login(make_user(Role.OPERATOR))
    html = client.get(f"/staff/donations/{donation.id}").get_data(as_text=True)
    section = html.split('id="notices-h"')[1].split("</section>")[0]
    assert "寄附受付のお知らせ" in section and "入金確認のお知らせ" in section
    assert section.count("送信済") == 2 and "hanako@example.jp" in section
    assert "2026" in section  # when
