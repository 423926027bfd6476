"""Monthly analysis of the desk [seed 6(4)イ]: what came in, how fast it was answered.

Times are desk time (hours.py business_seconds): a question sent on Friday evening and
answered Monday at 9:30 took 30 minutes, which is what the city's contract measures.
The monthly report reuses `monthly_summary` and `rows`.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.core.dates import JST
from portal.core.spreadsheet import csv_bytes, xlsx_bytes
from portal.support.hours import DeskCalendar, load_calendar
from portal.support.models import (
    CATEGORY_LABELS,
    CHANNEL_LABELS,
    STATUS_LABELS,
    Conversation,
    FaqSearchMiss,
)


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=JST)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=JST)
    return start, end


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (what a spreadsheet user can check by hand)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


@dataclass
class MonthlySummary:
    year: int
    month: int
    total: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    by_category: dict[str, int] = field(default_factory=dict)
    first_response_median_min: float | None = None
    first_response_p90_min: float | None = None
    resolution_median_min: float | None = None
    resolution_p90_min: float | None = None
    complaints: list[Conversation] = field(default_factory=list)
    top_misses: list[tuple[str, int]] = field(default_factory=list)
    satisfaction_avg: float | None = None
    satisfaction_n: int = 0


def conversations_in(session: Session, year: int, month: int) -> list[Conversation]:
    start, end = month_bounds(year, month)
    return list(
        session.scalars(
            sa.select(Conversation)
            .where(Conversation.created_at >= start, Conversation.created_at < end)
            .order_by(Conversation.created_at, Conversation.id)
        )
    )


def _minutes(cal: DeskCalendar, a: datetime | None, b: datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return cal.business_seconds(a, b) / 60


def monthly_summary(session: Session, year: int, month: int) -> MonthlySummary:
    cal = load_calendar(session)
    convs = conversations_in(session, year, month)
    s = MonthlySummary(year=year, month=month, total=len(convs))
    s.by_channel = dict(Counter(c.channel.value for c in convs))
    s.by_category = dict(Counter(c.category.value if c.category else "" for c in convs))
    fr = [m for c in convs if (m := _minutes(cal, c.created_at, c.first_response_at)) is not None]
    rs = [m for c in convs if (m := _minutes(cal, c.created_at, c.resolved_at)) is not None]
    if fr:
        s.first_response_median_min = statistics.median(fr)
        s.first_response_p90_min = percentile(fr, 90)
    if rs:
        s.resolution_median_min = statistics.median(rs)
        s.resolution_p90_min = percentile(rs, 90)
    s.complaints = [c for c in convs if c.is_complaint]
    start, end = month_bounds(year, month)
    s.top_misses = [
        (q, n)
        for q, n in session.execute(
            sa.select(FaqSearchMiss.query, sa.func.count())
            .where(FaqSearchMiss.at >= start, FaqSearchMiss.at < end)
            .group_by(FaqSearchMiss.query)
            .order_by(sa.func.count().desc(), FaqSearchMiss.query)
            .limit(10)
        )
    ]
    sat = [c.satisfaction for c in convs if c.satisfaction is not None]
    s.satisfaction_n = len(sat)
    s.satisfaction_avg = statistics.mean(sat) if sat else None
    return s


HEADER = [
    _l("番号"),
    _l("受付日時"),
    _l("受付方法"),
    _l("相手"),
    _l("事業者"),
    _l("寄附番号"),
    _l("分類"),
    _l("苦情"),
    _l("状態"),
    _l("担当者"),
    _l("初回応答(分・受付時間内)"),
    _l("解決(分・受付時間内)"),
    _l("対応結果"),
    _l("満足度"),
]


def rows(session: Session, year: int, month: int) -> list[list[Any]]:
    """One row per conversation, for CSV and xlsx."""
    cal = load_calendar(session)
    out: list[list[Any]] = []
    for c in conversations_in(session, year, month):
        fr = _minutes(cal, c.created_at, c.first_response_at)
        rs = _minutes(cal, c.created_at, c.resolved_at)
        out.append(
            [
                c.id,
                c.created_at.astimezone(JST).strftime("%Y-%m-%d %H:%M"),
                str(CHANNEL_LABELS[c.channel]),
                str(_l("事業者") if c.customer_kind.value == "supplier" else _l("寄附者")),
                c.supplier.name if c.supplier else "",
                c.donation_ref or "",
                str(CATEGORY_LABELS[c.category]) if c.category else "",
                "○" if c.is_complaint else "",
                str(STATUS_LABELS[c.status]),
                c.assignee.name if c.assignee else "",
                round(fr) if fr is not None else "",
                round(rs) if rs is not None else "",
                c.resolution,
                c.satisfaction if c.satisfaction is not None else "",
            ]
        )
    return out


def to_csv(session: Session, year: int, month: int) -> bytes:
    """UTF-8 with BOM and CRLF, so Excel on Windows opens the Japanese columns correctly."""
    return csv_bytes(HEADER, rows(session, year, month))


def to_xlsx(session: Session, year: int, month: int) -> bytes:
    """Text cells are string cells: a message typed as =HYPERLINK(...) is never a formula."""
    return xlsx_bytes([(f"{year}-{month:02d}", HEADER, rows(session, year, month))])


def parse_month(text: str | None, today: date) -> tuple[int, int]:
    try:
        y, m = (int(x) for x in (text or "").split("-"))
        if 1 <= m <= 12 and 2000 <= y <= 2100:
            return y, m
    except ValueError:
        pass
    return today.year, today.month
