"""The staff dashboard's whole-year figures, computed by the worker once a minute.

Two things on the staff home page read every donation there is: the year's totals
(`donation_figures`, one pass over the year) and the receipts still to issue (paid donations
that want one and have none: an anti-join over every paid donation, since an old one missing
its receipt is exactly what the red figure is for). At 1,000,000 donations those two took
about 4.5 s of the page's 4.6 s of SQL (bench/load.py), on every view.

So the worker computes them (`refresh`, scheduled every minute) into one `figure_snapshot`
row, and the page reads the row when it was computed today (JST) within `MAX_AGE`; without a
fresh row (no worker running, a new day, a test) the page computes them itself as before. The
page says when the figures it shows were counted. Every other count on the page stays live
(they are cheap: indexed, a few hundred rows).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.core import clock
from portal.core.dates import today_jst
from portal.core.jobs import periodic
from portal.extensions import Model

NAME = "staff-dashboard"
MAX_AGE = timedelta(minutes=3)


class FigureSnapshot(Model):
    __tablename__ = "figure_snapshot"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    today: Mapped[date]  # the JST day the figures were counted for (the year, the cut-offs)
    computed_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


def receipt_counts(session: Session, today: date) -> dict[str, int]:
    """Receipts to issue and, of those, past their 14 days: one pass (not one per figure)."""
    from portal.donations.models import Donation
    from portal.receipts import service as receipts

    cutoff = today - timedelta(days=receipts.DUE_DAYS)
    pending = (
        receipts.unissued_stmt().with_only_columns(Donation.received_on).order_by(None).subquery()
    )
    row = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count().filter(pending.c.received_on < cutoff),
        ).select_from(pending)
    ).one()
    return {"receipts_unissued": int(row[0] or 0), "receipts_overdue": int(row[1] or 0)}


def compute(session: Session, today: date) -> dict[str, Any]:
    from portal.donations import queries

    figures = queries.donation_figures(session, today.year)
    return {
        "counts": receipt_counts(session, today),
        "figures": {k: v for k, v in asdict(figures).items() if k != "year"},
    }


@periodic(minute="*")
def refresh(session: Session) -> None:
    """Count the figures now and keep them (idempotent: the row is replaced)."""
    today = today_jst()
    store(session, NAME, today, compute(session, today))


def store(session: Session, name: str, today: date, data: dict[str, Any]) -> None:
    """Keep a job's figures as the row `name`, counted now for `today` (the row is replaced):
    the dashboard's, the analytics page's and the 経費率 card's."""
    row = session.get(FigureSnapshot, name)
    if row is None:
        row = FigureSnapshot(name=name)
        session.add(row)
    row.today, row.computed_at, row.data = today, clock.now(), data
    session.flush()


def fresh_row(
    session: Session, name: str, today: date, max_age: timedelta
) -> FigureSnapshot | None:
    """The row `name` when counted today (JST) within `max_age`; None otherwise."""
    row = session.get(FigureSnapshot, name)
    if row is None or row.today != today or clock.now() - row.computed_at > max_age:
        return None
    return row


def fresh(session: Session, today: date) -> FigureSnapshot | None:
    """The worker's figures when counted today within MAX_AGE; None otherwise."""
    return fresh_row(session, NAME, today, MAX_AGE)
