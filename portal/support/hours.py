"""Desk hours: when the call centre / chat desk is staffed [seed 6(4)ア].

Rules, in order: a staff override for the date (DeskDay) wins; otherwise the desk is open
Mon–Fri 9:00–17:00 JST except Japan's national holidays (the `holidays` package, which follows
国民の祝日に関する法律 including 振替休日 and 国民の休日) and 29 December–3 January.
Golden Week closures beyond the national holidays are city-configured DeskDay rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import holidays
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.core import clock
from portal.core.dates import JST
from portal.core.errors import DomainError
from portal.support.models import DeskDay

OPENS = time(9, 0)
CLOSES = time(17, 0)
_SEARCH_DAYS = 60  # no real calendar closes the desk for two months


def is_year_end(d: date) -> bool:
    return (d.month == 12 and d.day >= 29) or (d.month == 1 and d.day <= 3)


@dataclass
class DeskCalendar:
    overrides: dict[date, DeskDay] = field(default_factory=dict)
    _holidays: holidays.HolidayBase = field(default_factory=lambda: holidays.Japan(language="ja"))

    def holiday_name(self, d: date) -> str | None:
        return self._holidays.get(d)

    def hours(self, d: date) -> tuple[time, time] | None:
        """The open window on a date (JST), or None when closed."""
        o = self.overrides.get(d)
        if o is not None:
            if not o.is_open:
                return None
            return (o.opens_at or OPENS, o.closes_at or CLOSES)
        if d.weekday() >= 5 or is_year_end(d) or d in self._holidays:
            return None
        return (OPENS, CLOSES)

    def window(self, d: date) -> tuple[datetime, datetime] | None:
        h = self.hours(d)
        if h is None:
            return None
        return datetime.combine(d, h[0], JST), datetime.combine(d, h[1], JST)

    def is_open(self, at: datetime) -> bool:
        at = at.astimezone(JST)
        w = self.window(at.date())
        return w is not None and w[0] <= at < w[1]

    def next_opening(self, at: datetime) -> datetime:
        """`at` itself when the desk is open, else the next instant it opens (JST)."""
        at = at.astimezone(JST)
        if self.is_open(at):
            return at
        d = at.date()
        for _ in range(_SEARCH_DAYS):
            w = self.window(d)
            if w is not None and w[0] >= at:
                return w[0]
            d += timedelta(days=1)
        raise RuntimeError("desk closed for two months: check the calendar")

    def business_seconds(self, start: datetime, end: datetime) -> int:
        """Seconds of open desk time between two instants (first-response, resolution)."""
        if end <= start:
            return 0
        start, end = start.astimezone(JST), end.astimezone(JST)
        total = 0.0
        d = start.date()
        while d <= end.date():
            w = self.window(d)
            if w is not None:
                lo, hi = max(w[0], start), min(w[1], end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            d += timedelta(days=1)
        return int(total)


def load_calendar(session: Session) -> DeskCalendar:
    """The configured calendar; overrides are few, so all are loaded in one query."""
    rows = session.scalars(sa.select(DeskDay)).all()
    return DeskCalendar(overrides={r.day: r for r in rows})


def is_open(session: Session, at: datetime | None = None) -> bool:
    return load_calendar(session).is_open(at or clock.now())


def next_opening(session: Session, at: datetime | None = None) -> datetime:
    return load_calendar(session).next_opening(at or clock.now())


def set_desk_day(
    session: Session,
    day: date,
    *,
    is_open: bool,
    opens_at: time | None = None,
    closes_at: time | None = None,
    note: str = "",
    by_user: object | None = None,
) -> DeskDay:
    """Add or change an override (close a day, open a Saturday, change a date's hours)."""
    if is_open and opens_at and closes_at and opens_at >= closes_at:
        raise DomainError(_l("終了時刻は開始時刻より後にしてください。"), field="closes_at")
    row = session.scalar(sa.select(DeskDay).where(DeskDay.day == day))
    if row is None:
        row = DeskDay(day=day)
        session.add(row)
    row.is_open = is_open
    row.opens_at = opens_at if is_open else None
    row.closes_at = closes_at if is_open else None
    row.note = note
    row.updated_by_id = getattr(by_user, "id", None)
    session.flush()
    return row


def remove_desk_day(session: Session, day_id: int) -> None:
    row = session.get(DeskDay, day_id)
    if row is not None:
        session.delete(row)
        session.flush()
