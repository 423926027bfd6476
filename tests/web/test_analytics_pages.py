"""The staff analytics page [6(8)ア]: every chart is an SVG with its numbers in a table, in
Japanese and in English, each table downloads as a CSV (with an audit row), a 年度 is chosen by
GET, and only staff get in."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from portal.analytics.tables import CHARTS
from portal.core.audit import AuditEntry
from portal.core.roles import Role
from tests.conftest import jst
from tests.unit.test_analytics import two_years  # noqa: F401 - the fixture

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")


@pytest.fixture()
def city(frozen_clock, login, make_user):
    frozen_clock.freeze(jst(2026, 12, 20, 10, 0))
    return login(make_user(Role.CITY))


def _section(html: str, key: str) -> str:
    m = re.search(rf'<section[^>]*data-chart="{key}"[^>]*>(.*?)</section>', html, re.S)
    assert m, key
    return m.group(1)


def _cells(section: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", section, re.S)
    ]


@pytest.mark.usefixtures("city", "two_years")
def test_every_chart_is_an_svg_with_its_numbers_in_a_table(client, session):
    response = client.get("/staff/analytics")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "寄附の分析（令和8年度）" in html and "6件 83,000円（平均 13,833円）" in html
    for key in CHARTS:
        section = _section(html, key)
        assert "<svg" in section and "<table" in section, key
        assert f'href="/staff/analytics/{key}.csv?year=2026"' in section
    portals = _cells(_section(html, "portals"))
    assert "楽天ふるさと納税" in portals and "50,000" in portals
    months = _section(html, "months")
    assert "65,000" in _cells(months) and "65,000円" in months  # in the table and on the bar
    gifts = _section(html, "gifts-amount")
    assert '<span lang="ja">庄原米</span>' in gifts and "B-2 庄原米" in gifts
    prefectures = _cells(_section(html, "prefectures"))
    assert prefectures[:3] == ["神奈川県", "2", "65,000"] and "不明" in prefectures
    repeat = _cells(_section(html, "repeat"))
    assert repeat[:4] == ["令和8年度 年度内に2回以上", "4", "2", "50.0"]
    kinds = _cells(_section(html, "kinds"))
    assert kinds[kinds.index("災害支援") + 2] == "50,000"
    # a page view names no donor and writes no audit row
    assert "a@example.jp" not in html and "山田" not in html
    analytics_rows = sa.select(sa.func.count()).where(AuditEntry.subject_type == "analytics")
    assert session.scalar(analytics_rows) == 0


@pytest.mark.usefixtures("city", "two_years")
def test_the_year_is_chosen_by_get_and_a_wrong_one_is_refused(client):
    html = client.get("/staff/analytics?year=2025").get_data(as_text=True)
    assert "寄附の分析（令和7年度）" in html and "3件 60,000円" in html
    assert '<option value="2024">令和6年度</option>' in html
    html = client.get("/staff/analytics?year=1999").get_data(as_text=True)
    assert "その年度の寄附はありません。今年度を表示しています。" in html
    assert "寄附の分析（令和8年度）" in html


class _Text(HTMLParser):
    """Text nodes outside lang="ja", <script> and <style> (what the e2e crawl checks)."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "rect", "line", "circle", "polyline"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        skip = dict(attrs).get("lang") == "ja" or tag in ("script", "style")
        self.stack.append(skip or bool(self.stack and self.stack[-1]))

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.text.append(data)


@pytest.mark.usefixtures("city", "two_years")
def test_english_page_has_no_japanese_outside_data(client):
    client.post("/lang", data={"lang": "en"})
    html = client.get("/staff/analytics").get_data(as_text=True)
    assert "Kanagawa" in html and "FY2026" in html
    parser = _Text()
    parser.feed(html[html.index("<body") :])
    city_name = client.application.config["CITY_NAME"]  # data, as the e2e crawl counts it
    left = [t.strip() for t in parser.text if JAPANESE.search(t.replace(city_name, ""))]
    assert left == []
    assert '<text x="0" y="32" font-size="9" lang="ja">B-2 庄原米</text>' in html


@pytest.mark.usefixtures("city", "two_years")
def test_each_csv_downloads_adds_up_and_is_audited(client, session):
    for key in CHARTS:
        response = client.get(f"/staff/analytics/{key}.csv?year=2026")
        assert response.status_code == 200, key
        assert response.mimetype == "text/csv"
        assert f"analytics-{key}-2026.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(
        client.get("/staff/analytics/portals.csv").get_data().decode("utf-8-sig"))))  # fmt: skip
    assert rows[0] == ["ポータル", "月", "件数", "金額（円）", "平均（円）"]
    assert sum(int(r[3]) for r in rows[1:]) == 83000 and sum(int(r[2]) for r in rows[1:]) == 6
    assert client.get("/staff/analytics/nothing.csv").status_code == 404
    audited = session.scalars(
        sa.select(AuditEntry.subject_id).where(AuditEntry.subject_type == "analytics")
    ).all()
    assert sorted(audited)[:2] == ["december:2026", "gifts-amount:2026"]
    assert len(audited) == len(CHARTS) + 1


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.OPERATOR_ADMIN, Role.CITY])
def test_staff_read_it_and_suppliers_do_not(client, login, make_user, role):
    login(make_user(role))
    assert client.get("/staff/analytics").status_code == 200
    assert client.get("/staff/analytics/repeat.csv").status_code == 200


def test_a_supplier_is_refused(client, login, make_user):
    login(make_user(Role.SUPPLIER))
    assert client.get("/staff/analytics").status_code == 403
    assert client.get("/staff/analytics/portals.csv").status_code == 403
