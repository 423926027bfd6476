"""Supplier order list benchmark: N orders (default 100,000) for one supplier in a fresh SQLite
file, pages requested through the Flask test client as that supplier.

    .venv/bin/python bench/orders.py [N] [--repeat 20]

Seeds with bulk Core inserts (donation, donation_line, gift_order, some shipments), then times
the first page, a middle page and the last page through the keyset cursor, a filtered page
(gift + ship-by range), a name search and an order-number search, each `--repeat` times; the
floor is a bare Flask route in the same app and client (login, session, CSRF, after_request
hooks — everything but our query and template). Last line:
`bench orders orders=N p50_ms=… p95_ms=… floor_ms=…`.
"""

from __future__ import annotations

import argparse
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


def seed(n: int) -> dict:
    from portal.accounts.models import Supplier, User
    from portal.accounts.passwords import hash_password
    from portal.core.models import utcnow
    from portal.core.roles import Role
    from portal.donations.models import Donation, DonationLine
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
    for base in range(0, n, chunk):
        donations, lines, orders, ships = [], [], [], []
        for i in range(base, min(base + chunk, n)):
            did = i + 1
            applied = start + timedelta(days=(i * 365) // n)
            donations.append(
                {
                    "id": did,
                    "donation_no": f"2026-{did:06d}",
                    "portal": "choice",
                    "portal_order_no": f"B{did}",
                    "state": "paid",
                    "donor_name": f"{SURNAMES[i % 10]} {GIVEN[(i // 10) % 8]}",
                    "postal_code": "7270011",
                    "address": f"広島県庄原市東本町{i % 50}-{i % 9}",
                    "phone": "0824-72-0000",
                    "amount": 10000,
                    "applied_on": applied,
                    "payment_method": "card",
                    "payment_state": "paid",
                    "paid_on": applied,
                    "delivery_name": "贈答 一二三" if i % 997 == 0 else "",
                    "created_at": now,
                    "updated_at": now,
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
        conn.execute(sa.insert(Donation.__table__), donations)
        conn.execute(sa.insert(DonationLine.__table__), lines)
        conn.execute(sa.insert(Order.__table__), orders)
        if ships:
            conn.execute(sa.insert(Shipment.__table__), ships)
    s.commit()
    conn = s.connection()
    conn.exec_driver_sql("ANALYZE")
    s.commit()
    return {"supplier_id": supplier.id, "gift_id": gift_ids[2]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    from portal.shipping.models import Order, OrderStatus

    path = Path(tempfile.mkdtemp(prefix="bench-orders-")) / "orders.sqlite3"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )

    @app.get("/bench-floor")
    def bench_floor() -> str:  # the same stack without our query and template
        return "ok"

    with app.app_context():
        upgrade()
        t0 = time.perf_counter()
        ids = seed(args.n)
        seed_s = time.perf_counter() - t0
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

    print(f"seeded {args.n} orders in {seed_s:.1f} s ({open_count} open) → {path}")
    everything: list[float] = []
    for label, url in urls.items():
        ms = timed(url)
        everything += ms
        body = client.get(url).get_data(as_text=True)
        rows = body.count('name="ids"')
        print(
            f"{label:26s} p50 {statistics.median(ms):6.1f} ms  max {max(ms):6.1f} ms  rows {rows}"
        )
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
