"""donation.search_delivery: the gift recipient's name, normalised, for the supplier's order list

Revision ID: 0031
Revises: 0029
Create Date: 2026-12-02

The supplier's order list finds an order by the donor's or the recipient's name. The donor's
normalised copy is search_name (0023); this adds the recipient's (the same fold,
portal.donations.search.search_values), so the list's name search is one OR of two indexed
columns instead of a scan of delivery_name and donor_name. Backfilled in batches of 5,000 by id,
only the rows that name a recipient (the others keep ""). PostgreSQL: a pg_trgm GIN index like
0023's; SQLite: a B-tree.
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0029"
branch_labels = None
depends_on = None

BATCH = 5000


def _backfill() -> None:
    from portal.donations.search import fold

    conn = op.get_bind()
    donation = sa.table(
        "donation", sa.column("id"), sa.column("delivery_name"), sa.column("search_delivery")
    )
    last = 0
    while True:
        rows = conn.execute(
            sa.select(donation.c.id, donation.c.delivery_name)
            .where(donation.c.id > last, donation.c.delivery_name != "")
            .order_by(donation.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        conn.execute(
            donation.update()
            .where(donation.c.id == sa.bindparam("_id"))
            .values(search_delivery=sa.bindparam("_value")),
            [{"_id": r.id, "_value": fold(r.delivery_name)} for r in rows],
        )
        last = rows[-1].id


def upgrade() -> None:
    with op.batch_alter_table("donation") as batch:
        batch.add_column(
            sa.Column("search_delivery", sa.String(200), nullable=False, server_default="")
        )
    _backfill()
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema = op.get_bind().scalar(
            sa.text(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n"
                " ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
            )
        )
        op.create_index(
            "ix_donation_search_delivery",
            "donation",
            ["search_delivery"],
            postgresql_using="gin",
            postgresql_ops={"search_delivery": f'"{schema}".gin_trgm_ops'},
        )
    else:
        op.create_index("ix_donation_search_delivery", "donation", ["search_delivery"])


def downgrade() -> None:
    op.drop_index("ix_donation_search_delivery", "donation")
    with op.batch_alter_table("donation") as batch:
        batch.drop_column("search_delivery")
