"""crowdfunding_project, crowdfunding_project_listing and donation.project_id

Revision ID: 0027
Revises: 0023
Create Date: 2026-12-02

Backfill: every distinct non-empty `donation.project` wording becomes a project (準備中, no
goal yet, its period the first and last 寄附日 of its donations, code project-N) and its
donations are tied to it, so the donations that counted as crowdfunding (and were billed at
the crowdfunding rate) still do. Staff set the goal and open it. The wording stays in
`donation.project` as the portal gave it.
"""

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0023"
branch_labels = None
depends_on = None


def _key(text: str) -> str:
    # portal.crowdfunding.projects.title_key as of this revision
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).strip()).casefold()[:200]


def upgrade() -> None:
    project = op.create_table(
        "crowdfunding_project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_key", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("goal_amount", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("gift_less", sa.Boolean(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "open",
                "closed",
                "archived",
                name="projectstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "goal_amount >= 0", name=op.f("ck_crowdfunding_project_goal_not_negative")
        ),
        sa.CheckConstraint(
            "ends_on >= starts_on", name=op.f("ck_crowdfunding_project_period_ordered")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crowdfunding_project")),
        sa.UniqueConstraint("code", name=op.f("uq_crowdfunding_project_code")),
    )
    op.create_index(
        op.f("ix_crowdfunding_project_title_key"), "crowdfunding_project", ["title_key"]
    )
    op.create_table(
        "crowdfunding_project_listing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column(
            "portal",
            sa.Enum(
                "standard",
                "choice",
                "rakuten",
                "furunavi",
                "jal",
                "satofull",
                "direct",
                name="portal",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("portal_project_id", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["crowdfunding_project.id"],
            name=op.f("fk_crowdfunding_project_listing_project_id_crowdfunding_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crowdfunding_project_listing")),
        sa.UniqueConstraint(
            "project_id", "portal", name=op.f("uq_crowdfunding_project_listing_project_id_portal")
        ),
    )
    op.create_index(
        op.f("ix_crowdfunding_project_listing_project_id"),
        "crowdfunding_project_listing",
        ["project_id"],
    )
    with op.batch_alter_table("donation") as batch:
        batch.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_donation_project_id_crowdfunding_project"),
            "crowdfunding_project",
            ["project_id"],
            ["id"],
        )
        batch.create_index(op.f("ix_donation_project_id"), ["project_id"])

    bind = op.get_bind()
    donation = sa.table(
        "donation",
        sa.column("id", sa.Integer),
        sa.column("project", sa.String),
        sa.column("project_id", sa.Integer),
        sa.column("applied_on", sa.Date),
    )
    rows = bind.execute(
        sa.select(
            donation.c.project,
            sa.func.min(donation.c.applied_on),
            sa.func.max(donation.c.applied_on),
        )
        .where(donation.c.project != "")
        .group_by(donation.c.project)
        .order_by(sa.func.min(donation.c.applied_on), donation.c.project)
    ).all()
    ids: dict[str, int] = {}  # title key -> project id (wordings differing in widths share one)
    now = sa.func.current_timestamp()
    for text, first, last in rows:
        key = _key(text)
        if key not in ids:
            ids[key] = bind.execute(
                project.insert()
                .values(
                    code=f"project-{len(ids) + 1}",
                    title=unicodedata.normalize("NFKC", text).strip()[:200],
                    title_key=key,
                    purpose="",
                    goal_amount=0,
                    starts_on=first,
                    ends_on=last,
                    gift_less=False,
                    state="draft",
                    created_at=now,
                    updated_at=now,
                )
                .returning(project.c.id)
            ).scalar_one()
        else:  # widen the shared project's period
            bind.execute(
                project.update()
                .where(project.c.id == ids[key])
                .values(
                    starts_on=sa.func.min(project.c.starts_on, first)
                    if bind.dialect.name == "sqlite"
                    else sa.func.least(project.c.starts_on, first),
                    ends_on=sa.func.max(project.c.ends_on, last)
                    if bind.dialect.name == "sqlite"
                    else sa.func.greatest(project.c.ends_on, last),
                )
            )
        bind.execute(
            donation.update().where(donation.c.project == text).values(project_id=ids[key])
        )


def downgrade() -> None:
    with op.batch_alter_table("donation") as batch:
        batch.drop_index(op.f("ix_donation_project_id"))
        batch.drop_constraint(
            op.f("fk_donation_project_id_crowdfunding_project"), type_="foreignkey"
        )
        batch.drop_column("project_id")
    op.drop_index(
        op.f("ix_crowdfunding_project_listing_project_id"),
        table_name="crowdfunding_project_listing",
    )
    op.drop_table("crowdfunding_project_listing")
    op.drop_index(op.f("ix_crowdfunding_project_title_key"), table_name="crowdfunding_project")
    op.drop_table("crowdfunding_project")
