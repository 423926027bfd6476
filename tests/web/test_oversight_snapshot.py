"""The 経費率 card's income from the worker's snapshot (portal/oversight/snapshot.py): counted
every five minutes into one row, read by the card and the page while fresh (they say when it
was counted), counted live when the row is stale, of another day or missing; the costs are
always live, so a cost entered moves the card at once; the report's workbook counts live."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
from flask_babel import refresh
from huey import MemoryHuey
from openpyxl import load_workbook

from portal.donations.snapshot import FigureSnapshot
from portal.oversight import ratios
from portal.oversight import snapshot as oversight_snapshot
from tests.conftest import jst, sign_in
from tests.unit.test_oversight import INCOME, TODAY, TOTAL, year  # noqa: F401 - fixture

LIVE = "47.59%"  # 28,559 / 60,000 (tests/unit/test_oversight.py by hand)
FAKE_INCOME = {"2026-10": 20000, "2026-11": 80000}  # 100,000: no live count gives it
FAKE = "28.55%"  # 28,559 / 100,000


def _card(client) -> str:
    html = client.get("/staff/oversight/card", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    start = html.index('data-testid="oversight-card"')
    return html[start : html.index("</section>", start)]


def _fifty_now(card: str) -> str:
    m = re.search(r'data-testid="fifty-now"[^>]*>\s*<span class="stat__value">([^<]+)<', card)
    assert m
    return m.group(1)


def _counted_at(card: str) -> str:
    m = re.search(r'data-testid="oversight-counted-at">(.*?)</p>', card, re.S)
    assert m
    return m.group(1)


def _fake_income(session) -> None:
    """What the worker counted made something the live count cannot give here."""
    row = session.get(FigureSnapshot, oversight_snapshot.NAME)
    row.data = {**row.data, "monthly": FAKE_INCOME}
    session.flush()


@pytest.fixture()
def staff(client, year):  # noqa: F811
    sign_in(client, year["staff"])
    return year["staff"]


@pytest.mark.usefixtures("staff")
def test_the_card_shows_the_workers_income_while_fresh_then_counts_live(
    client, session, frozen_clock
):
    live = _card(client)  # no row yet: counted now
    assert _fifty_now(live) == LIVE
    assert "2026年12月5日(土) 10:00 時点の集計" in _counted_at(live)

    frozen_clock.freeze(jst(2026, 12, 5, 10, 2))
    oversight_snapshot.refresh(session)
    _fake_income(session)
    frozen_clock.freeze(jst(2026, 12, 5, 10, 11))
    card = _card(client)
    assert _fifty_now(card) == FAKE and 'data-testid="thirty-now"' in card
    assert "12.00%" in card  # 3割: 12,000 / 100,000
    assert "2026年12月5日(土) 10:02 時点の集計" in _counted_at(card)
    page = client.get("/staff/oversight").get_data(as_text=True)
    assert "100,000" in page and "10:02 時点の集計" in page  # the page reads the same row

    # the worker stopped: past MAX_AGE the card counts for itself
    frozen_clock.freeze(jst(2026, 12, 5, 10, 2) + oversight_snapshot.MAX_AGE
                        + timedelta(seconds=1))  # fmt: skip
    stale = _card(client)
    assert _fifty_now(stale) == LIVE
    assert "2026年12月5日(土) 10:12 時点の集計" in _counted_at(stale)


def test_a_row_of_yesterday_is_not_todays(client, session, frozen_clock, year):  # noqa: F811
    frozen_clock.freeze(jst(2026, 12, 5, 23, 58))
    sign_in(client, year["staff"])
    oversight_snapshot.refresh(session)
    _fake_income(session)
    assert _fifty_now(_card(client)) == FAKE
    frozen_clock.freeze(jst(2026, 12, 6, 0, 1))  # three minutes on, but a new day
    card = _card(client)
    assert _fifty_now(card) == LIVE
    assert "2026年12月6日(日) 00:01 時点の集計" in _counted_at(card)


@pytest.mark.usefixtures("staff")
def test_a_cost_entered_shows_on_the_card_at_once(client, session):
    oversight_snapshot.refresh(session)
    _fake_income(session)
    assert _fifty_now(_card(client)) == FAKE
    # 28,559 + 1,441 = 30,000 of the snapshot's 100,000
    answer = client.post("/staff/oversight", data={
        "month": "2026-12", "category": "admin_other", "portal": "", "amount": "1441",
        "note": "消耗品",
    })  # fmt: skip
    assert answer.status_code == 303
    card = _card(client)
    assert _fifty_now(card) == "30.00%"
    assert "10:00 時点の集計" in _counted_at(card)  # the income is still the worker's


@pytest.mark.usefixtures("year")
def test_the_job_writes_the_row_the_live_count_would_give(session):
    oversight_snapshot.refresh(session)
    row = session.get(FigureSnapshot, oversight_snapshot.NAME)
    assert row is not None and row.today == TODAY
    assert row.data == {
        "today": "2026-12-05",
        "monthly": {"2026-10": 20000, "2026-11": 40000},
        "last_elapsed": 40000,  # last 年度 to 5 Dec 2025
        "last_rest": 100000,  # and after it
        "groups": {  # the draft invoices' donations: [count, yen] per base-fee group
            "2026-10": {"gift": [1, 20000]},
            "2026-11": {"gift": [1, 30000], "no_gift": [1, 10000]},
        },
    }
    from_row = ratios.watch(session, TODAY)
    live = ratios.watch(session, TODAY, live=True)
    assert from_row.breakdown.income == live.breakdown.income == INCOME
    assert from_row.projection == live.projection
    assert from_row.breakdown.total == TOTAL
    # November's draft invoice built from the row's groups: the same operator fee
    assert from_row.breakdown.item_total("operator_fee") == live.breakdown.item_total(
        "operator_fee"
    )
    assert from_row.breakdown.monthly == live.breakdown.monthly


@pytest.mark.usefixtures("staff")
def test_a_draft_invoice_on_the_card_counts_the_snapshots_donations(client, session):
    oversight_snapshot.refresh(session)
    row = session.get(FigureSnapshot, oversight_snapshot.NAME)
    # the worker saw one more 10,000 donation without a gift in November than there is:
    # its base fee 10,000 × 5% = 500 and tax 50 on the draft (October's invoice is issued)
    row.data = {**row.data, "groups": {**row.data["groups"],
                                       "2026-11": {"gift": [1, 30000], "no_gift": [2, 20000]}}}  # fmt: skip
    session.flush()
    # (28,559 + 550) / 60,000 = 48.51%
    assert _fifty_now(_card(client)) == "48.51%"


@pytest.mark.usefixtures("staff")
def test_the_workbook_for_the_report_counts_live(client, session):
    oversight_snapshot.refresh(session)
    _fake_income(session)
    wb = load_workbook(io.BytesIO(client.get("/staff/oversight.xlsx").data))
    rows = {r[0]: r for r in wb["募集費用"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert rows["寄附受入額"][2] == INCOME


@pytest.mark.usefixtures("staff")
def test_the_english_card_says_when_the_income_was_counted(client, session, frozen_clock):
    client.post("/lang", data={"lang": "en"})
    frozen_clock.freeze(jst(2026, 12, 5, 9, 58))
    oversight_snapshot.refresh(session)
    frozen_clock.freeze(jst(2026, 12, 5, 10, 0))
    refresh()
    assert "Income as of Sat 05 Dec 2026 09:58" in _counted_at(_card(client))


def test_the_worker_counts_every_five_minutes(app, monkeypatch):
    from portal.core import jobs

    monkeypatch.setitem(app.extensions, "huey", MemoryHuey("oversight-test", immediate=True))
    monkeypatch.setitem(app.extensions, "huey_tasks", {})
    huey = jobs.register_all(app)
    name = "portal.oversight.snapshot.refresh"
    (task,) = [t() for t in huey._registry._periodic_tasks if t.__name__ == name]
    assert task.validate_datetime(datetime(2026, 12, 5, 1, 5))
    assert not task.validate_datetime(datetime(2026, 12, 5, 1, 6))
    assert timedelta(minutes=10) <= oversight_snapshot.MAX_AGE  # two runs may be missed
