"""payments: per-shipment 送料, re-sends with a cause, statement line kinds and flags, the
suppliers' 全銀 codes and who pays the carrier, payment runs and their lines

Revision ID: 0019
Revises: 0012
Create Date: 2026-12-01

Existing shipments get the gift's 送料 × units (what the statements charged until now);
existing statement lines become SHIPMENT lines with their amounts computed as before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "payment_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column(
            "state",
            sa.Enum("draft", "paid", name="runstate", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("transfer_on", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_payment_run_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["paid_by_id"], ["user_account.id"], name=op.f("fk_payment_run_paid_by_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_run")),
        sa.UniqueConstraint("month", name=op.f("uq_payment_run_month")),
    )
    op.create_table(
        "payment_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column(
            "payee_kind",
            sa.Enum("supplier", "carrier", name="payeekind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("payee_code", sa.String(length=32), nullable=False),
        sa.Column("payee_name", sa.String(length=200), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=True),
        sa.Column("statement_id", sa.Integer(), nullable=True),
        sa.Column("carrier", sa.String(length=32), nullable=False),
        sa.Column("cost_amount", sa.Integer(), nullable=False),
        sa.Column("shipping_amount", sa.Integer(), nullable=False),
        sa.Column("deduction_amount", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("bank_code", sa.String(length=4), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=False),
        sa.Column("branch_code", sa.String(length=3), nullable=False),
        sa.Column("branch_name", sa.String(length=100), nullable=False),
        sa.Column("account_type", sa.String(length=10), nullable=False),
        sa.Column("account_number", sa.String(length=10), nullable=False),
        sa.Column("account_holder_kana", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["payment_run.id"],
            name=op.f("fk_payment_line_run_id_payment_run"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["supplier_statement.id"],
            name=op.f("fk_payment_line_statement_id_supplier_statement"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["supplier.id"], name=op.f("fk_payment_line_supplier_id_supplier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_line")),
        sa.UniqueConstraint(
            "run_id",
            "payee_kind",
            "payee_code",
            name=op.f("uq_payment_line_run_id_payee_kind_payee_code"),
        ),
    )
    with op.batch_alter_table("payment_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_line_run_id"), ["run_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_payment_line_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "resend_shipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=True),
        sa.Column(
            "cause",
            sa.Enum(
                "supplier",
                "operator",
                "carrier",
                "donor",
                "disaster",
                name="resendcause",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "carrier",
            sa.Enum(
                "yamato",
                "sagawa",
                "japanpost",
                "other",
                name="carrier",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("tracking_no", sa.String(length=40), nullable=False),
        sa.Column("shipped_on", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("shipping_fee", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_resend_shipment_quantity_positive")),
        sa.CheckConstraint(
            "shipping_fee >= 0", name=op.f("ck_resend_shipment_shipping_fee_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["gift_order.id"], name=op.f("fk_resend_shipment_order_id_gift_order")
        ),
        sa.ForeignKeyConstraint(
            ["problem_id"],
            ["delivery_problem.id"],
            name=op.f("fk_resend_shipment_problem_id_delivery_problem"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_resend_shipment_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resend_shipment")),
    )
    with op.batch_alter_table("resend_shipment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resend_shipment_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_resend_shipment_shipped_on"), ["shipped_on"], unique=False
        )

    with op.batch_alter_table("shipment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shipping_fee", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("fee_note", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("fee_corrected_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("fee_corrected_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_shipment_fee_corrected_by_id_user_account"),
            "user_account",
            ["fee_corrected_by_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_shipment_shipping_fee_not_negative"), "shipping_fee >= 0"
        )

    with op.batch_alter_table("supplier", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("bank_code", sa.String(length=4), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("branch_code", sa.String(length=3), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column(
                "bank_account_holder_kana", sa.String(length=30), nullable=False, server_default=""
            )
        )
        batch_op.add_column(
            sa.Column(
                "shipping_paid_by",
                sa.Enum("supplier", "operator", name="shippingpayer", native_enum=False, length=32),
                nullable=False,
                server_default="supplier",
            )
        )

    with op.batch_alter_table("supplier_statement_line", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "shipment",
                    "resend",
                    "adjustment",
                    name="linekind",
                    native_enum=False,
                    length=32,
                ),
                nullable=False,
                server_default="shipment",
            )
        )
        batch_op.add_column(
            sa.Column("carrier", sa.String(length=32), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("resend_cause", sa.String(length=32), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("cost_amount", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("shipping_amount", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("billable", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("payable", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(sa.Column("adjusts_line_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("paid_run_id", sa.Integer(), nullable=True))
        batch_op.drop_constraint(
            batch_op.f("uq_supplier_statement_line_statement_id_gift_id"), type_="unique"
        )
        batch_op.create_index(
            batch_op.f("ix_supplier_statement_line_paid_run_id"), ["paid_run_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_supplier_statement_line_paid_run_id_payment_run"),
            "payment_run",
            ["paid_run_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_supplier_statement_line_adjusts_line_id_supplier_statement_line"),
            "supplier_statement_line",
            ["adjusts_line_id"],
            ["id"],
        )

    # Backfill: what the statements charged until now.
    op.execute(
        "UPDATE shipment SET shipping_fee = COALESCE((SELECT gift.shipping_fee * donation_line.quantity"
        " FROM gift_order JOIN donation_line ON donation_line.id = gift_order.line_id"
        " JOIN gift ON gift.id = donation_line.gift_id WHERE gift_order.id = shipment.order_id), 0)"
    )
    op.execute(
        "UPDATE supplier_statement_line SET cost_amount = count * unit_cost,"
        " shipping_amount = count * unit_shipping"
    )
    # The defaults were only for the existing rows: the models set every value.
    for table, cols in (
        ("shipment", ("shipping_fee", "fee_note")),
        ("supplier", ("bank_code", "branch_code", "bank_account_holder_kana", "shipping_paid_by")),
        ("supplier_statement_line", ("kind", "carrier", "resend_cause", "cost_amount",
                                     "shipping_amount", "billable", "payable")),
    ):  # fmt: skip
        with op.batch_alter_table(table, schema=None) as batch_op:
            for col in cols:
                batch_op.alter_column(col, server_default=None)


def downgrade():
    with op.batch_alter_table("supplier_statement_line", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_supplier_statement_line_adjusts_line_id_supplier_statement_line"),
            type_="foreignkey",
        )
        batch_op.drop_constraint(
            batch_op.f("fk_supplier_statement_line_paid_run_id_payment_run"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_supplier_statement_line_paid_run_id"))
        batch_op.create_unique_constraint(
            batch_op.f("uq_supplier_statement_line_statement_id_gift_id"),
            ["statement_id", "gift_id"],
        )
        batch_op.drop_column("paid_run_id")
        batch_op.drop_column("adjusts_line_id")
        batch_op.drop_column("payable")
        batch_op.drop_column("billable")
        batch_op.drop_column("shipping_amount")
        batch_op.drop_column("cost_amount")
        batch_op.drop_column("resend_cause")
        batch_op.drop_column("carrier")
        batch_op.drop_column("kind")

    with op.batch_alter_table("supplier", schema=None) as batch_op:
        batch_op.drop_column("shipping_paid_by")
        batch_op.drop_column("bank_account_holder_kana")
        batch_op.drop_column("branch_code")
        batch_op.drop_column("bank_code")

    with op.batch_alter_table("shipment", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_shipment_shipping_fee_not_negative"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_shipment_fee_corrected_by_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("fee_corrected_at")
        batch_op.drop_column("fee_corrected_by_id")
        batch_op.drop_column("fee_note")
        batch_op.drop_column("shipping_fee")

    with op.batch_alter_table("resend_shipment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resend_shipment_shipped_on"))
        batch_op.drop_index(batch_op.f("ix_resend_shipment_order_id"))

    op.drop_table("resend_shipment")
    with op.batch_alter_table("payment_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_line_supplier_id"))
        batch_op.drop_index(batch_op.f("ix_payment_line_run_id"))

    op.drop_table("payment_line")
    op.drop_table("payment_run")
