"""One-box donation search on PostgreSQL: N donations (default 1,000,000) seeded with COPY into
a fresh schema of your own database, then the staff list's search query timed by name, by
phone and by e-mail.

    SEARCH_BENCH_URL=postgresql+psycopg://postgres@127.0.0.1:5432/search \\
        .venv/bin/python bench/search.py [--donations N] [--repeat 15]

The schema is built by the migrations (so the pg_trgm GIN indexes of 0023 are the ones timed);
the donation indexes are dropped for the COPY and rebuilt after it, as a restore would. Each
kind of search runs several terms (common and rare names, kanji, kana, a variant 𠮷, phones in
any hyphenation, e-mails) `--repeat` times through the same statement the staff list runs
(portal.donations.search.search_clause, newest first, one page of 51). The floor is a primary-key
lookup in the same session. Last line:
`bench search donations=N name_ms=… phone_ms=… email_ms=… number_ms=… floor_ms=… seed_s=…`
(p95 per kind; p50 printed above it).
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

import sqlalchemy as sa

SURNAMES = [
    ("佐藤", "サトウ"), ("鈴木", "スズキ"), ("高橋", "タカハシ"), ("田中", "タナカ"),
    ("伊藤", "イトウ"), ("渡辺", "ワタナベ"), ("山本", "ヤマモト"), ("中村", "ナカムラ"),
    ("小林", "コバヤシ"), ("加藤", "カトウ"), ("吉田", "ヨシダ"), ("山田", "ヤマダ"),
    ("佐々木", "ササキ"), ("山口", "ヤマグチ"), ("松本", "マツモト"), ("井上", "イノウエ"),
    ("木村", "キムラ"), ("林", "ハヤシ"), ("斎藤", "サイトウ"), ("清水", "シミズ"),
    ("山崎", "ヤマザキ"), ("森", "モリ"), ("池田", "イケダ"), ("橋本", "ハシモト"),
    ("阿部", "アベ"), ("石川", "イシカワ"), ("山下", "ヤマシタ"), ("中島", "ナカジマ"),
    ("石井", "イシイ"), ("小川", "オガワ"), ("前田", "マエダ"), ("岡田", "オカダ"),
]  # fmt: skip
GIVEN = [
    ("花子", "ハナコ"), ("太郎", "タロウ"), ("美咲", "ミサキ"), ("健", "ケン"), ("翔", "ショウ"),
    ("陽菜", "ヒナ"), ("蓮", "レン"), ("結衣", "ユイ"), ("大輔", "ダイスケ"), ("直美", "ナオミ"),
    ("誠", "マコト"), ("恵子", "ケイコ"), ("拓也", "タクヤ"), ("由美", "ユミ"), ("浩", "ヒロシ"),
    ("明美", "アケミ"), ("隆", "タカシ"), ("幸子", "サチコ"), ("修", "オサム"), ("智子", "トモコ"),
]  # fmt: skip
RARE = ("𠮷田 珠子", "ヨシダ タマコ")  # five donations in the whole set


def database_url() -> str:
    return os.environ.get("SEARCH_BENCH_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/search")


def build_schema() -> None:
    from flask_migrate import upgrade

    from portal.extensions import db

    with db.engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    upgrade()


def rows(n: int) -> Any:
    from portal.donations.search import search_values

    rng = random.Random(13)
    start = date(2026, 1, 1)
    rare_at = {n // 7, n // 3, n // 2, (2 * n) // 3, n - 2}
    for i in range(n):
        did = i + 1
        if i in rare_at:
            name, kana = RARE
        else:
            (s, sk), (g, gk) = rng.choice(SURNAMES), rng.choice(GIVEN)
            name, kana = f"{s} {g}", f"{sk} {gk}"
        phone = f"0{rng.choice('789')}0-{rng.randrange(10_000):04d}-{rng.randrange(10_000):04d}"
        email = f"donor{did}.{rng.randrange(1000)}@example.jp"
        applied = start + timedelta(days=(i * 334) // n)
        values = {"donor_name": name, "donor_kana": kana, "phone": phone, "email": email}
        s = search_values(values)
        yield (
            did, f"2026-{did:06d}", "choice", f"B{did}", "paid", name, kana,
            f"727{did % 10_000:04d}", "広島県庄原市東本町1-1", phone, email, 10000,
            applied, "card", "paid", applied, applied,
            s["search_name"], s["search_kana"], s["search_phone"], s["search_email"],
        )  # fmt: skip


COPY_COLUMNS = (
    "id, donation_no, portal, portal_order_no, state, donor_name, donor_kana, postal_code, "
    "address, phone, email, amount, applied_on, payment_method, payment_state, paid_on, "
    "received_on, search_name, search_kana, search_phone, search_email"
)


def seed(n: int) -> float:
    """COPY n donations with the indexes dropped, then rebuild them; returns seconds."""
    from portal.extensions import db

    t0 = time.perf_counter()
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'donation' "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        )
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        # Defaults the table has in Python only (the model's), for the columns not copied.
        cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'donation' "
            "AND is_nullable = 'NO' AND column_default IS NULL"
        )
        copied = {c.strip() for c in COPY_COLUMNS.split(",")}
        missing = [c for (c,) in cur.fetchall() if c not in copied and c != "id"]
        for column in missing:
            default = "now()" if column.endswith("_at") else (
                "false" if column in BOOLEANS else "''"
            )  # fmt: skip
            cur.execute(f"ALTER TABLE donation ALTER COLUMN {column} SET DEFAULT {default}")
        with cur.copy(f"COPY donation ({COPY_COLUMNS}) FROM STDIN") as copy:
            for row in rows(n):
                copy.write_row(row)
        t_copy = time.perf_counter() - t0
        cur.execute("SET maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            cur.execute(definition)
        cur.execute("ANALYZE donation")
        raw.commit()
        print(
            f"seeded {n} donations: copy {t_copy:.1f} s, indexes {time.perf_counter() - t0 - t_copy:.1f} s"
        )
    finally:
        raw.close()
    return time.perf_counter() - t0


WIDE = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789-"})
BOOLEANS = {"onestop_requested", "receipt_wanted", "publish_name", "disaster_relief"}


def timed(session: Any, term: str, repeat: int) -> tuple[list[float], int]:
    from portal.donations.models import Donation
    from portal.donations.search import search_clause

    out, found = [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        clause = search_clause(session, term)
        assert clause is not None, term
        found = len(
            session.scalars(
                sa.select(Donation).where(clause).order_by(Donation.id.desc()).limit(51)
            ).all()
        )
        out.append((time.perf_counter() - t0) * 1000)
        session.expunge_all()
    return out, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donations", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    from portal import create_app
    from portal.donations.models import Donation
    from portal.extensions import db

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url(), "RATELIMIT_STORAGE_URI": "memory://"}
    )
    with app.app_context():
        build_schema()
        seed_s = seed(args.donations)
        session = db.session
        sample = session.execute(
            sa.select(Donation.phone, Donation.email).where(Donation.id == args.donations // 2)
        ).one()
        phone = sample.phone
        terms = {
            "name": ["𠮷田 珠子", "吉田珠子", "よしだ たまこ", "佐藤花子", "タカハシ", "山崎 誠",
                     "林", "ﾔﾏﾓﾄ ﾀﾛｳ"],
            "phone": [phone, phone.replace("-", ""), phone.replace("-", "ー"), phone.translate(WIDE)],
            "email": [sample.email, sample.email.upper(), "donor12345", "nobody@example.jp"],
            "number": [f"2026-{args.donations // 3:06d}", f"2026{args.donations // 4:06d}"],
        }  # fmt: skip
        figures: dict[str, tuple[float, float]] = {}
        for kind, words in terms.items():
            samples: list[float] = []
            for word in words:
                ms, found = timed(session, word, args.repeat)
                samples += ms
                print(
                    f"{kind:6} {word!r:24} found {found:2}  p50 {statistics.median(ms):6.1f} ms  max {max(ms):6.1f} ms"
                )
            samples.sort()
            figures[kind] = (statistics.median(samples), samples[int(len(samples) * 0.95) - 1])
        floor: list[float] = []
        for i in range(args.repeat * 4):
            t0 = time.perf_counter()
            session.get(Donation, 1 + (i * 7919) % args.donations)
            floor.append((time.perf_counter() - t0) * 1000)
            session.expunge_all()
        floor_ms = statistics.median(floor)
        for kind, (p50, p95) in figures.items():
            print(f"{kind}: p50 {p50:.1f} ms, p95 {p95:.1f} ms")
        print(f"floor (primary-key lookup): p50 {floor_ms:.2f} ms")
        print(
            f"bench search database=postgresql donations={args.donations} "
            + " ".join(f"{k}_ms={v[1]:.1f}" for k, v in figures.items())
            + " "
            + " ".join(f"{k}_p50_ms={v[0]:.1f}" for k, v in figures.items())
            + f" floor_ms={floor_ms:.2f} seed_s={seed_s:.0f}"
        )


if __name__ == "__main__":
    main()
