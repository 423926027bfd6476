"""The staff dashboard's 経費率 card (GET /staff/oversight/card) counted live and read from the
worker's snapshot (portal/oversight/snapshot.py), and the snapshot job itself.

    .venv/bin/python bench/oversight.py [--donations 100000] [--repeat 15]   # fresh SQLite file
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/wt_2 \\
        .venv/bin/python bench/oversight.py --donations 200000                # PostgreSQL

The schema is built by the migrations (on PostgreSQL in the database's public schema, dropped
first). N donations run from 1 April of last 年度 to today, December three times as heavy,
1 % cancelled, a few not yet received; bulk Core inserts on SQLite, COPY on PostgreSQL. No
contract rate is registered (bench/load.py's seed has none): each month's costs are the
statements' (none here), the cost entries and the city's ads, as the card reads them.
`--rate` registers one with no invoice issued: then the card builds every month's draft
invoice, whose base fee counts the month's donations per group (from the snapshot's same pass
when fresh; live, one pass over the 年度 for all months together).

Timed through the WSGI app as operator staff, `--repeat` times each, after one warm-up:
- live: the card with no snapshot row (every view counts this 年度's income by month and last
  年度's two sums: the card before #17);
- job: `snapshot.refresh` + commit (what the worker runs every five minutes), wall and
  Python CPU;
- card: the card while the row is fresh (what every view gets with the worker running);
- floors in the same run: `SELECT count(*) FROM donation` and `SELECT sum(amount) …` (one
  pass over the table, what a live count cannot beat) and a bare route through the same app and client (login, session,
  after_request hooks: what the card from the snapshot cannot beat).
Last line: `bench oversight donations=N card_ms=… live_ms=… job_s=… floor_ms=… sum_ms=… route_ms=…`
(card and live p95; job p95 in seconds; floors p50).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyotp
import sqlalchemy as sa

PASSWORD = "bench oversight password"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
AMOUNTS = (5000, 10000, 10000, 12000, 15000, 20000, 30000, 50000, 100000)


def seed(n: int, postgres: bool, today: date, rate: bool = False) -> float:
    from bench.orders import copy_rows
    from portal.accounts.models import User
    from portal.accounts.passwords import hash_password
    from portal.core.dates import fiscal_year
    from portal.core.models import utcnow
    from portal.core.roles import Role
    from portal.donations.models import Donation
    from portal.extensions import db
    from portal.oversight.models import CostEntry, CostKind

    t0 = time.perf_counter()
    s = db.session
    staff = User(email="staff@bench.example", role=Role.OPERATOR, name="staff",
                 totp_secret=TOTP_SECRET, password_hash=hash_password(PASSWORD))  # fmt: skip
    s.add(staff)
    if rate:  # --rate: every month's draft invoice is built from the month's donations
        from portal.monthly import contract

        contract.add_rate(s, valid_from=date(fiscal_year(today), 4, 1), base_rate_bp=1200,
                          no_gift_rate_bp=500, crowdfunding_rate_bp=850, mailing_unit_price=95,
                          mailing_in_base=False, tax_rate_percent=10, by_user=staff)  # fmt: skip
    start = date(fiscal_year(today) - 1, 4, 1)
    for k, month in enumerate((f"{today:%Y-%m}", f"{fiscal_year(today)}-04")):
        s.add(CostEntry(month=month, category=CostKind.ADVERTISING, amount=1_000_000 + k,
                        note="bench"))  # fmt: skip
    s.commit()
    days, weights, d = [], [], start
    while d <= today:
        days.append(d)
        weights.append(3.0 if d.month == 12 else 1.0)
        d += timedelta(days=1)
    rng = random.Random(17)
    applied = sorted(rng.choices(days, weights, k=n))
    now = utcnow()
    conn = s.connection()
    table = Donation.__table__
    chunk = 10_000
    for base in range(0, n, chunk):
        rows: list[dict[str, Any]] = []
        for i in range(base, min(base + chunk, n)):
            did, day = i + 1, applied[i]
            received = None if i % 211 == 0 else day
            rows.append({
                "id": did, "donation_no": f"{day.year}-{did:07d}", "portal": "choice",
                "portal_order_no": f"B{did}", "state": "cancelled" if i % 100 == 0 else "paid",
                "donor_name": f"寄附 {did % 5000}", "postal_code": "7270011",
                "address": "広島県庄原市中本町1-1", "phone": "0824-72-0000",
                "amount": AMOUNTS[i % len(AMOUNTS)], "applied_on": day, "payment_method": "card",
                "payment_state": "paid", "paid_on": received, "received_on": received,
                "created_at": now, "updated_at": now,
            })  # fmt: skip
        if postgres:
            copy_rows(conn, table, rows)
        else:
            conn.execute(sa.insert(table), rows)
    s.commit()
    conn = s.connection()
    if postgres:
        conn.exec_driver_sql(
            "SELECT setval(pg_get_serial_sequence('donation', 'id'), (SELECT max(id) FROM donation))"
        )
    conn.exec_driver_sql("ANALYZE")
    s.commit()
    return time.perf_counter() - t0


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(int(len(ordered) * 0.95 + 0.5) - 1, 0)]


def timed(fn: Any, repeat: int) -> tuple[list[float], list[float]]:
    """Wall and Python CPU ms of each of `repeat` calls, after one warm-up."""
    fn()
    wall, cpu = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donations", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--rate", action="store_true",
                        help="register a contract rate, no invoice issued: the card builds "
                        "every month's draft invoice (live, from the month's donations)")  # fmt: skip
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    postgres = url.startswith("postgresql")
    if not postgres:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-oversight-')) / 'b.sqlite3'}"

    from flask_migrate import upgrade

    from portal import create_app
    from portal.core.dates import today_jst
    from portal.donations.snapshot import FigureSnapshot
    from portal.extensions import db
    from portal.oversight import snapshot

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_STORAGE_URI": "memory://"})  # fmt: skip

    @app.get("/bench-floor")
    def bench_floor() -> str:  # the same stack without the card's queries and template
        return "ok"

    today = today_jst()
    with app.app_context():
        if postgres:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
        upgrade()
        seed_s = seed(args.donations, postgres, today, args.rate)
        count_wall, _ = timed(
            lambda: db.session.execute(sa.text("SELECT count(*) FROM donation")).scalar(),
            args.repeat,
        )
        sum_wall, _ = timed(
            lambda: db.session.execute(sa.text("SELECT sum(amount) FROM donation")).scalar(),
            args.repeat,
        )
        db.session.remove()

    client = app.test_client()
    client.post("/login", data={"email": "staff@bench.example", "password": PASSWORD})
    answer = client.post("/login/code", data={"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert answer.status_code == 303, answer.status_code

    def card() -> str:
        r = client.get("/staff/oversight/card", headers={"HX-Request": "true"})
        assert r.status_code == 200, r.status_code
        return r.get_data(as_text=True)

    def floor_route() -> None:
        assert client.get("/bench-floor").status_code == 200

    with app.app_context():  # no row: the card counts live
        db.session.execute(sa.delete(FigureSnapshot).where(FigureSnapshot.name == snapshot.NAME))
        db.session.commit()
    live_html = card()
    live_wall, live_cpu = timed(card, args.repeat)

    def job() -> None:
        with app.app_context():
            snapshot.refresh(db.session)
            db.session.commit()
            db.session.remove()

    job_wall, job_cpu = timed(job, max(args.repeat // 3, 3))
    snap_html = card()
    assert 'data-testid="oversight-counted-at"' in snap_html
    strip = lambda h: h.split('data-testid="oversight-counted-at"')[0]  # noqa: E731
    assert strip(snap_html) == strip(live_html), "the snapshot's card differs from the live one"
    card_wall, card_cpu = timed(card, args.repeat)
    route_wall, _ = timed(floor_route, args.repeat)

    def line(label: str, wall: list[float], cpu: list[float] | None = None) -> None:
        p50, p95 = percentiles(wall)
        extra = f"  Python CPU p50 {statistics.median(cpu):7.1f} ms" if cpu else ""
        print(f"{label:28} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms{extra}")

    print(f"{'postgresql' if postgres else 'sqlite'}: {args.donations} donations seeded in "
          f"{seed_s:.1f} s; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")  # fmt: skip
    line("card, live (no snapshot)", live_wall, live_cpu)
    line("snapshot job", job_wall, job_cpu)
    line("card, from the snapshot", card_wall, card_cpu)
    line("floor: SELECT count(*)", count_wall)
    line("floor: SELECT sum(amount)", sum_wall)
    line("floor: bare route", route_wall)
    print(
        f"bench oversight database={'postgresql' if postgres else 'sqlite'} rate={int(args.rate)} "
        f"donations={args.donations} card_ms={percentiles(card_wall)[1]:.1f} "
        f"live_ms={percentiles(live_wall)[1]:.1f} job_s={percentiles(job_wall)[1] / 1000:.2f} "
        f"floor_ms={percentiles(count_wall)[0]:.1f} sum_ms={percentiles(sum_wall)[0]:.1f} route_ms={percentiles(route_wall)[0]:.1f} "
        f"card_cpu_ms={statistics.median(card_cpu):.1f} live_cpu_ms={statistics.median(live_cpu):.1f}"
    )


if __name__ == "__main__":
    main()
