"""The analytics page from the worker's snapshot (portal/analytics/snapshot.py): the running
年度's figures counted every few minutes into one row, read by the page and its CSVs while
fresh (the page says when they were counted), computed by the page itself otherwise; a
cancelled or erased donation leaves the figures at the next count."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta

import pytest
from huey import MemoryHuey

from portal.analytics import snapshot as analytics_snapshot
from portal.core.roles import Role
from portal.donations.lifecycle import cancel_donation
from portal.donations.snapshot import FigureSnapshot
from portal.erasure import policy
from portal.erasure.run import erase
from tests.conftest import jst
from tests.unit.test_analytics import TODAY, two_years  # noqa: F401 - the fixture

LIVE_TOTAL = "6件 83,000円（平均 13,833円）"


@pytest.fixture()
def city(frozen_clock, login, make_user):
    frozen_clock.freeze(jst(2026, 12, 20, 10, 0))
    return login(make_user(Role.CITY))


def _counted_at(html: str) -> str:
    m = re.search(r'data-testid="analytics-counted-at">(.*?)</span>', html, re.S)
    assert m
    return m.group(1)


def _without_counted_at(html: str) -> str:
    return re.sub(r'data-testid="analytics-counted-at">.*?</span>', "", html, flags=re.S)


def _fake_total(session) -> None:
    """The row's total made one no live count gives here (4,321 donations, 1,234,567 yen)."""
    row = session.get(FigureSnapshot, analytics_snapshot.NAME)
    kinds = row.data["kinds"]
    row.data = {**row.data, "kinds": [[kinds[0][0], [4321, 1234567], kinds[0][2]], *kinds[1:]]}
    session.flush()


def _csv(client, key: str) -> list[list[str]]:
    body = client.get(f"/staff/analytics/{key}.csv").get_data().decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.mark.usefixtures("city", "two_years")
def test_the_page_and_its_csvs_show_the_workers_figures_while_fresh(client, session, frozen_clock):
    live = client.get("/staff/analytics").get_data(as_text=True)
    assert LIVE_TOTAL in live
    assert (
        _counted_at(live) == "2026年12月20日(日) 10:00 時点の集計です（数分ごとに集計し直します）。"
    )

    frozen_clock.freeze(jst(2026, 12, 20, 10, 3))
    analytics_snapshot.refresh(session)
    row = session.get(FigureSnapshot, analytics_snapshot.NAME)
    assert row is not None and row.today == TODAY
    _fake_total(session)  # what the worker counted is what the page shows

    frozen_clock.freeze(jst(2026, 12, 20, 10, 9))
    page = client.get("/staff/analytics").get_data(as_text=True)
    assert "4,321件 1,234,567円" in page and LIVE_TOTAL not in page
    assert "2026年12月20日(日) 10:03 時点の集計" in _counted_at(page)
    assert ["すべての寄附", "4321", "1234567", "3", "60000"] in _csv(client, "kinds")

    # the worker stopped: after MAX_AGE the page counts for itself again
    frozen_clock.freeze(jst(2026, 12, 20, 10, 3) + analytics_snapshot.MAX_AGE
                        + timedelta(seconds=1))  # fmt: skip
    stale = client.get("/staff/analytics").get_data(as_text=True)
    assert LIVE_TOTAL in stale
    assert "2026年12月20日(日) 10:13 時点の集計" in _counted_at(stale)
    assert ["すべての寄附", "6", "83000", "3", "60000"] in _csv(client, "kinds")


@pytest.mark.usefixtures("city", "two_years")
def test_the_snapshot_shows_exactly_what_the_page_counts(client, session):
    live = client.get("/staff/analytics").get_data(as_text=True)
    live_csvs = {key: _csv(client, key) for key in ("portals", "prefectures", "repeat")}
    analytics_snapshot.refresh(session)
    page = client.get("/staff/analytics").get_data(as_text=True)
    assert _without_counted_at(page) == _without_counted_at(live)
    assert {key: _csv(client, key) for key in live_csvs} == live_csvs


@pytest.mark.usefixtures("city", "two_years")
def test_the_english_page_says_when_the_worker_counted(client, session, frozen_clock):
    client.post("/lang", data={"lang": "en"})
    frozen_clock.freeze(jst(2026, 12, 20, 9, 58))
    analytics_snapshot.refresh(session)
    frozen_clock.freeze(jst(2026, 12, 20, 10, 0))
    english = client.get("/staff/analytics").get_data(as_text=True)
    assert "Kanagawa" in english and "FY2026" in english
    assert "Sun 20 Dec 2026 09:58" in _counted_at(english)


def test_the_row_holds_plain_json_that_gives_the_same_figures_back(two_years):  # noqa: F811
    data = analytics_snapshot.to_data(two_years)
    assert json.loads(json.dumps(data)) == data
    assert analytics_snapshot.from_data(json.loads(json.dumps(data))) == two_years
    assert data["today"] == "2026-12-20"


@pytest.mark.usefixtures("two_years")
def test_another_year_and_a_new_day_are_counted_live(
    client, session, frozen_clock, login, make_user
):
    frozen_clock.freeze(jst(2026, 12, 20, 23, 58))
    city = make_user(Role.CITY)
    login(city)
    analytics_snapshot.refresh(session)
    _fake_total(session)
    assert "4,321件" in client.get("/staff/analytics").get_data(as_text=True)
    html = client.get("/staff/analytics?year=2025").get_data(as_text=True)
    assert "寄附の分析（令和7年度）" in html  # not the running 年度: counted live
    assert "3件 60,000円" in html and "4,321件" not in html
    row = session.get(FigureSnapshot, analytics_snapshot.NAME)
    row.data = {**row.data, "year": 2025}  # a row of another 年度 is not this one's
    session.flush()
    assert LIVE_TOTAL in client.get("/staff/analytics").get_data(as_text=True)

    analytics_snapshot.refresh(session)
    _fake_total(session)
    frozen_clock.freeze(jst(2026, 12, 21, 0, 1))  # a new day: the row is of yesterday
    html = client.get("/staff/analytics").get_data(as_text=True)
    assert LIVE_TOTAL in html
    assert "2026年12月21日(月) 00:01 時点の集計" in _counted_at(html)
    assert "今年度は 2026年12月21日(月) までの寄附です。" in html


@pytest.mark.usefixtures("city", "two_years")
def test_a_cancelled_donation_leaves_the_figures_at_the_next_count(
    client, session, frozen_clock, make_donation
):
    gift = make_donation(amount=40000, paid_on=TODAY, applied_on=TODAY, lines=[],
                         email="z@example.jp", address="東京都港区1-1")  # fmt: skip
    session.flush()
    analytics_snapshot.refresh(session)
    before = client.get("/staff/analytics").get_data(as_text=True)
    assert "7件 123,000円" in before
    cancel_donation(session, gift, "二重申込")
    session.flush()
    frozen_clock.advance(timedelta(minutes=1))
    assert "7件 123,000円" in client.get("/staff/analytics").get_data(as_text=True)
    analytics_snapshot.refresh(session)  # the worker's next count
    after = client.get("/staff/analytics").get_data(as_text=True)
    assert LIVE_TOTAL in after and "7件" not in after
    assert "10:01 時点の集計" in _counted_at(after)


@pytest.mark.usefixtures("city", "two_years")
def test_an_erased_donor_is_no_repeat_donor_at_the_next_count(client, session, app):
    analytics_snapshot.refresh(session)
    session.commit()
    before = _csv(client, "repeat")
    assert before[1][1:] == ["4", "2", "50.0"]  # c and Yamada gave twice in 年度 2026
    # every donation of the two 年度 past its retention: those with a gift not yet delivered
    # are refused; the others lose their names, phones and e-mails (the prefecture is kept)
    outcome = erase(session, policy.before(date(2027, 6, 1), jst(2026, 12, 20, 10, 0)),
                    config=dict(app.config))  # fmt: skip
    session.commit()
    assert outcome.counts["donation"] > 0
    assert _csv(client, "repeat") == before  # the snapshot of before the erasure
    analytics_snapshot.refresh(session)
    after = _csv(client, "repeat")
    # c's and Yamada's gift-less donations are donors of their own now
    assert after[1][1:] == ["6", "0", "0.0"]
    assert ["すべての寄附", "6", "83000", "3", "60000"] in _csv(client, "kinds")


def test_the_worker_counts_every_five_minutes(app, monkeypatch):
    from datetime import datetime

    from portal.core import jobs

    monkeypatch.setitem(app.extensions, "huey", MemoryHuey("analytics-test", immediate=True))
    monkeypatch.setitem(app.extensions, "huey_tasks", {})
    huey = jobs.register_all(app)
    name = "portal.analytics.snapshot.refresh"
    (task,) = [t() for t in huey._registry._periodic_tasks if t.__name__ == name]
    assert task.validate_datetime(datetime(2026, 12, 20, 1, 5))
    assert not task.validate_datetime(datetime(2026, 12, 20, 1, 6))
    assert timedelta(minutes=10) <= analytics_snapshot.MAX_AGE  # two runs may be missed
