"""The city's analytics [6(8)ア]: donations of two 年度 on three portals, counted by hand.

年度 2026 runs from 1 April 2026 to 31 March 2027; 2025 is the one before. What the page and
its CSVs show must add up to the donation totals (figures_between), cancelled donations and
other years left out.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from portal.analytics import queries
from portal.analytics.prefectures import UNKNOWN, prefecture_of
from portal.analytics.queries import Cell
from portal.core.dates import fiscal_range, fiscal_year, fiscal_year_label
from portal.core.portals import Portal
from portal.core.spreadsheet import csv_bytes
from portal.donations.lifecycle import LineData, cancel_donation
from portal.donations.queries import figures_between

TODAY = date(2026, 12, 20)
YAMADA = {"donor_name": "山田 太郎", "phone": "090-1111-2222", "email": ""}


@pytest.fixture()
def two_years(session, make_donation, make_gift, make_project):
    a, b = make_gift(code="A-1", name="比婆牛"), make_gift(code="B-2", name="庄原米")

    def give(day: date, amount: int, portal: Portal = Portal.CHOICE, gift=None, **kw):
        lines = [LineData(gift_code=gift.code)] if gift else []
        return make_donation(
            portal=portal, amount=amount, paid_on=day, applied_on=day, lines=lines, **kw
        )

    hiroshima, tokyo, kanagawa = "広島県庄原市東本町1-1", "東京都千代田区1-1", "神奈川県横浜市1-1"
    # 年度 2025: donor a twice, donor b once
    give(date(2025, 5, 10), 10000, gift=a, email="a@example.jp", address=hiroshima)
    give(date(2025, 12, 31), 30000, Portal.RAKUTEN, b, email="b@example.jp", address=tokyo)
    give(date(2025, 12, 31), 20000, gift=a, email="A@example.jp", address=hiroshima)
    # 年度 2026
    give(date(2026, 4, 1), 10000, gift=a, email="a@example.jp", address=hiroshima)  # a is back
    give(date(2026, 12, 1), 50000, Portal.RAKUTEN, b, email="c@example.jp", address=kanagawa,
         disaster_relief=True)  # fmt: skip
    give(date(2026, 12, 31), 15000, Portal.DIRECT, email="c@example.jp", address=kanagawa,
         project="比婆牛の牧場を守る", project_id=make_project("比婆牛の牧場を守る").id)  # fmt: skip
    give(date(2027, 3, 31), 5000, gift=a, address="庄原市東本町1-1", **YAMADA)  # no prefecture
    give(date(2026, 5, 5), 1000, address=hiroshima, **YAMADA)  # same name and phone: Yamada
    give(date(2026, 7, 7), 2000, address=hiroshima, donor_name="山田 太郎", email="")  # no phone
    # left out: cancelled, and the 年度 before and after
    gone = give(date(2026, 6, 1), 99999, gift=a, email="a@example.jp", address=hiroshima)
    cancel_donation(session, gone, "二重申込")
    give(date(2027, 4, 1), 7000, gift=b, email="a@example.jp", address=hiroshima)
    give(date(2025, 3, 31), 8000, gift=b, email="a@example.jp", address=hiroshima)
    session.flush()
    return queries.analytics(session, 2026, TODAY)


def test_fiscal_year_helpers():
    assert fiscal_year(date(2027, 3, 31)) == 2026 and fiscal_year(date(2026, 4, 1)) == 2026
    assert fiscal_range(2026) == (date(2026, 4, 1), date(2027, 4, 1))
    assert fiscal_year_label(2026) == "令和8年度" and fiscal_year_label(2019) == "令和元年度"
    assert fiscal_year_label(2026, "en") == "FY2026"


def test_prefecture_is_read_from_the_start_of_the_address():
    assert prefecture_of("神奈川県横浜") == "神奈川県"
    assert prefecture_of("北海道札幌市") == "北海道"
    assert prefecture_of(" 東京都千") == "東京都"
    assert prefecture_of("庄原市東本") == UNKNOWN and prefecture_of("") == UNKNOWN


def test_totals_portals_and_averages_match_a_hand_count(two_years):
    a = two_years
    assert a.total == Cell(6, 83000) and a.total.average == 13833
    assert a.last_total == Cell(3, 60000) and a.last_total.average == 20000
    assert [(p.portal, p.total, p.last_total) for p in a.portals] == [
        (Portal.RAKUTEN, Cell(1, 50000), Cell(1, 30000)),
        (Portal.CHOICE, Cell(4, 18000), Cell(2, 30000)),
        (Portal.DIRECT, Cell(1, 15000), Cell(0, 0)),
    ]
    choice = a.portals[1].months  # April first
    assert choice[0] == Cell(1, 10000) and choice[1] == Cell(1, 1000)
    assert choice[11] == Cell(1, 5000) and choice[11].average == 5000


def test_months_this_year_against_last_and_cumulative(two_years):
    months = {(r.year, r.month): r for r in two_years.months}
    assert [r.month for r in two_years.months] == [4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3]
    assert months[(2026, 5)].this == Cell(1, 1000) and months[(2026, 5)].last == Cell(1, 10000)
    assert months[(2026, 12)].this == Cell(2, 65000) and months[(2026, 12)].last == Cell(2, 50000)
    assert months[(2026, 12)].this_cumulative == Cell(5, 78000)
    # months still to come have no cumulative figure yet; last year's runs to March
    assert months[(2027, 1)].this_cumulative is None and months[(2027, 3)].this == Cell(1, 5000)
    assert months[(2027, 3)].last_cumulative == Cell(3, 60000)


def test_december_day_by_day(two_years):
    dec = {r.day: r for r in two_years.december}
    assert len(dec) == 31
    assert dec[1].this == Cell(1, 50000) and dec[1].last == Cell()
    assert dec[31].this == Cell(1, 15000) and dec[31].last == Cell(2, 50000)
    assert dec[31].this_cumulative == Cell(2, 65000) and dec[30].last_cumulative == Cell()


def test_disaster_relief_and_crowdfunding_apart(two_years):
    kinds = {k.kind: (k.this, k.last) for k in two_years.kinds}
    assert kinds["total"] == (Cell(6, 83000), Cell(3, 60000))
    assert kinds["disaster_relief"] == (Cell(1, 50000), Cell())
    assert kinds["crowdfunding"] == (Cell(1, 15000), Cell())
    assert kinds["regular"] == (Cell(4, 18000), Cell(3, 60000))


def test_top_gifts_by_amount_and_by_count(two_years):
    assert [(g.code, g.count, g.amount) for g in two_years.top_by_amount] == [
        ("B-2", 1, 50000),
        ("A-1", 2, 15000),
    ]
    assert [g.code for g in two_years.top_by_count] == ["A-1", "B-2"]


def test_donors_by_prefecture(two_years):
    rows = [(p.prefecture, p.this, p.last) for p in two_years.prefectures]
    assert rows == [
        ("神奈川県", Cell(2, 65000), Cell()),
        ("広島県", Cell(3, 13000), Cell(2, 30000)),
        ("東京都", Cell(), Cell(1, 30000)),
        (UNKNOWN, Cell(1, 5000), Cell()),
    ]


def test_repeat_donors_within_the_year_and_year_on_year(two_years):
    r = two_years.repeat
    # 2026: a, c (twice), Yamada by name + phone (twice), the donation without e-mail or phone
    assert (r.donors, r.repeat, r.repeat_share) == (4, 2, 50.0)
    # 2025: a twice (the e-mail's case does not matter), b once; a came back in 2026
    assert (r.last_donors, r.last_repeat, r.last_repeat_share) == (2, 1, 50.0)
    assert (r.returning, r.returning_share) == (1, 50.0)


def test_every_csv_adds_up_to_the_donation_totals(app, session, two_years):
    from portal.analytics.tables import tables

    start, end = fiscal_range(2026)
    last_start, _ = fiscal_range(2025)
    this, last = figures_between(session, start, end), figures_between(session, last_start, start)
    dec = figures_between(session, date(2026, 12, 1), date(2027, 1, 1))
    with app.test_request_context():
        got = tables(two_years, "ja")

    def column(key: str, index: int) -> int:
        t = got[key]
        rows = list(csv.reader(io.StringIO(csv_bytes(t.header, t.csv_rows()).decode("utf-8-sig"))))
        assert tuple(rows[0]) == t.header
        return sum(int(row[index]) for row in rows[1:])

    assert (column("portals", 2), column("portals", 3)) == (this["total"].count, 83000)
    for key in ("months", "prefectures"):
        assert (column(key, 1), column(key, 2)) == (this["total"].count, this["total"].amount)
        assert (column(key, 3), column(key, 4)) == (last["total"].count, last["total"].amount)
    assert (column("december", 1), column("december", 2)) == (dec["total"].count, 65000)
    kinds = {row[0]: row for row in got["kinds"].rows}
    assert kinds["災害支援"][1:3] == (this["disaster_relief"].count, this["disaster_relief"].amount)
    assert kinds["クラウドファンディング"][2] == this["crowdfunding"].amount
    assert kinds["そのほかの寄附"][2] == this["regular"].amount
    assert all("<svg" in t.svg for t in got.values())


@pytest.mark.usefixtures("two_years")
def test_fiscal_years_offered_run_from_the_first_donation(session):
    assert queries.fiscal_years(session, TODAY) == [2026, 2025, 2024]


def test_an_empty_year_is_all_zeros(session):
    a = queries.analytics(session, 2030, date(2030, 5, 1))
    assert a.total == Cell() and a.portals == () and a.repeat.repeat_share == 0.0
    assert a.months[0].this_cumulative == Cell() and a.months[2].this_cumulative is None


def test_the_page_keeps_a_years_figures_for_a_while(session, make_donation, frozen_clock):
    from datetime import timedelta

    from portal.analytics.cache import cached_analytics

    make_donation(amount=10000, paid_on=date(2026, 5, 1))
    first = cached_analytics(session, 2026, TODAY, seconds=300, key="test-cache")
    make_donation(amount=5000, paid_on=date(2026, 5, 2))
    assert cached_analytics(session, 2026, TODAY, seconds=300, key="test-cache") is first
    assert cached_analytics(session, 2026, TODAY, seconds=0).figures.total == Cell(2, 15000)
    frozen_clock.advance(timedelta(seconds=301))
    again = cached_analytics(session, 2026, TODAY, seconds=300, key="test-cache")
    assert first.figures.total == Cell(1, 10000) and again.figures.total == Cell(2, 15000)
