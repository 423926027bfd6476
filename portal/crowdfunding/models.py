"""A crowdfunding project and its listing on each portal.

A donation belongs to a project through `Donation.project_id` (the portal's own wording stays
in `Donation.project`); "crowdfunding" means exactly that the id is set (Donation.is_crowdfunding).
"""

from __future__ import annotations

import enum
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.audit import by_id, register_label
from portal.core.models import TimestampMixin, enum_column
from portal.core.portals import Portal
from portal.extensions import Model


class ProjectState(enum.StrEnum):
    DRAFT = "draft"  # 準備中: not public, not offered in direct entry
    OPEN = "open"  # 公開中: public figure, direct entry offers it
    CLOSED = "closed"  # 終了: public figure stays (the final result), no new direct entries
    ARCHIVED = "archived"  # 非公開: hidden everywhere but the staff list


PUBLIC_STATES = frozenset({ProjectState.OPEN, ProjectState.CLOSED})


class CrowdfundingProject(TimestampMixin, Model):
    __tablename__ = "crowdfunding_project"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The public address /projects/<code>/progress: ASCII letters, digits and hyphens.
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    # normalised title (portal.crowdfunding.projects.title_key): how an import's wording is found
    title_key: Mapped[str] = mapped_column(sa.String(200), index=True)
    purpose: Mapped[str] = mapped_column(sa.Text, default="")  # 目的・使い道
    goal_amount: Mapped[int]  # 目標金額 (yen); 0: no goal set (a backfilled project)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    gift_less: Mapped[bool] = mapped_column(default=False)  # 返礼品なし: donations have no lines
    state: Mapped[ProjectState] = mapped_column(
        enum_column(ProjectState), default=ProjectState.DRAFT
    )

    listings: Mapped[list[CrowdfundingListing]] = relationship(
        back_populates="project",
        order_by="CrowdfundingListing.portal",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        sa.CheckConstraint("goal_amount >= 0", name="goal_not_negative"),
        sa.CheckConstraint("ends_on >= starts_on", name="period_ordered"),
    )

    @property
    def is_public(self) -> bool:
        return self.state in PUBLIC_STATES

    def __repr__(self) -> str:
        return f"<CrowdfundingProject {self.code}>"


class CrowdfundingListing(Model):
    """The project as one portal lists it: the portal's project ID (what its export may carry
    instead of the title) and the page's address."""

    __tablename__ = "crowdfunding_project_listing"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("crowdfunding_project.id", ondelete="CASCADE"), index=True
    )
    portal: Mapped[Portal] = mapped_column(enum_column(Portal))
    portal_project_id: Mapped[str] = mapped_column(sa.String(64), default="")
    url: Mapped[str] = mapped_column(sa.String(500), default="")

    project: Mapped[CrowdfundingProject] = relationship(back_populates="listings")

    __table_args__ = (sa.UniqueConstraint("project_id", "portal"),)


register_label(
    "crowdfunding_project",
    by_id(CrowdfundingProject, "クラウドファンディング", lambda p: p.code),
)
