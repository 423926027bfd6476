"""Supplier order list benchmark: N orders (default 100,000) for one supplier, pages requested
through the Flask test client as that supplier.

    .venv/bin/python bench/orders.py [N] [--repeat 20]                      # fresh SQLite file
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/wt_floors_bench \
        .venv/bin/python bench/orders.py 1000000 [--reseed] [--explain]      # PostgreSQL

On SQLite it seeds with bulk Core inserts into a fresh file. On PostgreSQL (DATABASE_URL given)
it seeds with COPY, once: a database that already holds the bench's N orders is reused (the
migrations still run, so a new index is built on the seeded rows); `--reseed` drops the schema
and seeds again. `--explain` prints EXPLAIN ANALYZE of the name searches' query. Seeded rows
carry the normalised search_* columns the import would write (donations.search.search_values).
Rows: donation, donation_line, gift_order, some shipments. Then it times
the first page, a middle page and the last page through the keyset cursor, a filtered page
(gift + ship-by range), a name search and an order-number search, each `--repeat` times; the
floor is a bare Flask route in the same app and client (login, session, CSRF, after_request
hooks — everything but our query and template). Last line:
`bench orders orders=N p50_ms=… p95_ms=… floor_ms=…`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

SURNAMES = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
GIVEN = ["花子", "太郎", "美咲", "健", "翔", "陽菜", "蓮", "結衣"]
PASSWORD = "bench-password-123"


def copy_rows(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """COPY rows into a PostgreSQL table; a column the rows leave out gets its Python-side
    scalar default (COPY does not run SQLAlchemy's defaults) or the database's."""
    if not rows:
        return
    names = list(rows[0])
    extra = {
        c.name: c.default.arg
        for c in table.columns
        if c.name not in names and c.default is not None and c.default.is_scalar
    }
    columns = [*names, *extra]
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with cur.copy(sql) as copy:
            tail = tuple(v.value if hasattr(v, "value") else v for v in extra.values())
            for row in rows:
                copy.write_row(
                    (*(v.value if hasattr(v, "value") else v for v in row.values()), *tail)
                )


def seed(n: int, postgres: bool = False) -> dict:
    from portal.accounts.models import Supplier, User
    from portal.accounts.passwords import hash_password
    from portal.core.models import utcnow
    from portal.core.roles import Role
    from portal.donations.models import Donation, DonationLine
    from portal.donations.search import search_values
    from portal.extensions import db
    from portal.gifts.models import Gift, GiftStatus
    from portal.shipping.models import Order, Shipment

    s = db.session
    supplier = Supplier(code="B001", name="ベンチ牧場", address="広島県庄原市")
    other = Supplier(code="B002", name="よその事業者", address="広島県庄原市")
    s.add_all([supplier, other])
    s.flush()
    user = User(
        email="bench@example.jp",
        role=Role.SUPPLIER,
        supplier=supplier,
        password_hash=hash_password(PASSWORD),
    )
    s.add(user)
    gifts = [
        Gift(
            code=f"BG-{i}",
            name=f"ベンチ返礼品{i}",
            supplier=supplier if i < 5 else other,
            required_amount=10000,
            procurement_cost=3000,
            status=GiftStatus.LISTED,
        )
        for i in range(6)
    ]
    s.add_all(gifts)
    s.commit()
    gift_ids = [g.id for g in gifts]
    start = date(2026, 1, 1)
    now = utcnow()
    conn = s.connection()
    chunk = 10_000
    searchable: dict[tuple[str, str], dict[str, str]] = {}

    def write(table: sa.Table, rows: list[dict]) -> None:
        if postgres:
            copy_rows(conn, table, rows)
        elif rows:
            conn.execute(sa.insert(table), rows)

    for base in range(0, n, chunk):
        donations, lines, orders, ships = [], [], [], []
        for i in range(base, min(base + chunk, n)):
            did = i + 1
            applied = start + timedelta(days=(i * 365) // n)
            name = f"{SURNAMES[i % 10]} {GIVEN[(i // 10) % 8]}"
            delivery = "贈答 一二三" if i % 997 == 0 else ""
            if (name, delivery) not in searchable:
                searchable[name, delivery] = search_values(
                    {"donor_name": name, "delivery_name": delivery, "phone": "0824-72-0000"}
                )
            donations.append(
                {
                    "id": did,
                    "donation_no": f"2026-{did:06d}",
                    "portal": "choice",
                    "portal_order_no": f"B{did}",
                    "state": "paid",
                    "donor_name": name,
                    "postal_code": "7270011",
                    "address": f"広島県庄原市東本町{i % 50}-{i % 9}",
                    "phone": "0824-72-0000",
                    "amount": 10000,
                    "applied_on": applied,
                    "payment_method": "card",
                    "payment_state": "paid",
                    "paid_on": applied,
                    "delivery_name": delivery,
                    "created_at": now,
                    "updated_at": now,
                    **searchable[name, delivery],
                }
            )
            # 1 in 50 orders belongs to the other supplier (the scope must filter them out).
            gift = gift_ids[5] if i % 50 == 0 else gift_ids[i % 5]
            lines.append({"id": did, "donation_id": did, "position": 0, "gift_id": gift})
            shipped = applied < date(2026, 10, 1) or i % 5 == 0
            status = "cancelled" if i % 97 == 0 else ("shipped" if shipped else "ordered")
            orders.append(
                {
                    "id": did,
                    "line_id": did,
                    "supplier_id": other.id if i % 50 == 0 else supplier.id,
                    "status": status,
                    "ordered_on": applied,
                    "ship_by": applied + timedelta(days=14),
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if status == "shipped":
                ships.append(
                    {
                        "order_id": did,
                        "carrier": "yamato",
                        "tracking_no": f"{400000000000 + did}",
                        "shipped_on": applied + timedelta(days=3),
                        "confirmed_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        write(Donation.__table__, donations)
        write(DonationLine.__table__, lines)
        write(Order.__table__, orders)
        write(Shipment.__table__, ships)
    s.commit()
    conn = s.connection()
    if postgres:  # explicit ids went past the sequences
        for table in ("donation", "donation_line", "gift_order"):
            conn.exec_driver_sql(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
    conn.exec_driver_sql("ANALYZE")
    s.commit()
    return {"supplier_id": supplier.id, "gift_id": gift_ids[2]}


def seeded(n: int) -> dict | None:
    """The ids of an earlier PostgreSQL seed of exactly n orders, or None."""
    from portal.accounts.models import Supplier
    from portal.extensions import db
    from portal.gifts.models import Gift
    from portal.shipping.models import Order

    supplier = db.session.scalar(sa.select(Supplier).where(Supplier.code == "B001"))
    if supplier is None or db.session.scalar(sa.select(sa.func.count()).select_from(Order)) != n:
        return None
    gift = db.session.scalar(sa.select(Gift.id).where(Gift.code == "BG-2"))
    return {"supplier_id": supplier.id, "gift_id": gift}


def explain(app, client, url: str) -> str:  # type: ignore[no-untyped-def]
    """EXPLAIN ANALYZE of the order page's own query, as the request sent it."""
    from portal.extensions import db

    seen: list[tuple[str, object]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        if "FROM gift_order" in statement and "LIMIT" in statement and "ship_by" in statement:
            seen.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        client.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = seen[-1]
    prefix = (
        "EXPLAIN (ANALYZE, BUFFERS) "
        if engine.dialect.name == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(prefix + statement, parameters)
        return "\n".join(" | ".join(str(c) for c in row) for row in cur.fetchall())
    finally:
        raw.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--reseed", action="store_true", help="PostgreSQL: drop and seed again")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the searches")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    postgres = url.startswith("postgresql")

    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    from portal.shipping.models import Order, OrderStatus

    if postgres:
        where = url.rsplit("/", 1)[-1]
    else:
        where = str(Path(tempfile.mkdtemp(prefix="bench-orders-")) / "orders.sqlite3")
        url = f"sqlite:///{where}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )

    @app.get("/bench-floor")
    def bench_floor() -> str:  # the same stack without our query and template
        return "ok"

    with app.app_context():
        if postgres and args.reseed:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
        t0 = time.perf_counter()
        ids = seeded(args.n) if postgres else None
        if ids is None:
            if postgres:  # another N, or a half-done seed: start from an empty schema
                db.session.remove()
                with db.engine.begin() as conn:
                    conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
                upgrade()
            ids = seed(args.n, postgres)
            seed_s = time.perf_counter() - t0
            seed_note = f"seeded {args.n} orders in {seed_s:.1f} s"
        else:
            seed_note = f"reused {args.n} seeded orders"
        sid = ids["supplier_id"]

        def cursor_at(status: str | None, k: int) -> str:
            stmt = sa.select(Order.ship_by, Order.id).where(Order.supplier_id == sid)
            if status:
                stmt = stmt.where(Order.status == status)
            asc = status == "ordered"
            stmt = stmt.order_by(
                *((Order.ship_by, Order.id) if asc else (Order.ship_by.desc(), Order.id.desc()))
            )
            row = db.session.execute(stmt.offset(k).limit(1)).one()
            return f"{row[0].isoformat()}_{row[1]}"

        open_count = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Order)
            .where(Order.supplier_id == sid, Order.status == OrderStatus.ORDERED)
        )
        all_count = db.session.scalar(
            sa.select(sa.func.count()).select_from(Order).where(Order.supplier_id == sid)
        )
        urls = {
            "first (open orders)": "/supplier/orders",
            "first (all)": "/supplier/orders?status=all",
            "middle (all, keyset)": f"/supplier/orders?status=all&after={cursor_at(None, all_count // 2)}",
            "last (all, keyset)": f"/supplier/orders?status=all&after={cursor_at(None, all_count - 30)}",
            "last (open, keyset)": f"/supplier/orders?after={cursor_at('ordered', open_count - 30)}",
            "filtered (gift + range)": f"/supplier/orders?status=all&gift={ids['gift_id']}"
            "&from=2026-06-01&to=2026-06-30",
            "searched (surname)": "/supplier/orders?status=all&q=高橋",
            "searched (order no.)": "/supplier/orders?status=all&q=2026-054321-1",
            "searched (rare name)": "/supplier/orders?status=all&q=一二三",
        }
        db.session.remove()

    client = app.test_client()
    r = client.post("/login", data={"email": "bench@example.jp", "password": PASSWORD})
    assert r.status_code == 302, r.status_code

    def timed(url: str) -> list[float]:
        client.get(url)  # warm
        out = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            resp = client.get(url)
            out.append((time.perf_counter() - t) * 1000)
            assert resp.status_code == 200, (url, resp.status_code)
        return out

    print(f"{seed_note} ({open_count} open) → {where}")
    everything: list[float] = []
    for label, url in urls.items():
        ms = timed(url)
        everything += ms
        body = client.get(url).get_data(as_text=True)
        rows = body.count('name="ids"')
        print(
            f"{label:26s} p50 {statistics.median(ms):6.1f} ms  max {max(ms):6.1f} ms  rows {rows}"
        )
    if args.explain:
        for label in ("searched (surname)", "searched (rare name)"):
            print(f"--- EXPLAIN ANALYZE {label}")
            print(explain(app, client, urls[label]))
    floor = timed("/bench-floor")
    everything.sort()
    p50 = statistics.median(everything)
    p95 = everything[int(len(everything) * 0.95) - 1]
    print(f"floor (bare route)          p50 {statistics.median(floor):6.1f} ms")
    print(
        f"bench orders orders={args.n} p50_ms={p50:.1f} p95_ms={p95:.1f} "
        f"floor_ms={statistics.median(floor):.1f}"
    )


if __name__ == "__main__":
    main()
