"""The monthly business report (業務報告書) [7(1)ア〜カ]: its figures, and its turns.

Figures are computed from the records each time the report is shown or rendered, so a draft
always shows the month as it is; submitting locks the comments, and the city inspects what
the records say. Turns: DRAFT → SUBMITTED (operator; mail to every active city user after
commit) → ACCEPTED or RETURNED (city, with a comment) → a returned report is edited and
submitted again. Every turn is a timeline event (the history the city keeps).

Donations count by 受領日 (the day the city received the money), as the invoice does, so the
report's ア and the invoice's base fee add up to the same yen.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import User
from portal.core.errors import Conflict, DomainError, PermissionDenied
from portal.core.models import utcnow
from portal.core.portals import Portal
from portal.core.roles import Role, can_inspect_monthly_report, can_prepare_monthly
from portal.core.timeline import TimelineEvent, events_for, record_event
from portal.donations.models import Donation, DonationState
from portal.gifts import consultations
from portal.gifts.proposal_models import Proposal, ProposalState
from portal.monthly import records
from portal.monthly.invoice import mailed_batches
from portal.monthly.models import (
    SECTIONS,
    MonthlyReport,
    PromotionActivity,
    ReportComment,
    ReportEvent,
    ReportState,
)
from portal.receipts.models import AddressCheck, ItemKind, OnestopReturn, OnestopState
from portal.statements.models import LineKind, Statement
from portal.statements.service import month_range, month_statements, normalise_month
from portal.support import analysis

if TYPE_CHECKING:
    from portal.support.analysis import MonthlySummary

COMMENT_MAX = 4000


# --- due dates --------------------------------------------------------------------------


def due_date(month: str) -> date:
    """The 10th of the following month; the March report by 31 March [7(1)]."""
    start, end = month_range(month)
    if start.month == 3:
        return date(start.year, 3, 31)
    return date(end.year, end.month, 10)


def report_month_due(today: date) -> str:
    """The month whose report is due next: last month's until its due date has passed,
    except that in March the March report itself is due by the 31st."""
    if today.month == 3:
        prev = f"{today.year}-02"
        return prev if today <= due_date(prev) else f"{today.year}-03"
    first = today.replace(day=1)
    last_month = first - timedelta(days=1)
    return f"{last_month.year:04d}-{last_month.month:02d}"


# --- the figures ------------------------------------------------------------------------


def fiscal_start(day: date) -> date:
    return date(day.year if day.month >= 4 else day.year - 1, 4, 1)


@dataclass
class PortalRow:
    portal: Portal
    count: int = 0
    amount: int = 0
    ytd_count: int = 0
    ytd_amount: int = 0
    last_ytd_count: int = 0
    last_ytd_amount: int = 0


@dataclass
class Figures:
    month: str
    start: date
    end: date
    # ア
    portals: list[PortalRow] = field(default_factory=list)
    days: list[tuple[date, int, int]] = field(default_factory=list)  # day, count, amount
    count: int = 0
    amount: int = 0
    ytd_count: int = 0
    ytd_amount: int = 0
    last_ytd_count: int = 0
    last_ytd_amount: int = 0
    # イ
    statements: list[Statement] = field(default_factory=list)
    shipped_units: int = 0
    gift_cost: int = 0
    gift_shipping: int = 0
    resent_units: int = 0
    not_billed: int = 0  # re-sends the supplier or the operator caused [8(1)イ]
    # ウ
    desk: MonthlySummary | None = None
    # エ
    sets_mailed: int = 0
    sets_by_kind: dict[str, int] = field(default_factory=dict)
    batches: list[Any] = field(default_factory=list)
    returned_mail: int = 0
    onestop_received: int = 0
    onestop_incomplete: int = 0
    # オ
    consultations: dict[str, Any] = field(default_factory=dict)
    proposals_new: list[Proposal] = field(default_factory=list)
    proposal_states: dict[str, int] = field(default_factory=dict)
    articles: list[Any] = field(default_factory=list)
    # カ
    promotions: list[PromotionActivity] = field(default_factory=list)
    promotion_cost: int = 0
    promotion_donations: int = 0
    promotion_amount: int = 0

    @property
    def cost_per_donation(self) -> int | None:
        return self.promotion_cost // self.promotion_donations if self.promotion_donations else None

    @property
    def amount_per_yen(self) -> float | None:
        return (
            round(self.promotion_amount / self.promotion_cost, 2) if self.promotion_cost else None
        )


def _donation_totals(session: Session, start: date, end: date) -> dict[Portal, tuple[int, int]]:
    rows = session.execute(
        sa.select(
            Donation.portal, sa.func.count(), sa.func.coalesce(sa.func.sum(Donation.amount), 0)
        )
        .where(
            Donation.received_on >= start,
            Donation.received_on < end,
            Donation.state != DonationState.CANCELLED,
        )
        .group_by(Donation.portal)
    )
    return {Portal(p): (int(c), int(a)) for p, c, a in rows}


def figures(session: Session, month: str) -> Figures:
    month = normalise_month(month)
    start, end = month_range(month)
    f = Figures(month=month, start=start, end=end)

    # ア donations: the month by portal and by day; this 年度 to date beside last year's.
    fy = fiscal_start(start)
    last_fy = date(fy.year - 1, 4, 1)
    last_end = date(end.year - 1, end.month, 1)
    this_month = _donation_totals(session, start, end)
    ytd = _donation_totals(session, fy, end)
    last_ytd = _donation_totals(session, last_fy, last_end)
    for portal in Portal:
        row = PortalRow(portal)
        row.count, row.amount = this_month.get(portal, (0, 0))
        row.ytd_count, row.ytd_amount = ytd.get(portal, (0, 0))
        row.last_ytd_count, row.last_ytd_amount = last_ytd.get(portal, (0, 0))
        if row.count or row.ytd_count or row.last_ytd_count:
            f.portals.append(row)
    f.count, f.amount = sum(r.count for r in f.portals), sum(r.amount for r in f.portals)
    f.ytd_count, f.ytd_amount = (
        sum(r.ytd_count for r in f.portals),
        sum(r.ytd_amount for r in f.portals),
    )
    f.last_ytd_count = sum(r.last_ytd_count for r in f.portals)
    f.last_ytd_amount = sum(r.last_ytd_amount for r in f.portals)
    per_day: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for received_on, amount in session.execute(
        sa.select(Donation.received_on, Donation.amount).where(
            Donation.received_on >= start,
            Donation.received_on < end,
            Donation.state != DonationState.CANCELLED,
        )
    ):
        if received_on is not None:
            per_day[received_on][0] += 1
            per_day[received_on][1] += amount
    day = start
    while day < end:
        count, amount_sum = per_day.get(day, [0, 0])
        f.days.append((day, count, amount_sum))
        day += timedelta(days=1)

    # イ shipments by supplier and gift, from the statements (billed amounts; re-sends apart).
    f.statements = month_statements(session, month)
    for st in f.statements:
        f.shipped_units += st.count_total
        for line in st.lines:
            if line.billable:
                f.gift_cost += line.cost_total
                f.gift_shipping += line.shipping_total
            else:
                f.not_billed += line.total
            if line.kind == LineKind.RESEND:
                f.resent_units += line.count

    # ウ the desk's monthly analysis.
    f.desk = analysis.monthly_summary(session, start.year, start.month)

    # エ receipts and letters mailed, returned mail, one-stop forms received.
    f.batches = mailed_batches(session, month)
    kinds = {k.value: 0 for k in ItemKind}
    for batch in f.batches:
        for item in batch.items:
            kinds[item.kind.value] += 1
    f.sets_by_kind = kinds
    f.sets_mailed = sum(kinds.values())
    f.returned_mail = (
        session.scalar(
            sa.select(sa.func.count()).where(
                AddressCheck.returned_on >= start, AddressCheck.returned_on < end
            )
        )
        or 0
    )
    f.onestop_received = (
        session.scalar(
            sa.select(sa.func.count()).where(
                OnestopReturn.received_on >= start, OnestopReturn.received_on < end
            )
        )
        or 0
    )
    f.onestop_incomplete = session.scalar(
        sa.select(sa.func.count()).where(
            OnestopReturn.received_on >= start, OnestopReturn.received_on < end,
            OnestopReturn.state == OnestopState.INCOMPLETE,
        )
    ) or 0  # fmt: skip

    # オ consultations, new-gift proposals and their states, gift articles.
    f.consultations = consultations.month_summary(session, start.year, start.month)
    f.proposals_new = list(
        session.scalars(
            sa.select(Proposal)
            .options(selectinload(Proposal.supplier))
            .where(
                Proposal.created_at >= _jst_midnight(start),
                Proposal.created_at < _jst_midnight(end),
            )
            .order_by(Proposal.id)
        )
    )
    states = {s.value: 0 for s in ProposalState}
    for state, n in session.execute(
        sa.select(Proposal.state, sa.func.count())
        .where(Proposal.created_at < _jst_midnight(end), Proposal.state != ProposalState.DRAFT)
        .group_by(Proposal.state)
    ):
        states[ProposalState(state).value] = int(n)
    f.proposal_states = states
    f.articles = records.articles_in(session, month)

    # カ promotion and what it cost per donation it brought.
    f.promotions = records.promotions_in(session, month)
    f.promotion_cost = sum(p.cost for p in f.promotions)
    f.promotion_donations = sum(p.donations_count or 0 for p in f.promotions)
    f.promotion_amount = sum(p.donations_amount or 0 for p in f.promotions)
    return f


def _jst_midnight(day: date) -> Any:
    """Midnight JST of `day`, aware (compared with the UTC created_at columns)."""
    from datetime import datetime

    from portal.core.dates import JST

    return datetime(day.year, day.month, day.day, tzinfo=JST)


def median_hours(minutes: float | None) -> str:
    return "—" if minutes is None else f"{minutes / 60:.1f}"


# --- the report and its turns -----------------------------------------------------------


def get_report(session: Session, month: str) -> MonthlyReport | None:
    return session.scalar(
        sa.select(MonthlyReport)
        .options(selectinload(MonthlyReport.comments))
        .where(MonthlyReport.month == normalise_month(month))
    )


def reports(session: Session) -> list[MonthlyReport]:
    return list(session.scalars(sa.select(MonthlyReport).order_by(MonthlyReport.month.desc())))


def open_report(session: Session, month: str, *, by_user: User | None) -> MonthlyReport:
    """The month's report, created as a draft the first time (operator staff or the CLI)."""
    month = normalise_month(month)
    report = get_report(session, month)
    if report is not None:
        return report
    if by_user is not None and not can_prepare_monthly(by_user):
        raise PermissionDenied(_l("業務報告書を作成できるのは運営事務局の職員だけです。"))
    start, _end = month_range(month)
    from portal.core.dates import today_jst

    if start > today_jst():
        raise DomainError(_l("まだ始まっていない月の報告書は作成できません。"), field="month")
    report = MonthlyReport(month=month)
    session.add(report)
    session.flush()
    record_event(session, "monthly_report", report.id, ReportEvent.CREATED, by_user=by_user)
    return report


def _editable(report: MonthlyReport, by_user: User) -> None:
    if not can_prepare_monthly(by_user):
        raise PermissionDenied(_l("業務報告書を編集できるのは運営事務局の職員だけです。"))
    if report.is_locked:
        raise Conflict(_l("提出済みの報告書は変更できません。"))


def set_comment(
    session: Session, report: MonthlyReport, section: str, body: str, *, by_user: User
) -> ReportComment:
    _editable(report, by_user)
    if section not in SECTIONS:
        raise DomainError(_l("項目が正しくありません。"), field="section")
    body = (body or "").strip()
    if len(body) > COMMENT_MAX:
        raise DomainError(_l("コメントは4000文字以内で入力してください。"), field="body")
    comment = next((c for c in report.comments if c.section == section), None)
    if comment is None:
        comment = ReportComment(section=section, body=body, updated_by_id=by_user.id)
        report.comments.append(comment)
    else:
        comment.body = body
        comment.updated_by_id = by_user.id
    session.flush()
    return comment


def submit(session: Session, report: MonthlyReport, *, by_user: User | None) -> MonthlyReport:
    if by_user is not None:
        _editable(report, by_user)
    elif report.is_locked:
        raise Conflict(_l("提出済みの報告書は変更できません。"))
    report.state = ReportState.SUBMITTED
    report.submitted_at = utcnow()
    report.submitted_by_id = by_user.id if by_user else None
    report.decided_at = None
    report.decided_by_id = None
    record_event(session, "monthly_report", report.id, ReportEvent.SUBMITTED, by_user=by_user)
    session.flush()
    return report


def _decide(report: MonthlyReport, by_user: User) -> None:
    if not can_inspect_monthly_report(by_user):
        raise PermissionDenied(_l("業務報告書の検査は市の職員が行います。"))
    if report.state != ReportState.SUBMITTED:
        raise Conflict(_l("この報告書は検査待ちではありません。"))


def accept(
    session: Session, report: MonthlyReport, *, by_user: User, comment: str = ""
) -> MonthlyReport:
    _decide(report, by_user)
    report.state = ReportState.ACCEPTED
    report.decided_at = utcnow()
    report.decided_by_id = by_user.id
    report.decision_comment = (comment or "").strip()
    record_event(
        session, "monthly_report", report.id, ReportEvent.ACCEPTED, by_user=by_user,
        comment=report.decision_comment,
    )  # fmt: skip
    session.flush()
    return report


def send_back(
    session: Session, report: MonthlyReport, *, by_user: User, comment: str
) -> MonthlyReport:
    _decide(report, by_user)
    comment = (comment or "").strip()
    if not comment:
        raise DomainError(_l("差戻しの理由を入力してください。"), field="comment")
    if len(comment) > COMMENT_MAX:
        raise DomainError(_l("コメントは4000文字以内で入力してください。"), field="comment")
    report.state = ReportState.RETURNED
    report.decided_at = utcnow()
    report.decided_by_id = by_user.id
    report.decision_comment = comment
    record_event(
        session, "monthly_report", report.id, ReportEvent.RETURNED, by_user=by_user,
        comment=comment,
    )  # fmt: skip
    session.flush()
    return report


def history(session: Session, report: MonthlyReport) -> list[tuple[TimelineEvent, User | None]]:
    events = events_for(session, "monthly_report", report.id)
    users = {
        u.id: u
        for u in session.scalars(
            sa.select(User).where(User.id.in_({e.actor_user_id for e in events if e.actor_user_id}))
        )
    }
    return [(e, users.get(e.actor_user_id) if e.actor_user_id else None) for e in events]


def city_recipients(session: Session) -> list[str]:
    return list(
        session.scalars(
            sa.select(User.email)
            .where(User.role == Role.CITY, User.active.is_(True))
            .order_by(User.id)
        )
    )


def notify_city(recipients: list[str], month: str, url: str) -> None:
    """Mail each city user that the month's report waits for inspection (after commit)."""
    from portal.core.mail import send_mail

    subject = str(_l("【業務報告書】%(month)s 分が提出されました", month=month))
    body = str(
        _l("%(month)s 分の業務報告書が提出されました。内容を確認し、検査結果（検査済・差戻し）を登録してください。\n\n%(url)s\n",
           month=month, url=url)
    )  # fmt: skip
    for to in recipients:
        send_mail(to, subject, body)
