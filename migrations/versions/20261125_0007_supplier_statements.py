"""supplier_statements: monthly statements (supplier portal, issue 4)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 (session 2)

"""
from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


PROBLEM_KINDS = ("delay", "damage", "redelivery", "returned", "out_of_stock")
STATEMENT_STATES = ("open", "disputed", "confirmed")


def upgrade():
    op.create_table(
        "delivery_problem",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum(*PROBLEM_KINDS, name="problemkind", native_enum=False, length=32), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reported_by_id", sa.Integer(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["gift_order.id"], name=op.f("fk_delivery_problem_order_id_gift_order")),
        sa.ForeignKeyConstraint(["reported_by_id"], ["user_account.id"], name=op.f("fk_delivery_problem_reported_by_id_user_account")),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["user_account.id"], name=op.f("fk_delivery_problem_resolved_by_id_user_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_problem")),
    )
    with op.batch_alter_table("delivery_problem", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_problem_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_problem_resolved_at"), ["resolved_at"], unique=False)
    op.create_table(
        "supplier_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("state", sa.Enum(*STATEMENT_STATES, name="statementstate", native_enum=False, length=32), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["confirmed_by_id"], ["user_account.id"], name=op.f("fk_supplier_statement_confirmed_by_id_user_account")),
        sa.ForeignKeyConstraint(["supplier_id"], ["supplier.id"], name=op.f("fk_supplier_statement_supplier_id_supplier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_statement")),
        sa.UniqueConstraint("supplier_id", "month", name=op.f("uq_supplier_statement_supplier_id_month")),
    )
    with op.batch_alter_table("supplier_statement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supplier_statement_month"), ["month"], unique=False)
        batch_op.create_index(batch_op.f("ix_supplier_statement_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_supplier_statement_supplier_id"), ["supplier_id"], unique=False)
    op.create_table(
        "supplier_statement_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.Integer(), nullable=False),
        sa.Column("gift_id", sa.Integer(), nullable=False),
        sa.Column("gift_code", sa.String(length=30), nullable=False),
        sa.Column("gift_name", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("unit_cost", sa.Integer(), nullable=False),
        sa.Column("unit_shipping", sa.Integer(), nullable=False),
        sa.Column("disputed", sa.Boolean(), nullable=False),
        sa.Column("dispute_comment", sa.Text(), nullable=False),
        sa.Column("disputed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("correction_note", sa.Text(), nullable=False),
        sa.Column("corrected_by_id", sa.Integer(), nullable=True),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("count >= 0", name=op.f("ck_supplier_statement_line_count_not_negative")),
        sa.CheckConstraint("unit_cost >= 0", name=op.f("ck_supplier_statement_line_unit_cost_not_negative")),
        sa.CheckConstraint("unit_shipping >= 0", name=op.f("ck_supplier_statement_line_unit_shipping_not_negative")),
        sa.ForeignKeyConstraint(["corrected_by_id"], ["user_account.id"], name=op.f("fk_supplier_statement_line_corrected_by_id_user_account")),
        sa.ForeignKeyConstraint(["gift_id"], ["gift.id"], name=op.f("fk_supplier_statement_line_gift_id_gift")),
        sa.ForeignKeyConstraint(["statement_id"], ["supplier_statement.id"], name=op.f("fk_supplier_statement_line_statement_id_supplier_statement"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_statement_line")),
        sa.UniqueConstraint("statement_id", "gift_id", name=op.f("uq_supplier_statement_line_statement_id_gift_id")),
    )
    with op.batch_alter_table("supplier_statement_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supplier_statement_line_statement_id"), ["statement_id"], unique=False)


def downgrade():
    op.drop_table("supplier_statement_line")
    op.drop_table("supplier_statement")
    op.drop_table("delivery_problem")
