"""donation.search_*: normalised copies for the one search box (names, kana, phones, e-mail)

Revision ID: 0023
Revises: 0024
Create Date: 2026-12-02

Backfilled in batches of 5,000 by id (portal.donations.search.search_values, the same code the
import and direct entry run). On PostgreSQL the four columns get pg_trgm GIN indexes (the
extension is created if missing) serving substring and prefix LIKE whatever the collation; on
SQLite plain B-tree indexes serve prefix and equality. The portal order number gets its own index (the unique constraint leads
with the portal).
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0024"
branch_labels = None
depends_on = None

COLUMNS = {"search_name": 200, "search_kana": 200, "search_phone": 50, "search_email": 254}
SOURCES = ("donor_name", "donor_kana", "phone", "delivery_phone", "email")
BATCH = 5000


def _backfill() -> None:
    from portal.donations.search import search_values

    conn = op.get_bind()
    donation = sa.table("donation", sa.column("id"), *(sa.column(c) for c in (*SOURCES, *COLUMNS)))
    last = 0
    while True:
        rows = conn.execute(
            sa.select(donation.c.id, *(donation.c[c] for c in SOURCES))
            .where(donation.c.id > last)
            .order_by(donation.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        params = [{"_id": r.id, **search_values(r._mapping)} for r in rows]
        conn.execute(
            donation.update()
            .where(donation.c.id == sa.bindparam("_id"))
            .values({c: sa.bindparam(c) for c in COLUMNS}),
            params,
        )
        last = rows[-1].id


def upgrade() -> None:
    with op.batch_alter_table("donation") as batch:
        for name, length in COLUMNS.items():
            batch.add_column(sa.Column(name, sa.String(length), nullable=False, server_default=""))
    _backfill()
    op.create_index("ix_donation_portal_order_no", "donation", ["portal_order_no"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # The operator class lives in the extension's schema, which need not be on this
        # database's search_path (an extension exists once per database).
        schema = op.get_bind().scalar(
            sa.text(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n"
                " ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
            )
        )
        for name in COLUMNS:
            op.create_index(
                f"ix_donation_{name}",
                "donation",
                [name],
                postgresql_using="gin",
                postgresql_ops={name: f'"{schema}".gin_trgm_ops'},
            )
    else:
        for name in COLUMNS:
            op.create_index(f"ix_donation_{name}", "donation", [name])
    # a whole address is looked up by equality: a B-tree answers it without a recheck
    op.create_index("ix_donation_search_email_eq", "donation", ["search_email"])


def downgrade() -> None:
    op.drop_index("ix_donation_search_email_eq", "donation")
    for name in COLUMNS:
        op.drop_index(f"ix_donation_{name}", "donation")
    op.drop_index("ix_donation_portal_order_no", "donation")
    with op.batch_alter_table("donation") as batch:
        for name in COLUMNS:
            batch.drop_column(name)
