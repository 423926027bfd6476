"""The analytics page's figures of the running 年度, counted by the worker every few minutes.

At 1,000,000 donations one computation of the page's figures (portal.analytics.queries, four
grouped queries over two 年度) takes seconds; the per-process cache (portal.analytics.cache)
makes every web process pay it once per few minutes, blocking that process while it does. So
the worker computes the running 年度 (`refresh`, every five minutes) into the
`figure_snapshot` row "analytics" (the staff dashboard's way: portal/donations/snapshot.py),
and the page and its CSVs read the row when it was counted today (JST) within `MAX_AGE`; the
page says when. Without a fresh row (no worker, a new day, a test, another 年度) the page
computes the figures itself, through the cache, as before. The row holds counts and yen only
(no donor), as the page does.

The row's data is `to_data(Analytics)`: plain JSON (dates as ISO strings, cells as
[count, yen]); `from_data` gives back the same frozen values (a test proves the round trip).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from portal.analytics.queries import (
    Analytics,
    Cell,
    DayRow,
    GiftRow,
    KindRow,
    MonthRow,
    PortalRow,
    PrefectureRow,
    Repeat,
    analytics,
    serial,
)
from portal.core.dates import fiscal_year, today_jst
from portal.core.jobs import periodic
from portal.core.portals import Portal
from portal.donations.snapshot import fresh_row, store

NAME = "analytics"
MAX_AGE = timedelta(minutes=10)  # two missed runs of the five-minute schedule


def _cell(c: Cell) -> list[int]:
    return [c.count, c.amount]


def _uncell(v: list[int]) -> Cell:
    return Cell(int(v[0]), int(v[1]))


def to_data(a: Analytics) -> dict[str, Any]:
    """The figures as JSON values."""
    return {
        "year": a.year,
        "today": a.today.isoformat(),
        "portals": [
            [p.portal.value, [_cell(c) for c in p.months], _cell(p.total), _cell(p.last_total)]
            for p in a.portals
        ],
        "months": [
            [
                m.year,
                m.month,
                _cell(m.this),
                _cell(m.last),
                None if m.this_cumulative is None else _cell(m.this_cumulative),
                _cell(m.last_cumulative),
            ]
            for m in a.months
        ],
        "december": [
            [
                d.day,
                _cell(d.this),
                _cell(d.last),
                _cell(d.this_cumulative),
                _cell(d.last_cumulative),
            ]
            for d in a.december
        ],
        "top_by_amount": [asdict(g) for g in a.top_by_amount],
        "top_by_count": [asdict(g) for g in a.top_by_count],
        "prefectures": [[p.prefecture, _cell(p.this), _cell(p.last)] for p in a.prefectures],
        "repeat": asdict(a.repeat),
        "kinds": [[k.kind, _cell(k.this), _cell(k.last)] for k in a.kinds],
    }


def from_data(data: dict[str, Any]) -> Analytics:
    """The frozen values `to_data` was given."""
    return Analytics(
        year=int(data["year"]),
        today=date.fromisoformat(data["today"]),
        portals=tuple(
            PortalRow(Portal(p), tuple(_uncell(c) for c in months), _uncell(t), _uncell(lt))
            for p, months, t, lt in data["portals"]
        ),
        months=tuple(
            MonthRow(
                int(y),
                int(m),
                _uncell(this),
                _uncell(last),
                None if cum is None else _uncell(cum),
                _uncell(last_cum),
            )
            for y, m, this, last, cum, last_cum in data["months"]
        ),
        december=tuple(
            DayRow(int(d), _uncell(this), _uncell(last), _uncell(cum), _uncell(last_cum))
            for d, this, last, cum, last_cum in data["december"]
        ),
        top_by_amount=tuple(GiftRow(**g) for g in data["top_by_amount"]),
        top_by_count=tuple(GiftRow(**g) for g in data["top_by_count"]),
        prefectures=tuple(
            PrefectureRow(str(name), _uncell(this), _uncell(last))
            for name, this, last in data["prefectures"]
        ),
        repeat=Repeat(**{k: int(v) for k, v in data["repeat"].items()}),
        kinds=tuple(
            KindRow(str(kind), _uncell(this), _uncell(last)) for kind, this, last in data["kinds"]
        ),
    )


@periodic(minute="*/5")
def refresh(session: Session) -> None:
    """Count the running 年度's figures now and keep them (idempotent: the row is replaced)."""
    today = today_jst()
    with serial(session):  # no hurry: one database core, the others left to the pages
        data = to_data(analytics(session, fiscal_year(today), today))
    store(session, NAME, today, data)


def fresh(session: Session, year: int, today: date) -> tuple[Analytics, datetime] | None:
    """The worker's figures of `year` and when they were counted, when counted today within
    MAX_AGE; None otherwise (the caller computes them)."""
    row = fresh_row(session, NAME, today, MAX_AGE)
    if row is None or row.data.get("year") != year:
        return None
    return from_data(row.data), row.computed_at
