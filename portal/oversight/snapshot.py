"""The 経費率 watch's income figures, counted by the worker every five minutes.

The staff dashboard fetches the 5割/3割 card (portal/oversight/ratios.py `watch`) after every
view. Its income is a sum over every donation received in the 年度 to date, by month, and the
projection sums last 年度 to the same day and after it: at 1,000,000 donations those passes
were most of the card's ~475 ms p95 (bench/load.py), paid on every dashboard view.

So the worker counts them (`refresh`, every five minutes) into the `figure_snapshot` row
"oversight" (the staff dashboard's way: portal/donations/snapshot.py), and `ratios.watch`
reads the row when it was counted today (JST) within `MAX_AGE` (the analytics page's rule:
portal/analytics/snapshot.py); without a fresh row (no worker, a new day, a test, a past day
asked for) it counts them itself. The costs stay live (cost entries, invoices, statements,
the city's ads): staff enter them and expect the card to move at once. Only the donations a
draft invoice's base fee counts (per month and group, invoice.month_groups) come from the same
one pass: building each month's draft from its donations cost seconds per view once a
contract rate is registered (bench/oversight.py --rate). The card says when the
income was counted. The row holds yen only (no donor).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.core import clock
from portal.core.dates import fiscal_range, fiscal_year, today_jst
from portal.core.jobs import periodic
from portal.donations.models import Donation, DonationState
from portal.donations.snapshot import fresh_row, store
from portal.monthly.invoice import Groups, group_of

NAME = "oversight"
MAX_AGE = timedelta(minutes=10)  # two missed runs of the five-minute schedule


@dataclass(frozen=True)
class Income:
    """What the watch sums over donations (received, not cancelled — the invoice's rule)."""

    today: date
    monthly: dict[str, int] = field(default_factory=dict)  # "2026-10" → yen, 年度 to today
    last_elapsed: int = 0  # last 年度, its start to the same day
    last_rest: int = 0  # last 年度, the day after that to its end
    # month → the invoice's base-fee groups (portal/monthly/invoice.py `month_groups`): a
    # draft invoice's donations, so the watch builds no month's draft from the donations
    groups: dict[str, Groups] = field(default_factory=dict)
    counted_at: datetime | None = None  # when; set by `count` and by the row


def year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _received(first: date, last: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        Donation.received_on >= first,
        Donation.received_on <= last,
        Donation.state != DonationState.CANCELLED,
    )


def count(session: Session, today: date) -> Income:
    """The income figures counted now: this 年度 by month, last 年度 in two sums."""
    start = fiscal_range(fiscal_year(today))[0]
    monthly: dict[str, int] = {}
    groups: dict[str, Groups] = {}
    group = group_of()
    for day, name, n, amount in session.execute(  # one pass over this 年度
        sa.select(Donation.received_on, group, sa.func.count(), sa.func.sum(Donation.amount))
        .where(_received(start, today))
        .group_by(Donation.received_on, group)
    ):
        assert day is not None  # the received_on range leaves NULL out
        key = f"{day.year:04d}-{day.month:02d}"
        monthly[key] = monthly.get(key, 0) + int(amount)
        month = groups.setdefault(key, {})
        count_before, amount_before = month.get(name, (0, 0))
        month[name] = (count_before + int(n), amount_before + int(amount))
    ly_start, ly_today = year_before(start), year_before(today)
    ly_end = fiscal_range(fiscal_year(ly_start))[1] - timedelta(days=1)
    row = session.execute(  # one pass over last 年度, both sums (NULL when none)
        sa.select(
            sa.func.sum(Donation.amount).filter(Donation.received_on <= ly_today),
            sa.func.sum(Donation.amount).filter(Donation.received_on > ly_today),
        ).where(_received(ly_start, ly_end))
    ).one()
    return Income(
        today=today,
        monthly=monthly,
        groups=groups,
        last_elapsed=int(row[0] or 0),
        last_rest=int(row[1] or 0),
        counted_at=clock.now(),
    )


def to_data(income: Income) -> dict[str, Any]:
    return {
        "today": income.today.isoformat(),
        "monthly": dict(income.monthly),
        "last_elapsed": income.last_elapsed,
        "last_rest": income.last_rest,
        "groups": {
            month: {name: list(v) for name, v in g.items()} for month, g in income.groups.items()
        },
    }


def from_data(data: dict[str, Any], counted_at: datetime) -> Income:
    return Income(
        today=date.fromisoformat(data["today"]),
        monthly={str(k): int(v) for k, v in data["monthly"].items()},
        last_elapsed=int(data["last_elapsed"]),
        last_rest=int(data["last_rest"]),
        groups={
            str(month): {str(name): (int(v[0]), int(v[1])) for name, v in g.items()}
            for month, g in data["groups"].items()
        },
        counted_at=counted_at,
    )


@periodic(minute="*/5")
def refresh(session: Session) -> None:
    """Count the income figures now and keep them (idempotent: the row is replaced)."""
    from portal.analytics.queries import serial

    today = today_jst()
    with serial(session):  # no hurry: one database core, the others left to the pages
        data = to_data(count(session, today))
    store(session, NAME, today, data)


def fresh(session: Session, today: date) -> Income | None:
    """The worker's figures for `today` when counted today within MAX_AGE; None otherwise."""
    row = fresh_row(session, NAME, today, MAX_AGE)
    if row is None or row.data.get("today") != today.isoformat():
        return None
    return from_data(row.data, row.computed_at)


def income(session: Session, today: date, *, live: bool = False) -> Income:
    """The worker's figures while fresh (unless `live`), else counted now."""
    return (None if live else fresh(session, today)) or count(session, today)
