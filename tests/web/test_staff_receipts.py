"""Staff receipt screens: due/overdue, the issue job with progress, batch downloads, mailed,
returned mail → address check → re-mail, one-stop intake by scanned code, roles, audit."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.dates import today_jst
from portal.core.roles import Role
from portal.donations.models import Donation
from portal.receipts import batches, service
from portal.receipts.models import AddressCheck, OnestopReturn, ReceiptBatch, ReceiptStatus
from tests.conftest import pdf_text
from tests.unit.test_receipts import paid


def audits(session, action: str, subject_type: str = "donation") -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == action, AuditEntry.subject_type == subject_type)
    )


def test_overview_shows_due_receipts_with_overdue_in_red(session, login, make_user):
    today = today_jst()
    late = paid(session, "W-1", paid_on=today - timedelta(days=20))
    fresh = paid(session, "W-2", paid_on=today - timedelta(days=2))
    html = login(make_user(Role.OPERATOR)).get("/staff/receipts").get_data(as_text=True)
    assert late.donation_no in html and fresh.donation_no in html
    row = html.split(late.donation_no)[0].rsplit("<tr", 1)[1]
    assert "row--late" in row
    assert "row--late" not in html.split(fresh.donation_no)[0].rsplit("<tr", 1)[1]
    assert "期限超過" in html and "発行する" in html
    assert '未発行</p><p class="stat__value">2</p>' in html
    assert '期限超過（入金から14日超）</p><p class="stat__value">1</p>' in html
    assert "庄原 花子" not in html  # the list shows no names


def test_city_reads_but_cannot_issue(session, login, make_user):
    paid(session, "W-3", paid_on=today_jst() - timedelta(days=20))
    client = login(make_user(Role.CITY))
    html = client.get("/staff/receipts").get_data(as_text=True)
    assert "/staff/receipts/issue" not in html
    assert (
        client.post("/staff/receipts/issue", data={"until": today_jst().isoformat()}).status_code
        == 403
    )
    assert client.get("/staff/receipts/onestop").status_code == 403
    assert client.get("/staff/receipts/returned").status_code == 403
    assert session.scalar(sa.select(sa.func.count()).select_from(ReceiptBatch)) == 0


def test_issue_button_runs_the_job_then_batch_downloads_and_mailed(session, login, make_user):
    d = paid(
        session,
        "W-4",
        donor_name="小林 さくら",
        paid_on=today_jst() - timedelta(days=20),
        onestop_requested=True,
    )
    donation_id, donation_no = d.id, d.donation_no
    client = login(make_user(Role.OPERATOR))
    r = client.post("/staff/receipts/issue", data={"until": today_jst().isoformat()})
    assert r.status_code == 303
    job_page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "1通を発行しました" in job_page
    batch = session.scalar(sa.select(ReceiptBatch))
    batch_id, label = batch.id, batch.label
    # A double click after the job finished issues nothing more.
    again = client.post("/staff/receipts/issue", data={"until": today_jst().isoformat()})
    assert "発行する受領証明書はありませんでした" in client.get(again.headers["Location"]).get_data(
        as_text=True
    )
    assert session.scalar(sa.select(sa.func.count()).select_from(ReceiptBatch)) == 1

    page = client.get(f"/staff/receipts/batches/{batch_id}").get_data(as_text=True)
    assert label in page and donation_no in page
    with client.get(f"/staff/receipts/batches/{batch_id}/print.pdf") as pdf:
        pdf_bytes = pdf.data
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "小林さくら" in "".join(pdf_text(pdf_bytes).split())
    assert audits(session, "export", "receipt_batch") == 1
    with client.get(f"/staff/receipts/batches/{batch_id}/manifest.csv") as r:
        manifest = r.get_data(as_text=True)
    assert manifest.startswith("set_id,") and f"{label}-00001" in manifest
    receipt = service.receipt_for(session, session.get(Donation, donation_id))
    one = client.get(f"/staff/receipts/{receipt.id}/set.pdf")
    assert one.status_code == 200 and "小林さくら" in "".join(pdf_text(one.data).split())
    assert audits(session, "download") == 1

    r = client.post(
        f"/staff/receipts/batches/{batch_id}/mailed", data={"mailed_on": today_jst().isoformat()}
    )
    assert r.status_code == 303
    session.expire_all()
    assert (
        service.receipt_for(session, session.get(Donation, donation_id)).status
        == ReceiptStatus.MAILED
    )
    bad = client.post(
        f"/staff/receipts/batches/{batch_id}/mailed",
        data={"mailed_on": (today_jst() - timedelta(days=5)).isoformat()},
        follow_redirects=True,
    )
    assert "発送済として登録されています" in bad.get_data(as_text=True)


def test_returned_mail_to_address_check_to_re_mail(session, login, make_user):
    d = paid(session, "W-5", paid_on=today_jst() - timedelta(days=20))
    batch = batches.issue_due(session, until=today_jst(), workers=1)
    service.mark_batch_mailed(session, batch, today_jst(), by_user=None)
    session.commit()
    donation_no = d.donation_no
    client = login(make_user(Role.OPERATOR))
    unknown = client.post(
        "/staff/receipts/returned",
        data={"ref": "2026-999999", "kind": "auto", "returned_on": today_jst().isoformat()},
    )
    assert "その番号の受領証明書は見つかりません" in unknown.get_data(as_text=True)
    r = client.post(
        "/staff/receipts/returned",
        data={"ref": donation_no, "kind": "donation", "returned_on": today_jst().isoformat()},
    )
    assert r.status_code == 303
    case = session.scalar(sa.select(AddressCheck))
    case_id, number = case.id, case.receipt.number
    assert number in client.get("/staff/receipts/address-checks").get_data(as_text=True)
    views_before = audits(session, "view")
    page = client.get(f"/staff/receipts/address-checks/{case_id}").get_data(as_text=True)
    assert "庄原 花子" in page and audits(session, "view") == views_before + 1
    bad = client.post(
        f"/staff/receipts/address-checks/{case_id}",
        data={"mail_name": "", "mail_postal_code": "12", "mail_address": "広島県庄原市"},
    )
    assert "郵便番号は7桁で入力してください。" in bad.get_data(as_text=True)
    assert "広島県庄原市" in bad.get_data(as_text=True)  # what was typed stays
    ok = client.post(
        f"/staff/receipts/address-checks/{case_id}",
        data={
            "mail_name": "",
            "mail_postal_code": "727-0022",
            "mail_address": "広島県庄原市西本町2-2-2",
        },
    )
    assert ok.status_code == 303
    session.expire_all()
    assert session.scalar(sa.select(AddressCheck.status)).value == "resolved"
    assert "再送" in client.get("/staff/receipts").get_data(as_text=True)


def test_onestop_intake_by_scanned_code(session, login, make_user, mailbox):
    d = paid(
        session,
        "W-6",
        paid_on=today_jst() - timedelta(days=20),
        onestop_requested=True,
        email="donor6@example.jp",
    )
    donation_no, donation_id = d.donation_no, d.id
    client = login(make_user(Role.OPERATOR))
    page = client.get("/staff/receipts/onestop").get_data(as_text=True)
    assert "autofocus" in page
    miss = client.post("/staff/receipts/onestop", data={"code": "2026-888888"})
    assert "その寄附番号の寄附は見つかりません。" in miss.get_data(as_text=True)
    wide = donation_no.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    r = client.post("/staff/receipts/onestop", data={"code": wide + "\n"})
    assert r.status_code == 303 and r.headers["Location"].endswith(
        f"/staff/receipts/onestop/{donation_id}"
    )
    form = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "庄原 花子" in form and "マイナンバーはこのシステムに入力しません" in form
    assert 'name="mynumber"' not in form
    done = client.post(
        r.headers["Location"],
        data={"received_on": today_jst().isoformat(), "missing": ["identity"]},
    )
    assert done.status_code == 303
    assert "不備" in mailbox.messages[-1]["Subject"]
    listing = client.get("/staff/receipts/onestop/incomplete").get_data(as_text=True)
    assert donation_no in listing and "本人確認書類" in listing
    # Same entry again: no second mail.
    count = len(mailbox.messages)
    client.post(
        r.headers["Location"],
        data={"received_on": today_jst().isoformat(), "missing": ["identity"]},
    )
    assert len(mailbox.messages) == count
    assert session.scalar(sa.select(sa.func.count()).select_from(OnestopReturn)) == 1


def test_a_held_batch_lists_the_unprintable_name_and_prints_once_corrected(
    session, login, make_user
):
    d = paid(session, "W-90", donor_name="山田 \ue123子", paid_on=today_jst() - timedelta(days=20))
    donation_id = d.id
    client = login(make_user(Role.OPERATOR))
    r = client.post("/staff/receipts/issue", data={"until": today_jst().isoformat()})
    job_page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "印刷を保留しています" in job_page
    batch_id = session.scalar(sa.select(ReceiptBatch.id))
    page = client.get(f"/staff/receipts/batches/{batch_id}").get_data(as_text=True)
    assert "印刷できない文字があります" in page and "U+E123" in page and "確認待ち" in page
    assert audits(session, "view", "receipt_batch") == 1  # the list shows a donor's name
    assert client.get(f"/staff/receipts/batches/{batch_id}/print.pdf").status_code == 404

    refused = client.post(f"/staff/receipts/batches/{batch_id}/release", data={})
    assert refused.status_code == 303
    assert "印刷できない文字がまだ残っています" in client.get(refused.headers["Location"]).get_data(
        as_text=True
    )
    r = client.post(
        f"/staff/receipts/batches/{batch_id}/correct",
        data={"donation_id": str(donation_id), "field": "donor_name", "value": "山田 恵子"},
    )
    assert "すべての表記を印刷できます" in client.get(r.headers["Location"]).get_data(as_text=True)
    client.post(f"/staff/receipts/batches/{batch_id}/release", data={})
    session.expire_all()
    batch = session.get(ReceiptBatch, batch_id)
    assert batch.status.value == "ready"
    with client.get(f"/staff/receipts/batches/{batch_id}/print.pdf") as pdf:
        assert "山田恵子" in "".join(pdf_text(pdf.data).split())


def test_yearend_list_page_shows_counts_and_its_downloads_are_audited(session, login, make_user):
    from tests.unit.test_onestop_yearend import donors

    donors(session)
    client = login(make_user(Role.CITY))  # the city sends the 申告特例通知書: it reads the list
    page = client.get("/staff/receipts/onestop/yearend?year=2025").get_data(as_text=True)
    assert "011002" in page and "北海道札幌市" in page and "35,000円" in page
    assert "札幌 一郎" not in page  # counts only on screen
    assert "遅延" not in page and "期限後の到着" in page
    with client.get("/staff/receipts/onestop/yearend.csv?year=2025") as r:
        body = r.data.decode("utf-8-sig")
    assert body.startswith("全国地方公共団体コード,") and "札幌 一郎" in body
    assert audits(session, "export", "onestop_yearend") == 1
    with client.get("/staff/receipts/onestop/yearend.pdf?year=2025") as r:
        assert r.mimetype == "application/pdf" and "札幌一郎" in "".join(pdf_text(r.data).split())
    assert audits(session, "export", "onestop_yearend") == 2
