"""Staff donation screens: import upload → preview → apply, detail audit, payment, held queue."""

from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.portals import Portal
from portal.core.roles import Role
from portal.donations.lifecycle import DonationData, LineData, create_donation
from portal.donations.models import Donation, DonationState, LineHold, PaymentMethod
from portal.gifts.stock import GiftAllocation, set_allocation

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"


def _gifts(make_gift):
    return {c: make_gift(code=c) for c in ("HB-001", "HJ-002", "BD-001")}


def test_upload_preview_then_apply(app, session, login, make_user, make_gift):
    _gifts(make_gift)
    client = login(make_user(Role.OPERATOR))
    data = (FIXTURES / "standard.csv").read_bytes()
    preview = client.post(
        "/staff/donations/import",
        data={"portal": "standard", "file": (io.BytesIO(data), "standard.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    html = preview.get_data(as_text=True)
    assert [r.status_code for r in preview.history] == [303]
    assert preview.status_code == 200
    assert "返礼品コード ZZ-999 は登録されていません。" in html
    assert session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 0
    token = html.split('name="token" value="')[1].split('"')[0]
    assert "庄原" not in token and len(token) >= 32
    assert list((Path(app.config["UPLOAD_DIR"]) / "imports").glob(f"{token}.csv"))
    rejected = client.post(
        "/staff/donations/import/rejected", data={"token": token, "portal": "standard"}
    )
    assert rejected.mimetype == "text/csv"
    assert "ZZ-999" in rejected.get_data().decode("utf-8-sig")
    applied = client.post(
        "/staff/donations/import/apply",
        data={"token": token, "portal": "standard"},
        follow_redirects=True,
    )
    assert [r.status_code for r in applied.history] == [303]
    assert applied.status_code == 200
    assert session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 3
    assert (
        client.post(
            "/staff/donations/import/apply",
            data={"token": "../../etc/passwd", "portal": "standard"},
        ).status_code
        == 404
    )


def test_city_staff_cannot_import(login, make_user):
    client = login(make_user(Role.CITY))
    assert client.get("/staff/donations/import").status_code == 403
    assert client.get("/staff/donations").status_code == 200


def test_detail_is_audited_and_payment_marked(session, login, make_user, make_gift):
    gift = make_gift()
    d = create_donation(
        session,
        DonationData(
            portal=Portal.DIRECT,
            portal_order_no="D-1",
            donor_name="庄原 花子",
            amount=10000,
            applied_on=__import__("datetime").date(2026, 12, 1),
            payment_method=PaymentMethod.BANK,
            lines=[LineData(gift.code)],
        ),
    )
    user = make_user(Role.OPERATOR)
    client = login(user)
    page = client.get(f"/staff/donations/{d.id}")
    assert "庄原 花子" in page.get_data(as_text=True)
    assert "寄附を受け付けました" in page.get_data(as_text=True)
    assert session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.subject_type == "donation", AuditEntry.actor_user_id == user.id
        )
    )
    r = client.post(f"/staff/donations/{d.id}/paid", data={"paid_on": "2026-12-04"})
    assert r.status_code == 303
    session.expire_all()
    assert d.state == DonationState.PAID and len(d.lines[0].orders) == 1


def test_held_queue_move_and_cancel(session, login, make_user, make_gift):
    from datetime import date

    gift = make_gift()
    set_allocation(session, gift.id, "rakuten", 2)
    set_allocation(session, gift.id, "choice", 0)
    d = create_donation(
        session,
        DonationData(
            portal=Portal.CHOICE,
            portal_order_no="H-1",
            donor_name="比婆 一郎",
            amount=10000,
            applied_on=date(2026, 12, 1),
            payment_method=PaymentMethod.CARD,
            lines=[LineData(gift.code)],
        ),
    )
    assert d.lines[0].hold == LineHold.STOCK
    client = login(make_user(Role.OPERATOR))
    page = client.get("/staff/donations/held").get_data(as_text=True)
    assert d.donation_no in page and "在庫超過" in page
    client.post(
        f"/staff/donations/lines/{d.lines[0].id}/release",
        data={"from_portal": "rakuten", "quantity": "1"},
    )
    session.expire_all()
    assert d.lines[0].hold == LineHold.NONE
    remaining = dict(
        session.execute(sa.select(GiftAllocation.portal, GiftAllocation.remaining)).all()
    )
    assert remaining == {"rakuten": 1, "choice": 0}
    client.post(f"/staff/donations/{d.id}/cancel", data={"reason": "寄附者の申し出"})
    session.expire_all()
    assert d.state == DonationState.CANCELLED
    assert (
        session.scalar(sa.select(GiftAllocation.remaining).where(GiftAllocation.portal == "choice"))
        == 1
    )


def test_direct_entry_normalises_and_completes_the_address(session, login, make_user, make_gift):
    gift = make_gift(code="HB-001")
    client = login(make_user(Role.OPERATOR))
    completed = client.post(
        "/staff/donations/address",
        data={"postal_code": "７２７−００１１"},
        headers={"HX-Request": "true"},
    )
    assert 'value="広島県庄原市東本町"' in completed.get_data(as_text=True)
    bad = client.post(
        "/staff/donations/new",
        data={
            "donor_name": "庄原 花子",
            "donor_kana": "Shobara",
            "amount": "10000",
            "applied_on": "2026-12-01",
            "payment_method": "bank",
        },
    )
    assert "フリガナはカタカナで入力してください。" in bad.get_data(as_text=True)
    r = client.post(
        "/staff/donations/new",
        data={
            "donor_name": "庄原　花子",
            "donor_kana": "しょうばら はなこ",
            "postal_code": "７２７−００１１",
            "address": "広島県庄原市東本町１−１",
            "phone": "０８２４−７２−１１１１",
            "amount": "１００００",
            "applied_on": "2026-12-01",
            "payment_method": "cash_registered",
            "paid_on": "2026-12-03",
            "gift_code": gift.code,
            "quantity": "1",
            "receipt_wanted": "y",
        },
    )
    assert r.status_code == 303, r.get_data(as_text=True)
    d = session.scalar(sa.select(Donation).where(Donation.portal == Portal.DIRECT))
    assert (d.donor_name, d.donor_kana, d.postal_code, d.phone) == (
        "庄原 花子",
        "ショウバラ ハナコ",
        "7270011",
        "0824-72-1111",
    )
    assert d.address == "広島県庄原市東本町1-1" and d.amount == 10000
    assert d.state == DonationState.PAID and d.received_on.isoformat() == "2026-12-03"
    assert d.portal_order_no == "D2026-00001" and len(d.lines[0].orders) == 1


def test_payment_list_upload_lists_mismatches(session, login, make_user):
    from datetime import date

    d = create_donation(
        session,
        DonationData(
            portal=Portal.DIRECT,
            portal_order_no="P-1",
            donor_name="庄原 花子",
            amount=10000,
            applied_on=date(2026, 12, 1),
            payment_method=PaymentMethod.BANK,
        ),
    )
    client = login(make_user(Role.OPERATOR))
    data = f"寄附受付番号,金額,入金日\n{d.donation_no},10000,2026/12/05\nX-1,1,2026/12/05\n"
    page = client.post(
        "/staff/donations/payments",
        data={"file": (io.BytesIO(data.encode("cp932")), "bank.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "該当する未入金の寄附がありません。" in page
    session.expire_all()
    assert d.state == DonationState.PAID
