"""Crowdfunding projects: keeping them, finding the project a donation names, its progress.

- A project is found from what a file or a form gives: on a portal, the portal's project ID
  of its listing first, then the title normalised (`title_key`: NFKC, no spaces, case folded)
  against every project's title. An import row naming a project none of these finds is
  rejected with a reason (portal.donations.importers.engine), like an unknown gift ID.
- Progress counts every donation tied to the project that is not cancelled (received or paid:
  what donors have pledged); the paid part is shown beside it on the staff page.
- Days left count from the city's calendar day (JST): 0 on the last day and after it.
- The public figure (`public_figure`) carries amounts, counts, the goal and the period only:
  never a donor's name, prefecture, message or donation number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.core.audit import audit
from portal.core.clock import today_jst
from portal.core.errors import DomainError
from portal.core.portals import Portal
from portal.crowdfunding.models import (
    PUBLIC_STATES,
    CrowdfundingListing,
    CrowdfundingProject,
    ProjectState,
)
from portal.donations import normalise as norm
from portal.donations.models import Donation, DonationState

if TYPE_CHECKING:
    from portal.accounts.models import User

CODE_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?")
_SPACES = re.compile(r"\s+")


def title_key(text: str) -> str:
    """How a project's wording is compared: NFKC, spaces removed, case folded."""
    return _SPACES.sub("", norm.nfkc(text)).casefold()[:200]


@dataclass
class ProjectInput:
    code: str
    title: str
    purpose: str
    goal_amount: int
    starts_on: date
    ends_on: date
    gift_less: bool = False
    state: ProjectState = ProjectState.DRAFT


def _check(session: Session, data: ProjectInput, project: CrowdfundingProject | None) -> str:
    code = norm.nfkc(data.code).lower()
    if not CODE_RE.fullmatch(code):
        raise DomainError(
            _l("公開用コードは半角英小文字・数字・ハイフン（40文字まで）で入力してください。"),
            field="code",
        )
    taken = session.scalar(
        sa.select(CrowdfundingProject.id).where(
            CrowdfundingProject.code == code,
            CrowdfundingProject.id != (project.id if project else -1),
        )
    )
    if taken is not None:
        raise DomainError(_l("この公開用コードは別のプロジェクトが使っています。"), field="code")
    if not norm.nfkc(data.title):
        raise DomainError(_l("プロジェクト名を入力してください。"), field="title")
    key = title_key(data.title)
    same = session.scalar(
        sa.select(CrowdfundingProject.id).where(
            CrowdfundingProject.title_key == key,
            CrowdfundingProject.id != (project.id if project else -1),
        )
    )
    if same is not None:
        raise DomainError(_l("同じ名前のプロジェクトがすでにあります。"), field="title")
    if data.goal_amount <= 0:
        raise DomainError(_l("目標金額は1円以上です。"), field="goal_amount")
    if data.ends_on < data.starts_on:
        raise DomainError(_l("終了日は開始日より後にしてください。"), field="ends_on")
    return code


def save_project(
    session: Session,
    data: ProjectInput,
    *,
    by_user: User,
    project: CrowdfundingProject | None = None,
) -> CrowdfundingProject:
    """Create a project (project=None) or change one."""
    code = _check(session, data, project)
    if project is None:
        project = CrowdfundingProject()
        session.add(project)
        action = "create"
    else:
        action = "update"
    project.code = code
    project.title = norm.nfkc(data.title)[:200]
    project.title_key = title_key(data.title)
    project.purpose = data.purpose.strip()
    project.goal_amount = data.goal_amount
    project.starts_on = data.starts_on
    project.ends_on = data.ends_on
    project.gift_less = data.gift_less
    project.state = data.state
    session.flush()
    audit(
        session,
        actor=by_user,
        action=action,
        subject_type="crowdfunding_project",
        subject_id=project.id,
    )
    return project


def save_listings(
    session: Session,
    project: CrowdfundingProject,
    listings: dict[Portal, tuple[str, str]],
    *,
    by_user: User,
) -> None:
    """The project's portal ID and page address per portal; both empty removes the listing.
    A portal ID names one project on its portal."""
    current = {li.portal: li for li in project.listings}
    for portal, (raw_id, raw_url) in listings.items():
        portal_id = norm.nfkc(raw_id)[:64]
        url = raw_url.strip()[:500]
        if url and not url.startswith(("https://", "http://")):
            raise DomainError(
                _l("掲載ページのURLは https:// で始めてください。"), field=f"url_{portal.value}"
            )
        if portal_id:
            other = session.scalar(
                sa.select(CrowdfundingProject.title)
                .join(CrowdfundingListing)
                .where(
                    CrowdfundingListing.portal == portal,
                    CrowdfundingListing.portal_project_id == portal_id,
                    CrowdfundingListing.project_id != project.id,
                )
            )
            if other is not None:
                raise DomainError(
                    _l(
                        "このプロジェクトIDは「%(title)s」が使っています。",
                        title=other,
                    ),
                    field=f"id_{portal.value}",
                )
        listing = current.get(portal)
        if not portal_id and not url:
            if listing is not None:
                project.listings.remove(listing)
            continue
        if listing is None:
            listing = CrowdfundingListing(portal=portal)
            project.listings.append(listing)
        listing.portal_project_id = portal_id
        listing.url = url
    session.flush()
    audit(
        session,
        actor=by_user,
        action="update",
        subject_type="crowdfunding_project",
        subject_id=project.id,
        detail="listings",
    )


# --- finding the project a donation names ---------------------------------------------------


@dataclass(frozen=True)
class ProjectRef:
    id: int
    title: str
    gift_less: bool


class ProjectResolver:
    """Every project, loaded once per import: the portal ID of a listing, then the title."""

    def __init__(self, session: Session, portal: str) -> None:
        projects = {
            p.id: ProjectRef(p.id, p.title, p.gift_less)
            for p in session.scalars(sa.select(CrowdfundingProject))
        }
        self.by_title = {
            key: projects[pid]
            for pid, key in session.execute(
                sa.select(CrowdfundingProject.id, CrowdfundingProject.title_key)
            )
        }
        self.by_portal_id = {
            portal_id: projects[pid]
            for pid, portal_id in session.execute(
                sa.select(CrowdfundingListing.project_id, CrowdfundingListing.portal_project_id)
                .where(CrowdfundingListing.portal == portal)
                .where(CrowdfundingListing.portal_project_id != "")
            )
        }

    def resolve(self, raw: str) -> ProjectRef | None:
        text = norm.nfkc(raw)
        if not text:
            return None
        return self.by_portal_id.get(text) or self.by_title.get(title_key(text))


def gift_less_error() -> DomainError:
    return DomainError(
        _l("返礼品なしのプロジェクトへの寄附には返礼品を付けられません。"), field="gift_code"
    )


def open_projects(session: Session) -> list[CrowdfundingProject]:
    """What direct entry offers: the projects open now."""
    return list(
        session.scalars(
            sa.select(CrowdfundingProject)
            .where(CrowdfundingProject.state == ProjectState.OPEN)
            .order_by(CrowdfundingProject.starts_on.desc(), CrowdfundingProject.id)
        )
    )


def public_project(session: Session, code: str) -> CrowdfundingProject | None:
    """The project behind a public address; None unless it is open or closed (published)."""
    return session.scalar(
        sa.select(CrowdfundingProject).where(
            CrowdfundingProject.code == code.lower(),
            CrowdfundingProject.state.in_(PUBLIC_STATES),
        )
    )


# --- progress -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    day: date
    count: int
    amount: int
    total: int  # cumulative amount to the end of this day


@dataclass(frozen=True)
class Progress:
    amount: int  # yen, not cancelled
    count: int
    paid_amount: int
    goal: int
    percent: int | None  # of the goal, rounded down; None: no goal
    days_left: int
    phase: str  # "upcoming", "running", "ended"
    starts_on: date
    ends_on: date
    days: tuple[Day, ...]  # every day of the curve, with the days that had none


def _live(project_id: int) -> sa.ColumnElement[bool]:
    return sa.and_(Donation.project_id == project_id, Donation.state != DonationState.CANCELLED)


def progress(session: Session, project: CrowdfundingProject) -> Progress:
    """The project's figures: two queries (the totals, the days)."""
    count, amount, paid = session.execute(
        sa.select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(Donation.amount), 0),
            sa.func.coalesce(
                sa.func.sum(
                    sa.case((Donation.state == DonationState.PAID, Donation.amount), else_=0)
                ),
                0,
            ),
        ).where(_live(project.id))
    ).one()
    per_day = {
        d: (int(n), int(yen))
        for d, n, yen in session.execute(
            sa.select(Donation.applied_on, sa.func.count(), sa.func.sum(Donation.amount))
            .where(_live(project.id))
            .group_by(Donation.applied_on)
        )
    }
    today = today_jst()
    if today < project.starts_on:
        phase = "upcoming"
    elif today > project.ends_on:
        phase = "ended"
    else:
        phase = "running"
    first = min([project.starts_on, *per_day])
    last = max([min(project.ends_on, max(today, project.starts_on)), *per_day])
    days: list[Day] = []
    total = 0
    day = first
    while day <= last:
        n, yen = per_day.get(day, (0, 0))
        total += yen
        days.append(Day(day, n, yen, total))
        day += timedelta(days=1)
    goal = project.goal_amount
    return Progress(
        amount=int(amount),
        count=int(count),
        paid_amount=int(paid),
        goal=goal,
        percent=int(amount) * 100 // goal if goal > 0 else None,
        days_left=max(0, (project.ends_on - today).days),
        phase=phase,
        starts_on=project.starts_on,
        ends_on=project.ends_on,
        days=tuple(days),
    )


# Exactly what the public JSON carries (a test compares the keys).
PUBLIC_KEYS = (
    "code",
    "title",
    "goal_amount",
    "amount",
    "count",
    "percent",
    "days_left",
    "phase",
    "starts_on",
    "ends_on",
)


def public_figure(project: CrowdfundingProject, figures: Progress) -> dict[str, Any]:
    """The embeddable figure: totals and the period, no personal data."""
    return {
        "code": project.code,
        "title": project.title,
        "goal_amount": figures.goal,
        "amount": figures.amount,
        "count": figures.count,
        "percent": figures.percent,
        "days_left": figures.days_left,
        "phase": figures.phase,
        "starts_on": figures.starts_on.isoformat(),
        "ends_on": figures.ends_on.isoformat(),
    }


def project_list(session: Session) -> list[tuple[CrowdfundingProject, int, int]]:
    """Every project with its amount and count (one query), newest first."""
    amount = sa.func.coalesce(sa.func.sum(Donation.amount), 0)
    rows = session.execute(
        sa.select(CrowdfundingProject, sa.func.count(Donation.id), amount)
        .outerjoin(
            Donation,
            sa.and_(
                Donation.project_id == CrowdfundingProject.id,
                Donation.state != DonationState.CANCELLED,
            ),
        )
        .group_by(CrowdfundingProject.id)
        .order_by(CrowdfundingProject.starts_on.desc(), CrowdfundingProject.id.desc())
    ).all()
    return [(p, int(n), int(yen)) for p, n, yen in rows]
