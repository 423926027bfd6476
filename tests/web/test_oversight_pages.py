"""The 5割/3割 watch on screen: the dashboard card (and its warning at the margin), the page's
breakdown, the costs form (CSRF, bad input kept and explained, edits audited), the margins,
the xlsx for the city's report to 総務省, and the page in English."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from flask_babel import refresh
from openpyxl import load_workbook

from portal.core.audit import AuditEntry
from portal.core.roles import Role
from portal.oversight.models import CostEntry
from tests.conftest import sign_in
from tests.unit.test_oversight import INCOME, PROCUREMENT, TOTAL, year  # noqa: F401 - fixture

CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.fixture()
def csrf_on(app):
    """Call after signing in (the test login posts without a token)."""
    saved = app.config.get("WTF_CSRF_ENABLED")
    yield lambda: app.config.update(WTF_CSRF_ENABLED=True)
    app.config.update(WTF_CSRF_ENABLED=saved)


def _card(html: str) -> str:
    start = html.index('data-testid="oversight-card"')
    return html[start : html.index("</section>", start)]


@pytest.mark.parametrize("who", ["staff", "city"])
def test_card_on_the_dashboard_warns_at_the_margin(client, year, who):  # noqa: F811
    sign_in(client, year[who])
    dashboard = client.get("/staff/").get_data(as_text=True)
    assert 'hx-get="/staff/oversight/card" hx-trigger="load"' in dashboard
    card = _card(
        client.get("/staff/oversight/card", headers={"HX-Request": "true"}).get_data(as_text=True)
    )
    # 28,559 / 60,000 = 47.59% ≥ the default 47% margin: amber, with the warning.
    assert "47.59%" in card and "20.00%" in card
    assert 'data-testid="fifty-now" data-level="warn"' in card
    assert 'data-testid="oversight-warning"' in card
    assert 'href="/staff/oversight"' in card


def test_city_raises_the_margin_and_the_warning_goes(client, year, csrf_on):  # noqa: F811
    sign_in(client, year["city"])
    csrf_on()
    page = client.get("/staff/oversight").get_data(as_text=True)
    refused = client.post(
        "/staff/oversight/margins", data={"fifty_margin": "48", "thirty_margin": "28"}
    )
    assert refused.status_code == 400  # no CSRF token
    bad = client.post("/staff/oversight/margins",
                      data={"fifty_margin": "55", "thirty_margin": "28", "csrf_token": _csrf(page)})  # fmt: skip
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert "0 より大きく 50.00% 以下" in html and 'value="55"' in html
    ok = client.post("/staff/oversight/margins",
                     data={"fifty_margin": "48", "thirty_margin": "28", "csrf_token": _csrf(page)})  # fmt: skip
    assert ok.status_code == 303
    card = _card(client.get("/staff/oversight/card").get_data(as_text=True))
    assert 'data-testid="fifty-now" data-level="ok"' in card
    assert 'data-testid="oversight-warning"' not in card


def test_operator_reads_the_margins_but_cannot_change_them(client, year):  # noqa: F811
    sign_in(client, year["staff"])
    page = client.get("/staff/oversight").get_data(as_text=True)
    assert 'action="/staff/oversight/margins"' not in page
    assert "5割の警告: 47.00%" in page
    r = client.post("/staff/oversight/margins", data={"fifty_margin": "40", "thirty_margin": "20"})
    assert r.status_code == 403


def test_page_breakdown_and_the_workbook_totals(client, year):  # noqa: F811
    sign_in(client, year["city"])
    page = client.get("/staff/oversight").get_data(as_text=True)
    assert f'data-amount="{PROCUREMENT}"' in page
    assert "28,559" in page and "60,000" in page
    xlsx = client.get("/staff/oversight.xlsx")
    assert xlsx.status_code == 200
    wb = load_workbook(io.BytesIO(xlsx.data))
    assert wb.sheetnames == ["募集費用", "月別", "3割の警告"]
    rows = [[c.value for c in row] for row in wb["募集費用"].iter_rows(min_row=2)]
    categories = [r for r in rows if r[0] and r[1] in ("", None) and isinstance(r[2], int)]
    by_label = {r[0]: r for r in rows if r[0]}
    assert by_label["返礼品等の調達に係る費用"][2] == PROCUREMENT
    assert by_label["募集に要した費用の合計"][2] == TOTAL
    assert by_label["寄附受入額"][2] == INCOME
    assert by_label["募集費用の割合（5割）"][2] == "47.59%"
    five = [r for r in categories if r[0].endswith("費用") and r[0] != "募集に要した費用の合計"]
    assert len(five) == 5 and sum(r[2] for r in five) == TOTAL
    items = [r for r in rows if not r[0] and r[1]]
    assert sum(r[2] for r in items) == TOTAL  # the items add up to their categories
    monthly = [[c.value for c in row] for row in wb["月別"].iter_rows(min_row=2)]
    assert sum(r[6] for r in monthly) == TOTAL and sum(r[7] for r in monthly) == INCOME


def test_costs_form_csrf_bad_input_and_audited_edits(client, session, make_user, frozen_clock,
                                                     csrf_on):  # fmt: skip
    from tests.conftest import jst

    frozen_clock.freeze(jst(2026, 12, 5, 10, 0))
    staff = make_user(Role.OPERATOR)
    sign_in(client, staff)
    csrf_on()
    page = client.get("/staff/oversight").get_data(as_text=True)
    token = _csrf(page)
    data = {"month": "2026-11", "category": "portal_fee", "portal": "rakuten", "amount": "12000",
            "note": "楽天 11月分"}  # fmt: skip
    assert client.post("/staff/oversight", data=data).status_code == 400
    assert session.scalar(sa.select(sa.func.count(CostEntry.id))) == 0
    bad = client.post("/staff/oversight", data={**data, "month": "2026/13", "csrf_token": token})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "月は 2026-10 の形で指定してください。" in html
    assert 'value="12000"' in html and "楽天 11月分" in html  # nothing typed is lost
    future = client.post("/staff/oversight", data={**data, "month": "2027-01", "csrf_token": token})
    assert future.status_code == 422 and "先の月の費用は入力できません。" in future.get_data(
        as_text=True
    )
    amount = client.post("/staff/oversight", data={**data, "amount": "abc", "csrf_token": token})
    assert amount.status_code == 422
    ok = client.post("/staff/oversight", data={**data, "csrf_token": token})
    assert ok.status_code == 303
    entry = session.scalar(sa.select(CostEntry))
    assert (entry.month, entry.amount, entry.portal.value) == ("2026-11", 12000, "rakuten")
    page = client.get("/staff/oversight").get_data(as_text=True)
    assert "12,000" in page and f"/staff/oversight/costs/{entry.id}" in page
    edit = client.post(f"/staff/oversight/costs/{entry.id}",
                       data={**data, "amount": "13000", "csrf_token": token})  # fmt: skip
    assert edit.status_code == 303
    assert session.get(CostEntry, entry.id).amount == 13000
    gone = client.post(f"/staff/oversight/costs/{entry.id}/delete", data={"csrf_token": token})
    assert gone.status_code == 303
    assert session.get(CostEntry, entry.id) is None
    actions = session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.subject_type == "cost_entry")
        .order_by(AuditEntry.id)
    ).all()  # fmt: skip
    assert actions == ["oversight.cost_added", "oversight.cost_changed", "oversight.cost_deleted"]


def test_page_and_card_in_english(client, year):  # noqa: F811
    sign_in(client, year["city"])
    client.post("/lang", data={"lang": "en"})
    refresh()  # the fixture's invoice wording cached Japanese on the test's app context
    page = client.get("/staff/oversight")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    main = html[html.index("<main") : html.index("</main>")]
    text = re.sub(r"<[^>]+>", " ", main)
    assert not CJK.findall(text), CJK.findall(text)[:10]
    assert "47.59%" in text
    refresh()
    assert "Expense ratios" in client.get("/staff/").get_data(as_text=True)
    refresh()
    card = _card(client.get("/staff/oversight/card").get_data(as_text=True))
    assert not CJK.findall(re.sub(r"<[^>]+>", " ", card))
