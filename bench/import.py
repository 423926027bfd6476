"""Import benchmark: N donations (default 100,000; ~20% with two gift lines) as a CP932 file,
imported through the real engine, beside a raw Core executemany of the same rows (the floor).

    .venv/bin/python bench/import.py [N] [--url postgresql+psycopg://…]

Without --url it uses a fresh SQLite file. Last line:
`bench import donations=N per_s=… ratio=… peak_mb=…` (ratio = import time / floor time;
peak_mb = peak resident memory of the process).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

HEADER = (
    "受付番号,寄附日,入金日,決済方法,寄附金額,氏名,フリガナ,郵便番号,住所,電話番号,メールアドレス,"
    "返礼品コード,数量,配送先氏名,配送先郵便番号,配送先住所,配送先電話番号,寄附使途,ワンストップ希望,"
    "受領証明書要否,氏名公表,応援メッセージ"
)


def generate(path: Path, n: int) -> int:
    rows = 0
    with path.open("w", encoding="cp932", newline="") as f:
        f.write(HEADER + "\r\n")
        for i in range(n):
            codes = ("BN-001", "BN-002") if i % 5 == 0 else ("BN-001",)
            paid = "2026/12/02" if i % 3 else ""
            for code in codes:
                f.write(
                    f"B{i:07d},2026/12/01,{paid},クレジットカード,20000,庄原 太郎{i % 100},"
                    f'ショウバラ タロウ,〒７２７−００１１,"広島県庄原市東本町{i % 50}-{i % 9}",'
                    f"0824-72-{i % 10000:04d},donor{i}@example.jp,{code},1,,,,,市長におまかせ,"
                    f"する,要,しない,応援しています\r\n"
                )
                rows += 1
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL"))
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
    url = args.url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["DATABASE_URL"] = url

    from flask_migrate import upgrade

    from portal import create_app
    from portal.accounts.models import Supplier
    from portal.donations.importers import import_file
    from portal.extensions import db
    from portal.gifts.models import Gift, GiftStatus

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        upgrade(revision="heads")
        supplier = Supplier(code="B001", name="ベンチ事業者", address="庄原市")
        db.session.add(supplier)
        for code in ("BN-001", "BN-002"):
            db.session.add(
                Gift(
                    code=code,
                    name=code,
                    supplier=supplier,
                    required_amount=10000,
                    procurement_cost=3000,
                    status=GiftStatus.LISTED,
                )
            )
        db.session.commit()

        path = tmp / "donations.csv"
        rows = generate(path, args.n)
        print(f"file rows={rows} bytes={path.stat().st_size}", flush=True)

        # Floor: a raw Core executemany of the same rows into a scratch table.
        scratch = sa.Table(
            "bench_floor",
            sa.MetaData(),
            sa.Column("id", sa.Integer, primary_key=True),
            *(sa.Column(f"c{i}", sa.String) for i in range(22)),
        )
        scratch.create(db.engine)
        import csv

        t0 = time.perf_counter()
        with path.open(encoding="cp932", newline="") as f, db.engine.begin() as conn:
            reader = csv.reader(f)
            next(reader)
            batch = []
            for row in reader:
                batch.append({f"c{i}": v for i, v in enumerate(row)})
                if len(batch) == 10_000:
                    conn.execute(scratch.insert(), batch)
                    batch = []
            if batch:
                conn.execute(scratch.insert(), batch)
        floor = time.perf_counter() - t0
        print(f"floor executemany rows={rows} seconds={floor:.2f}", flush=True)

        t0 = time.perf_counter()
        result = import_file(db.session, "standard", path, commit=db.session.commit, batch=1000)
        db.session.commit()
        took = time.perf_counter() - t0
        print(f"import {result.summary()} seconds={took:.2f}", flush=True)
        db.engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    dialect = url.split(":", 1)[0]
    print(f"database={dialect}")
    print(
        f"bench import donations={args.n} per_s={args.n / took:.0f} "
        f"ratio={took / floor:.1f} peak_mb={peak_mb:.0f}"
    )


if __name__ == "__main__":
    main()
