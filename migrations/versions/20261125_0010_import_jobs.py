"""import_jobs: import jobs with progress, gift substitution (issue 3)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 (session 2)

"""
from alembic import op
import sqlalchemy as sa


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    # The import jobs themselves use core's job_run table (progress, result); this revision
    # adds the record of gift substitutions agreed with donors.
    op.create_table(
        "line_substitution",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("donation_id", sa.Integer(), nullable=False),
        sa.Column("from_gift_id", sa.Integer(), nullable=False),
        sa.Column("to_gift_id", sa.Integer(), nullable=False),
        sa.Column(
            "held_as",
            sa.Enum("none", "stock", "window", "cancelled", name="linehold", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "consent_via",
            sa.Enum("phone", "email", "web", name="consentchannel", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("consent_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["by_user_id"], ["user_account.id"], name=op.f("fk_line_substitution_by_user_id_user_account")),
        sa.ForeignKeyConstraint(["donation_id"], ["donation.id"], name=op.f("fk_line_substitution_donation_id_donation")),
        sa.ForeignKeyConstraint(["from_gift_id"], ["gift.id"], name=op.f("fk_line_substitution_from_gift_id_gift")),
        sa.ForeignKeyConstraint(["line_id"], ["donation_line.id"], name=op.f("fk_line_substitution_line_id_donation_line")),
        sa.ForeignKeyConstraint(["to_gift_id"], ["gift.id"], name=op.f("fk_line_substitution_to_gift_id_gift")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_substitution")),
    )
    with op.batch_alter_table("line_substitution", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_line_substitution_donation_id"), ["donation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_line_substitution_line_id"), ["line_id"], unique=False)


def downgrade():
    with op.batch_alter_table("line_substitution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_line_substitution_line_id"))
        batch_op.drop_index(batch_op.f("ix_line_substitution_donation_id"))
    op.drop_table("line_substitution")
