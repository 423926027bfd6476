"""The staff analytics page on PostgreSQL: N donations (default 1,000,000) seeded with COPY into
a fresh schema of your own database, then each analytics query and the whole page timed.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/wt_analytics \\
        .venv/bin/python bench/analytics.py [--donations N] [--repeat 7]

The schema is built by the migrations; the donation indexes are dropped for the COPY and rebuilt
after it, as a restore would (bench/search.py's way). The donations run from April of the 年度
before last to today, December heavier (the last days of the year the heaviest), over seven
portals, 300 gifts (one line each; one donation in twelve without a gift), 47 prefectures (and
some addresses without one), about 2 donations per e-mail address, some donors known only by
name and phone; 2 % disaster relief, 3 % crowdfunding, 1 % cancelled.

Each query of portal.analytics.queries runs `--repeat` times for this 年度; then the page
(GET /staff/analytics through the WSGI app, signed in as city staff: guard, nav counts, the
queries, the tables and the SVG, the template) and one CSV, computed each time; then the same
with the figures kept (ANALYTICS_CACHE_SECONDS, what a second look and the CSVs get). Then the
worker's job (portal/analytics/snapshot.py `refresh`: the running 年度 counted without parallel
workers into the figure_snapshot row), its wall, Python CPU and the database backend's CPU (read
from /proc: the database on this machine); and the page and a CSV served from that row with
nothing kept in the process (what every gunicorn worker gets while the worker keeps counting).
The floor is a bare `SELECT count(*) FROM donation` in the same session: one pass over the
table, what any query that reads every donation cannot beat. Last line:
`bench analytics donations=N page_p95_ms=… floor_ms=… ratio=… queries=… … snapshot_job_ms=…
snapshot_job_db_cpu_ms=… snapshot_page_p95_ms=… snapshot_queries=…` (p95 over the repeats;
p50 printed above).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyotp
import sqlalchemy as sa

PASSWORD = "bench analytics password"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PORTALS = ("choice", "rakuten", "satofull", "furunavi", "jal", "direct", "standard")
PORTAL_WEIGHTS = (30, 28, 20, 10, 5, 4, 3)
AMOUNTS = (5000, 10000, 10000, 12000, 15000, 20000, 30000, 50000, 100000)


def database_url() -> str:
    return os.environ.get(
        "DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/wt_analytics"
    )


def build_schema() -> None:
    from flask_migrate import upgrade

    from portal.extensions import db

    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    upgrade()


def _days(start: date, end: date) -> tuple[list[date], list[float]]:
    """Every day in [start, end] with its weight: December ×3, its last five days ×8."""
    days, weights = [], []
    d = start
    while d <= end:
        w = 1.0
        if d.month == 12:
            w = 8.0 if d.day >= 27 else 3.0
        days.append(d)
        weights.append(w)
        d += timedelta(days=1)
    return days, weights


def rows(n: int, start: date, end: date) -> Any:
    from portal.analytics.prefectures import PREFECTURES

    rng = random.Random(15)
    days, weights = _days(start, end)
    applied = sorted(rng.choices(days, weights, k=n))
    prefectures = [ja for ja, _en in PREFECTURES]
    pref_weights = [30 if p in ("東京都", "神奈川県", "大阪府") else 4 for p in prefectures]
    donors = max(n // 2, 1)
    for i in range(n):
        did = i + 1
        who = rng.randrange(donors)
        kind = rng.random()
        name = f"寄附 {who}"
        phone = f"090-{who // 10_000:04d}-{who % 10_000:04d}"
        email = "" if who % 10 == 0 else f"donor{who}@example.jp"
        pref = "" if rng.random() < 0.01 else rng.choices(prefectures, pref_weights)[0]
        # the search columns as portal.donations.search would write them (spaces and hyphens
        # folded away, the e-mail in lower case) without its per-row cost
        search = (name.replace(" ", ""), "キフ", phone.replace("-", ""), email)
        day = applied[i]
        yield (
            did, f"{day.year}-{did:07d}", rng.choices(PORTALS, PORTAL_WEIGHTS)[0], f"B{did}",
            "cancelled" if kind < 0.01 else "paid", name, "キフ", "7270011",
            f"{pref}千代田区1-1", phone, email, rng.choice(AMOUNTS), day, "card", "paid", day,
            day, kind > 0.98, "比婆牛の牧場を守る" if 0.01 <= kind < 0.04 else "",
            *search,
        )  # fmt: skip


COPY_COLUMNS = (
    "id, donation_no, portal, portal_order_no, state, donor_name, donor_kana, postal_code, "
    "address, phone, email, amount, applied_on, payment_method, payment_state, paid_on, "
    "received_on, disaster_relief, project, search_name, search_kana, search_phone, search_email"
)
BOOLEANS = {"onestop_requested", "receipt_wanted", "publish_name", "disaster_relief"}


def seed(n: int, start: date, end: date) -> float:
    """300 gifts and a city user by the ORM; n donations and their lines by COPY."""
    from portal.accounts.models import Supplier, User
    from portal.accounts.passwords import hash_password
    from portal.core.roles import Role
    from portal.extensions import db
    from portal.gifts.models import Gift, GiftStatus, TemperatureBand

    t0 = time.perf_counter()
    supplier = Supplier(code="B001", name="ベンチ事業者", address="広島県庄原市中本町1-1")
    db.session.add(supplier)
    gifts = [
        Gift(code=f"G-{k:04d}", name=f"返礼品{k}", supplier=supplier, required_amount=10000,
             procurement_cost=3000, shipping_fee=1000, temperature=TemperatureBand.AMBIENT,
             status=GiftStatus.LISTED)
        for k in range(300)
    ]  # fmt: skip
    db.session.add_all(gifts)
    db.session.add(
        User(email="city@bench.example", role=Role.CITY, name="city", totp_secret=TOTP_SECRET,
             password_hash=hash_password(PASSWORD))
    )  # fmt: skip
    db.session.commit()
    gift_ids = [g.id for g in gifts]

    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('donation', "
            "'donation_line') AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        for table, copied in (("donation", COPY_COLUMNS), ("donation_line", "id, donation_id, gift_id")):  # fmt: skip
            cur.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "AND is_nullable = 'NO' AND column_default IS NULL",
                (table,),
            )
            names = {c.strip() for c in copied.split(",")}
            for (column,) in cur.fetchall():
                if column in names or column == "id":
                    continue
                default = "now()" if column.endswith("_at") else (
                    "false" if column in BOOLEANS or column == "stock_taken" else (
                        "0" if column in ("position", "quantity") else "''"))  # fmt: skip
                if column == "quantity":
                    default = "1"
                if column == "hold":
                    default = "'none'"
                cur.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET DEFAULT {default}")
        rng = random.Random(16)
        with cur.copy(f"COPY donation ({COPY_COLUMNS}) FROM STDIN") as copy:
            for row in rows(n, start, end):
                copy.write_row(row)
        with cur.copy("COPY donation_line (id, donation_id, gift_id) FROM STDIN") as copy:
            line = 0
            for did in range(1, n + 1):
                if did % 12:
                    line += 1
                    copy.write_row((line, did, rng.choice(gift_ids[: 30 + did % 270])))
        t_copy = time.perf_counter() - t0
        cur.execute("SET maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            cur.execute(definition)
        cur.execute("SELECT setval('donation_id_seq', %s)", (n,))
        cur.execute("ANALYZE donation")
        cur.execute("ANALYZE donation_line")
        raw.commit()
        print(
            f"seeded {n} donations ({start} – {end}): copy {t_copy:.1f} s, "
            f"indexes {time.perf_counter() - t0 - t_copy:.1f} s"
        )
    finally:
        raw.close()
    return time.perf_counter() - t0


def backend_cpu(pid: int) -> float | None:
    """CPU ms of a PostgreSQL backend so far (/proc: the database on this machine), or None
    when it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(int(len(ordered) * 0.95 + 0.5) - 1, 0)]


def timed(fn: Any, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donations", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    from portal import create_app
    from portal.analytics import queries
    from portal.analytics import snapshot as analytics_snapshot
    from portal.core.dates import fiscal_range, fiscal_year, today_jst
    from portal.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url(),
            "RATELIMIT_STORAGE_URI": "memory://",
            "WTF_CSRF_ENABLED": False,
            "ANALYTICS_CACHE_SECONDS": 0,  # the page timed cold; the kept figures below
        }
    )
    today = today_jst()
    year = fiscal_year(today)
    start, end = fiscal_range(year)
    last_start, _ = fiscal_range(year - 1)
    with app.app_context():
        build_schema()
        seed_s = seed(args.donations, date(year - 2, 4, 1), today)
        session = db.session
        steps = {
            "daily": lambda: queries._daily(session, last_start, end),
            "gifts": lambda: queries._gifts(session, start, end),
            "prefectures": lambda: queries._prefectures(session, last_start, start, end),
            "repeat": lambda: queries._repeat(session, last_start, start, end),
            "years": lambda: queries.fiscal_years(session, today),
            "analytics": lambda: queries.analytics(session, year, today),
        }
        figures: dict[str, tuple[float, float]] = {}
        for name, fn in steps.items():
            fn()  # warm
            figures[name] = percentiles(timed(fn, args.repeat))
        floor = percentiles(
            timed(
                lambda: session.execute(sa.text("SELECT count(*) FROM donation")).scalar(),
                args.repeat * 2,
            )
        )
        in_range = session.scalar(
            sa.text("SELECT count(*) FROM donation WHERE applied_on >= :s AND applied_on < :e"),
            {"s": last_start, "e": end},
        )
        session.remove()

    client = app.test_client()
    client.post("/login", data={"email": "city@bench.example", "password": PASSWORD})
    answer = client.post("/login/code", data={"code": pyotp.TOTP(TOTP_SECRET).now()})
    assert answer.status_code == 303, answer.status_code
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(*_a: Any, **_k: Any) -> None:
        statements.append("q")

    sa.event.listen(engine, "before_cursor_execute", count)
    response = client.get(f"/staff/analytics?year={year}")
    assert response.status_code == 200, response.status_code
    query_count = len(statements)
    page = percentiles(timed(lambda: client.get(f"/staff/analytics?year={year}"), args.repeat))
    csv_ms = percentiles(timed(lambda: client.get("/staff/analytics/prefectures.csv"), args.repeat))
    app.config["ANALYTICS_CACHE_SECONDS"] = 300
    client.get(f"/staff/analytics?year={year}")
    before = len(statements)
    warm = percentiles(timed(lambda: client.get(f"/staff/analytics?year={year}"), args.repeat))
    warm_queries = (len(statements) - before) // args.repeat
    warm_csv = percentiles(timed(lambda: client.get("/staff/analytics/repeat.csv"), args.repeat))

    # The worker's job (portal/analytics/snapshot.py), then the page and a CSV read from its row
    # with nothing kept in the process.
    job_ms, job_cpu_ms, job_db_cpu_ms = [], [], []
    with app.app_context():
        for _ in range(args.repeat):
            pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))  # the job's connection
            db_cpu = backend_cpu(pid)
            t0, c0 = time.perf_counter(), time.process_time()
            analytics_snapshot.refresh(db.session)
            db.session.commit()
            job_ms.append((time.perf_counter() - t0) * 1000)
            job_cpu_ms.append((time.process_time() - c0) * 1000)
            if db_cpu is not None:
                job_db_cpu_ms.append((backend_cpu(pid) or 0.0) - db_cpu)
        db.session.remove()
    job = percentiles(job_ms)
    app.config["ANALYTICS_CACHE_SECONDS"] = 0
    from portal.analytics import cache

    cache._KEPT.clear()
    client.get(f"/staff/analytics?year={year}")
    before = len(statements)
    snap = percentiles(timed(lambda: client.get(f"/staff/analytics?year={year}"), args.repeat))
    snap_queries = (len(statements) - before) // args.repeat
    snap_page = client.get(f"/staff/analytics?year={year}")
    assert 'data-testid="analytics-counted-at"' in snap_page.get_data(as_text=True)
    snap_csv = percentiles(timed(lambda: client.get("/staff/analytics/repeat.csv"), args.repeat))
    sa.event.remove(engine, "before_cursor_execute", count)

    for name, (p50, p95) in figures.items():
        print(f"{name:12} p50 {p50:8.1f} ms  p95 {p95:8.1f} ms")
    print(
        f"{'page':12} p50 {page[0]:8.1f} ms  p95 {page[1]:8.1f} ms  ({query_count} SQL statements)"
    )
    print(f"{'csv':12} p50 {csv_ms[0]:8.1f} ms  p95 {csv_ms[1]:8.1f} ms")
    print(
        f"{'page kept':12} p50 {warm[0]:8.1f} ms  p95 {warm[1]:8.1f} ms  ({warm_queries} SQL statements; figures kept)"
    )
    print(f"{'csv kept':12} p50 {warm_csv[0]:8.1f} ms  p95 {warm_csv[1]:8.1f} ms")
    db_cpu_text = (
        f", database CPU p50 {statistics.median(job_db_cpu_ms):.0f} ms" if job_db_cpu_ms else ""
    )
    print(
        f"{'snapshot job':12} p50 {job[0]:8.1f} ms  p95 {job[1]:8.1f} ms  (Python CPU p50 "
        f"{statistics.median(job_cpu_ms):.0f} ms{db_cpu_text}; no parallel workers)"
    )
    print(
        f"{'page snap':12} p50 {snap[0]:8.1f} ms  p95 {snap[1]:8.1f} ms  ({snap_queries} SQL statements; the worker's row)"
    )
    print(f"{'csv snap':12} p50 {snap_csv[0]:8.1f} ms  p95 {snap_csv[1]:8.1f} ms")
    print(
        f"{'floor':12} p50 {floor[0]:8.1f} ms  p95 {floor[1]:8.1f} ms  (SELECT count(*) FROM donation)"
    )
    print(
        f"donations in the two 年度: {in_range} of {args.donations}; page {len(response.data)} bytes"
    )
    print(
        f"bench analytics database=postgresql donations={args.donations} "
        f"page_p95_ms={page[1]:.0f} page_p50_ms={page[0]:.0f} floor_ms={floor[0]:.1f} "
        f"ratio={page[1] / floor[0]:.1f} queries={query_count} "
        + " ".join(f"{k}_ms={v[1]:.0f}" for k, v in figures.items())
        + f" csv_ms={csv_ms[1]:.0f} kept_page_p95_ms={warm[1]:.0f} kept_queries={warm_queries}"
        + f" kept_csv_p95_ms={warm_csv[1]:.0f} seed_s={seed_s:.0f}"
        + f" snapshot_job_ms={job[1]:.0f} snapshot_job_cpu_ms={statistics.median(job_cpu_ms):.0f}"
        + (
            f" snapshot_job_db_cpu_ms={statistics.median(job_db_cpu_ms):.0f}"
            if job_db_cpu_ms
            else ""
        )
        + f" snapshot_page_p95_ms={snap[1]:.0f} snapshot_queries={snap_queries}"
        + f" snapshot_csv_p95_ms={snap_csv[1]:.0f}"
    )


if __name__ == "__main__":
    main()
