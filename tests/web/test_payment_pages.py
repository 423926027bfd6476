"""Payment screens: staff generate statements, record a re-send and correct a 送料, make the
month's run, download the 全銀 file (audited), mark it paid; the supplier downloads its own
支払通知書; the supplier form checks bank and branch codes against the bank list."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from portal.accounts.models import Supplier
from portal.core.audit import AuditEntry
from portal.core.roles import Role
from portal.payments import zengin
from portal.payments.models import PaymentRun, RunState
from portal.shipping.models import Resend
from portal.shipping.shipments import shipment_for
from portal.statements import service
from portal.statements.models import Statement
from tests.conftest import jst, pdf_text
from tests.unit.test_payments import tracking
from tests.unit.test_statements import SEPTEMBER


def _month(make_supplier, make_gift, make_order, frozen_clock):
    frozen_clock.freeze(jst(2026, 11, 10, 10, 0))
    supplier = make_supplier(
        code="S010", name="比婆牧場", bank_code="0169", branch_code="001",
        bank_account_number="1234567", bank_account_holder_kana="ﾋﾊﾞﾎﾞｸｼﾞﾖｳ",
    )  # fmt: skip
    gift = make_gift(supplier, name="比婆牛 500g", procurement_cost=9000, shipping_fee=1500)
    order = make_order(gift, quantity=2, shipped_on=date(2026, 10, 10), **SEPTEMBER)
    return supplier, gift, order


def test_staff_record_a_resend_and_a_fee_then_generate_and_pay(
    client, login, session, make_supplier, make_gift, make_user, make_order, frozen_clock
):
    supplier, _gift, order = _month(make_supplier, make_gift, make_order, frozen_clock)
    staff = make_user(Role.OPERATOR)
    login(staff)
    donation_url = f"/staff/donations/{order.line.donation_id}"
    page = client.get(donation_url).get_data(as_text=True)
    assert "送料 3,000円" in page  # 1,500 × 2 from the gift
    bad = client.post(f"/staff/orders/{order.id}/fee", data={f"f{order.id}-shipping_fee": "2800"})
    assert bad.status_code == 422 and "訂正の理由を入力してください" in bad.get_data(as_text=True)
    ok = client.post(
        f"/staff/orders/{order.id}/fee",
        data={f"f{order.id}-shipping_fee": "2800", f"f{order.id}-reason": "割引運賃"},
    )
    assert ok.status_code == 303 and shipment_for(session, order).shipping_fee == 2800
    resend = {
        f"r{order.id}-cause": "carrier", f"r{order.id}-carrier": "yamato",
        f"r{order.id}-tracking_no": tracking(7), f"r{order.id}-shipped_on": "2026-10-20",
        f"r{order.id}-quantity": "1",
    }  # fmt: skip
    assert client.post(f"/staff/orders/{order.id}/resend", data=resend).status_code == 303
    assert session.scalar(sa.select(Resend.shipping_fee)) == 1500
    assert "配送事故" in client.get(donation_url).get_data(as_text=True)

    assert client.post("/staff/statements/generate", data={"month": "2026-10"}).status_code == 303
    st = session.scalar(sa.select(Statement).where(Statement.supplier_id == supplier.id))
    assert st.total == 18000 + 2800 + 9000 + 1500 and st.billable_total == st.total
    page = client.get(f"/staff/statements/{st.id}").get_data(as_text=True)
    assert "配送事故" in page and "31,300円" in page
    client.post("/logout")

    supplier_user = make_user(Role.SUPPLIER, supplier=supplier)
    login(supplier_user)
    client.post(f"/supplier/statements/{st.id}/confirm")
    client.post("/logout")

    login(staff)
    made = client.post("/staff/payments", data={"month": "2026-10", "transfer_on": "2026-11-25"})
    assert made.status_code == 303
    run = session.scalar(sa.select(PaymentRun))
    page = client.get(f"/staff/payments/{run.id}").get_data(as_text=True)
    assert "比婆牧場" in page and "31,300円" in page and "広島" in page
    raw = client.get(f"/staff/payments/{run.id}/transfer.txt")
    assert raw.status_code == 200
    parsed = zengin.parse_transfer_file(raw.data)
    assert parsed.trailer_total == 31300 == parsed.data_total
    assert (
        session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(
                AuditEntry.action == "payment_run.transfer_file"
            )
        )
        == 1
    )
    refused = client.post(f"/staff/payments/{run.id}/paid", data={})
    assert refused.status_code == 422 and run.state == RunState.DRAFT
    paid = client.post(f"/staff/payments/{run.id}/paid", data={"paid_on": "2026-11-25"})
    assert paid.status_code == 303 and run.state == RunState.PAID
    page = client.get(f"/staff/statements/{st.id}").get_data(as_text=True)
    assert "支払後の訂正" in page and "この行を修正する" not in page
    line = st.lines[0]
    adjust = client.post(
        f"/staff/statements/{st.id}/lines/{line.id}/adjust",
        data={"cost_delta": "-9000", "shipping_delta": "0", "note": "1頭分は返品"},
    )
    assert adjust.status_code == 303
    november = session.scalar(sa.select(Statement).where(Statement.month == "2026-11"))
    assert november.total == -9000
    client.post("/logout")

    login(supplier_user)
    page = client.get("/supplier/statements").get_data(as_text=True)
    assert "31,300円" in page and "PDFをダウンロード" in page
    (pay_line,) = run.supplier_lines
    pdf = client.get(f"/supplier/payments/{pay_line.id}.pdf")
    assert pdf.status_code == 200 and "支払通知書" in pdf_text(pdf.data)
    client.post("/logout")
    other = make_user(Role.SUPPLIER)
    login(other)
    assert client.get(f"/supplier/payments/{pay_line.id}.pdf").status_code == 404


def test_city_reads_runs_without_the_forms(
    client, login, session, make_supplier, make_gift, make_user, make_order, frozen_clock
):
    supplier, _gift, _order = _month(make_supplier, make_gift, make_order, frozen_clock)
    st = service.generate(session, "2026-10")[0]
    service.confirm(session, st, by_user=make_user(Role.SUPPLIER, supplier=supplier))
    from portal.payments import service as payments

    run = payments.build_run(
        session, "2026-10", transfer_on=date(2026, 11, 25), by_user=make_user(Role.OPERATOR)
    )
    login(make_user(Role.CITY))
    page = client.get(f"/staff/payments/{run.id}").get_data(as_text=True)
    assert "比婆牧場" in page and "支払済みにする" not in page and "振込データ" not in page
    assert "支払データを作成する" not in client.get("/staff/payments").get_data(as_text=True)
    assert client.get(f"/staff/payments/{run.id}/transfer.txt").status_code == 403


def test_supplier_form_checks_the_bank_codes_and_shows_the_names(client, login, make_user, session):
    login(make_user(Role.OPERATOR))
    base = {
        "code": "S099", "name": "庄原茶園", "status": "active", "bank_account_type": "普通",
        "bank_account_number": "7654321", "bank_account_holder": "ショウバラチャエン",
        "shipping_paid_by": "operator",
    }  # fmt: skip
    bad = client.post(
        "/staff/suppliers/new", data={**base, "bank_code": "0169", "branch_code": "999"}
    )
    assert bad.status_code == 200 and "支店コード 999 の支店はありません" in bad.get_data(
        as_text=True
    )
    assert session.scalar(sa.select(Supplier).where(Supplier.code == "S099")) is None
    kanji = client.post(
        "/staff/suppliers/new",
        data={**base, "bank_code": "0169", "branch_code": "001", "bank_account_holder": "庄原茶園"},
    )
    assert "口座名義に使えない文字があります" in kanji.get_data(as_text=True)
    ok = client.post(
        "/staff/suppliers/new", data={**base, "bank_code": "0169", "branch_code": "001"}
    )
    assert ok.status_code == 303
    saved = session.scalar(sa.select(Supplier).where(Supplier.code == "S099"))
    assert (saved.bank_name, saved.bank_branch) == ("広島", "本店営業部")
    assert saved.bank_account_holder_kana == "ｼﾖｳﾊﾞﾗﾁﾔｴﾝ" and saved.shipping_paid_by == "operator"
    found = client.get("/staff/suppliers/bank-lookup?bank_code=0169&branch_code=001")
    assert "広島" in found.get_data(as_text=True) and "本店営業部" in found.get_data(as_text=True)
    unknown = client.get("/staff/suppliers/bank-lookup?bank_code=9998&branch_code=001")
    assert "金融機関コード 9998 の金融機関はありません" in unknown.get_data(as_text=True)
