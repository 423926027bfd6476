"""Staff home: the page an operator opens every morning.

Every figure is a count that links to the list it counts; red (stat--warn) is kept for what
is late (receipts past their 14 days, orders past their ship-by date), amber for work
waiting. All counts come from one SELECT of scalar subqueries, each on an indexed column
(donation_line.hold, gift_order.status, donor_request.status, delivery_problem.resolved_at,
statement.state, receipt.needs_print …), so the page costs one round trip whatever the
season. The two figures that read every donation (the year's totals, the receipts still to
issue) come from the worker's minute snapshot (portal/donations/snapshot.py) when it is fresh,
else from one pass each; the nav's unread badge reuses the count above. At 1,000,000
donations (bench/load.py) the page's SQL went from 4.5 s to a few ms. City staff get the same figures on their own dashboard, read-only (the lists behind
the links refuse them every action).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import Session

from portal.accounts.models import Supplier, User
from portal.core.dates import today_jst
from portal.core.jobs import JobRun
from portal.core.portals import portals_granting_points
from portal.core.roles import Role
from portal.donations import import_jobs, lifecycle
from portal.donations import queries as donation_queries
from portal.donations import snapshot as figure_snapshot
from portal.donations.models import DonationLine
from portal.donors.models import DonorRequest, RequestStatus
from portal.extensions import db
from portal.gifts.models import Gift, GiftStatus
from portal.monthly import report as monthly_report
from portal.monthly.labels import REPORT_STATES
from portal.monthly.models import ReportState
from portal.receipts import service as receipts
from portal.receipts.models import Receipt
from portal.shipping.models import Order, OrderStatus
from portal.shipping.problems import DeliveryProblem
from portal.statements.models import Statement, StatementState
from portal.support.models import Conversation
from portal.web.labels import PORTAL_LABELS
from portal.web.staff.labels import JOB_STATE_LABELS, import_counts

RECENT_IMPORTS = 5


def _count(stmt: sa.Select[Any]) -> sa.ScalarSelect[Any]:
    return sa.select(sa.func.count()).select_from(stmt.subquery()).scalar_subquery()


def operations_counts(
    session: Session, today: date, snapshot: dict[str, int] | None = None
) -> dict[str, int]:
    """What waits for the operator today, in one query. The receipt counts (the only ones
    that read every paid donation) come from the worker's `snapshot` when given, else from
    one pass of their own."""
    subqueries = {
        "held_lines": _count(lifecycle.held_stmt().with_only_columns(DonationLine.id)),
        "receipts_reprint": _count(
            receipts.reprint_stmt().with_only_columns(Receipt.id).order_by(None)
        ),
        "requests_open": _count(
            sa.select(DonorRequest.id).where(DonorRequest.status == RequestStatus.OPEN)
        ),
        "problems_open": _count(
            sa.select(DeliveryProblem.id).where(DeliveryProblem.resolved_at.is_(None))
        ),
        "orders_overdue": _count(
            sa.select(Order.id).where(Order.status == OrderStatus.ORDERED, Order.ship_by < today)
        ),
        "statements_disputed": _count(
            sa.select(Statement.id).where(Statement.state == StatementState.DISPUTED)
        ),
        "support_unread": _count(
            sa.select(Conversation.id).where(
                Conversation.last_customer_message_id > Conversation.staff_read_upto
            )
        ),
        "suppliers": _count(sa.select(Supplier.id)),
        "gifts_listed": _count(sa.select(Gift.id).where(Gift.status == GiftStatus.LISTED)),
        "gifts_over_limit": _count(sa.select(Gift.id).where(Gift.exceeds_return_limit)),
    }
    row = session.execute(sa.select(*(sq.label(name) for name, sq in subqueries.items()))).one()
    counts = {name: int(value or 0) for name, value in row._mapping.items()}
    counts.update(
        snapshot if snapshot is not None else figure_snapshot.receipt_counts(session, today)
    )
    counts["receipts_due"] = (
        counts["receipts_unissued"] - counts["receipts_overdue"] + counts["receipts_reprint"]
    )
    return counts


def recent_imports(session: Session, limit: int = RECENT_IMPORTS) -> list[tuple[JobRun, str]]:
    """The last import jobs (preview and apply) with who started them."""
    rows = session.execute(
        sa.select(JobRun, User.name)
        .outerjoin(User, User.id == JobRun.created_by_id)
        .where(JobRun.kind == import_jobs.KIND)
        .order_by(JobRun.id.desc())
        .limit(limit)
    ).all()
    return [(run, name or "") for run, name in rows]


def monthly_status(session: Session, today: date) -> dict[str, Any]:
    """The report due next (its due date, its state) and the latest report's state."""
    month = monthly_report.report_month_due(today)
    due = monthly_report.get_report(session, month)
    latest = monthly_report.reports(session)[:1]
    last = latest[0] if latest and latest[0].month != month else None
    due_on = monthly_report.due_date(month)
    accepted = due is not None and due.state == ReportState.ACCEPTED
    return {
        "month": month,
        "due_on": due_on,
        "state_label": REPORT_STATES[due.state] if due else _("未作成"),
        "late": today > due_on and not (due and due.is_locked),
        "accepted": accepted,
        "last": last,
        "last_label": REPORT_STATES[last.state] if last else "",
    }


def index() -> str:
    today = today_jst()
    snap = figure_snapshot.fresh(db.session, today)
    if snap is not None:
        counts = operations_counts(db.session, today, snap.data["counts"])
        figures = donation_queries.DonationFigures(
            year=today.year,
            **{k: donation_queries.Figure(**v) for k, v in snap.data["figures"].items()},
        )
    else:
        counts = operations_counts(db.session, today)
        figures = donation_queries.donation_figures(db.session, today.year)
    template = "staff/city_dashboard.html" if current_user.role == Role.CITY else "staff/index.html"
    return render_template(
        template,
        counts=counts,
        figures=figures,
        counted_at=snap.computed_at if snap is not None else None,
        # The nav's unread badge is the figure counted above, not a second SELECT.
        support_unread_count=lambda: counts["support_unread"],
        today=today,
        imports=recent_imports(db.session),
        job_states=JOB_STATE_LABELS,
        portals=PORTAL_LABELS,
        import_counts=import_counts,
        monthly=monthly_status(db.session, today),
        points_portals=portals_granting_points(current_app.config["PORTALS_GRANTING_POINTS"]),
        portal_names=PORTAL_LABELS,
    )
