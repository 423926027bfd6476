"""Staff pages of the monthly cycle: the invoice links every line to its records and is
issued once; the report is prepared and submitted by the operator (the city is mailed after
commit) and inspected by the city, who cannot edit it; the dashboards show the due date."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from portal.core.roles import Role
from portal.monthly import invoice, report
from portal.monthly.models import ReportState
from tests.conftest import sign_in
from tests.unit.test_monthly import NOVEMBER, november  # noqa: F401 - the fixture


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_invoice_page_links_each_line_and_issues_once(client, session, november):  # noqa: F811
    sign_in(client, november["staff"])
    page = client.get(f"/staff/invoices?month={NOVEMBER}").get_data(as_text=True)
    assert "34,040" in page and "4,296" in page
    statement_ids = {ln.ref_id.split(":")[0] for ln in invoice.build(session, NOVEMBER).lines
                     if ln.ref_type == "statement_line"}  # fmt: skip
    for sid in statement_ids:
        assert f'href="/staff/statements/{sid}"' in page
    assert 'href="/staff/receipts/batches/' in page and "#ad-" in page
    response = client.post(
        "/staff/invoices/issue", data={"month": NOVEMBER, "csrf_token": _csrf(page)}
    )
    assert response.status_code in (302, 303)
    issued = invoice.current_invoice(session, NOVEMBER)
    assert issued.number == "INV2026-0001"
    page = client.get(f"/staff/invoices?month={NOVEMBER}").get_data(as_text=True)
    assert "INV2026-0001" in page and "請求書を発行する" not in page
    xlsx = client.get(f"/staff/invoices/{issued.id}/invoice.xlsx")
    values = [c.value for ws in load_workbook(io.BytesIO(xlsx.data)).worksheets
              for row in ws.iter_rows() for c in row]  # fmt: skip
    assert 34040 in values
    pdf = client.get(f"/staff/invoices/{issued.id}/invoice.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_city_reads_the_invoice_but_cannot_issue(client, november):  # noqa: F811
    sign_in(client, november["city"])
    page = client.get(f"/staff/invoices?month={NOVEMBER}").get_data(as_text=True)
    assert "34,040" in page and "請求書を発行する" not in page
    assert client.post("/staff/invoices/issue", data={"month": NOVEMBER}).status_code == 403


def test_report_prepared_submitted_mailed_and_accepted(client, session, november, mailbox):  # noqa: F811
    staff, city = november["staff"], november["city"]
    sign_in(client, staff)
    page = client.get(f"/staff/reports/{NOVEMBER}").get_data(as_text=True)
    assert "93,579" in page and "<svg" in page and "url(#hatch-daily)" in page
    client.post(f"/staff/reports/{NOVEMBER}/open", data={"csrf_token": _csrf(page)})
    page = client.get(f"/staff/reports/{NOVEMBER}").get_data(as_text=True)
    token = _csrf(page)
    client.post(f"/staff/reports/{NOVEMBER}/comments",
                data={"section": "ka", "ka-body": "新聞広告で6件", "ka-csrf_token": token})  # fmt: skip
    rep = report.get_report(session, NOVEMBER)
    assert rep.comment_for("ka") == "新聞広告で6件"
    mailbox.clear()
    client.post(f"/staff/reports/{NOVEMBER}/submit", data={"csrf_token": token})
    assert rep.state == ReportState.SUBMITTED
    assert [m["To"] for m in mailbox.messages] == [city.email]
    assert NOVEMBER in mailbox.body() and f"/staff/reports/{NOVEMBER}" in mailbox.body()

    client.post("/logout")
    sign_in(client, city)
    page = client.get(f"/staff/reports/{NOVEMBER}").get_data(as_text=True)
    assert "新聞広告で6件" in page and "検査済にする" in page
    assert f"/staff/reports/{NOVEMBER}/comments" not in page and "市に提出する" not in page
    assert client.post(f"/staff/reports/{NOVEMBER}/comments",
                       data={"section": "a", "a-body": "x"}).status_code == 403  # fmt: skip
    client.post(
        f"/staff/reports/{NOVEMBER}/accept", data={"csrf_token": _csrf(page), "comment": ""}
    )
    assert rep.state == ReportState.ACCEPTED
    home = client.get("/staff/").get_data(as_text=True)
    assert "2026-11分の提出期限" in home and "検査済" in home


def test_city_sends_back_with_a_comment_kept_in_the_history(client, session, november):  # noqa: F811
    rep = report.open_report(session, NOVEMBER, by_user=november["staff"])
    report.submit(session, rep, by_user=november["staff"])
    sign_in(client, november["city"])
    page = client.get(f"/staff/reports/{NOVEMBER}").get_data(as_text=True)
    client.post(f"/staff/reports/{NOVEMBER}/return",
                data={"csrf_token": _csrf(page), "comment": "エの返戻件数を確認してください"})  # fmt: skip
    assert rep.state == ReportState.RETURNED
    page = client.get(f"/staff/reports/{NOVEMBER}").get_data(as_text=True)
    assert "エの返戻件数を確認してください" in page and "差戻し" in page


@pytest.mark.usefixtures("november")
def test_staff_dashboard_shows_the_next_due_date(client, make_user):
    sign_in(client, make_user(Role.OPERATOR))
    home = client.get("/staff/").get_data(as_text=True)
    assert "2026-11分の提出期限" in home and "未作成" in home


@pytest.mark.usefixtures("november")
def test_contract_form_rejects_a_bad_rate(client, make_user):
    sign_in(client, make_user(Role.OPERATOR))
    page = client.get("/staff/contract").get_data(as_text=True)
    response = client.post("/staff/contract", data={
        "csrf_token": _csrf(page), "valid_from": "2027-04-01", "base_rate": "12.345",
        "no_gift_rate": "5", "crowdfunding_rate": "8", "mailing_unit_price": "90",
        "tax_rate_percent": "10", "tax_rounding": "floor",
    })  # fmt: skip
    assert response.status_code == 422 and "小数点以下2桁" in response.get_data(as_text=True)
