"""incident, incident_note and mail_sent: the 60-minute report to the city, its follow-ups,
and mails sent at most once by a job

Revision ID: 0018
Revises: 0020
Create Date: 2026-12-01

受託者向け情報セキュリティ遵守事項 第2 / 個人情報取扱特記事項 第14: a suspected incident is
recorded in one step, the city told at once, and the 個人情報保護委員会 deadlines tracked.
(The donor look-up's second factor needs no schema: phone and フリガナ are on the donation.)
mail_sent: a job claims a mail by its key before sending, so a re-run after a crash between
sending and marking done mails nobody twice.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("noticed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data_involved", sa.Text(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("unauthorised_access", sa.Boolean(), nullable=False),
        sa.Column("reported_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("city_told_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ppc_preliminary_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ppc_final_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["reported_by_id"],
            ["user_account.id"],
            name=op.f("fk_incident_reported_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
    )
    op.create_index(op.f("ix_incident_noticed_at"), "incident", ["noticed_at"], unique=False)
    op.create_table(
        "incident_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name=op.f("fk_incident_note_author_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_incident_note_incident_id_incident")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_note")),
    )
    op.create_index(
        op.f("ix_incident_note_incident_id"), "incident_note", ["incident_id"], unique=False
    )

    op.create_table(
        "mail_sent",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_mail_sent")),
    )


def downgrade():
    op.drop_table("mail_sent")
    op.drop_index(op.f("ix_incident_note_incident_id"), table_name="incident_note")
    op.drop_table("incident_note")
    op.drop_index(op.f("ix_incident_noticed_at"), table_name="incident")
    op.drop_table("incident")
