"""Handover export benchmark: N donations (default 200,000; `--rows 1000000` for the issue's
size) in a fresh SQLite file, exported by the real `export_all` (CSV + streaming xlsx + digests),
beside the floor: a bare cursor read of the same rows in the same kind of process.

    .venv/bin/python bench/handover.py [--rows N]

Each phase runs in its own process, so each peak resident memory is its own: the floor process
loads the same modules (the app) and only reads. The export also runs at N/4: memory that is
bounded is the same at N/4 and N. Last line:
`bench handover rows=N seconds=… rows_per_s=… peak_mb=… peak_mb_quarter=… floor_s=…
floor_peak_mb=… ratio=…` (ratio = export seconds / floor seconds, both measured in this run).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _app(url: str):  # type: ignore[no-untyped-def]
    from portal import create_app

    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
         "RATELIMIT_STORAGE_URI": "memory://"}
    )  # fmt: skip


def seed(url: str, n: int) -> None:
    import sqlalchemy as sa

    from portal.extensions import Model, db

    app = _app(url)
    with app.app_context():
        Model.metadata.create_all(db.engine)
        table = Model.metadata.tables["donation"]
        now = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
        batch = []
        with db.engine.begin() as conn:
            for i in range(n):
                batch.append(
                    {
                        "donation_no": f"2026-{i:07d}", "portal": "choice",
                        "portal_order_no": f"C-{i}", "state": "paid",
                        "donor_name": f"庄原 太郎{i % 100}", "donor_kana": "ショウバラ タロウ",
                        "postal_code": "7270011", "address": f"広島県庄原市東本町{i % 50}-{i % 9}",
                        "phone": f"0824-72-{i % 10000:04d}", "email": f"donor{i}@example.jp",
                        "amount": 20000, "applied_on": date(2026, 12, 1),
                        "payment_method": "card", "payment_state": "paid",
                        "paid_on": date(2026, 12, 2), "received_on": date(2026, 12, 2),
                        "purpose": "市長におまかせ", "message": "=応援しています" if i % 97 == 0 else "",
                        "created_at": now, "updated_at": now,
                    }
                )  # fmt: skip
                if len(batch) == 5000:
                    conn.execute(sa.insert(table), batch)
                    batch = []
            if batch:
                conn.execute(sa.insert(table), batch)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_export(url: str, out: Path) -> dict[str, float]:
    from portal.extensions import Model, db
    from portal.handover.export import export_all

    app = _app(url)
    with app.app_context():
        start = time.perf_counter()
        manifest = export_all(db.engine, Model.metadata, out)
        seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "rows": manifest["tables"]["donation"]["rows"],
        "peak_mb": peak_mb(),
    }


def phase_floor(url: str) -> dict[str, float]:
    import sqlalchemy as sa

    _app(url)  # the same modules loaded, for a fair memory floor
    engine = sa.create_engine(url)
    start = time.perf_counter()
    rows = 0
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        cur = raw.cursor()  # type: ignore[union-attr]
        cur.execute("SELECT * FROM donation ORDER BY id")
        while chunk := cur.fetchmany(2000):
            rows += len(chunk)
    return {"seconds": time.perf_counter() - start, "rows": rows, "peak_mb": peak_mb()}


def child(*args: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--phase", choices=["export", "floor", "seed"])
    parser.add_argument("--url")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.phase == "seed":
        seed(args.url, args.rows)
        print(json.dumps({}))
        return
    if args.phase == "export":
        print(json.dumps(phase_export(args.url, Path(args.out))))
        return
    if args.phase == "floor":
        print(json.dumps(phase_floor(args.url)))
        return

    work = Path(tempfile.mkdtemp(prefix="bench-handover-"))
    try:
        results = {}
        for label, n in (("quarter", args.rows // 4), ("full", args.rows)):
            url = f"sqlite:///{work / label}.sqlite3"
            t0 = time.perf_counter()
            child("--phase", "seed", "--url", url, "--rows", str(n))
            print(f"seeded {n} donations in {time.perf_counter() - t0:.1f} s", flush=True)
            floor = child("--phase", "floor", "--url", url)
            export = child("--phase", "export", "--url", url, "--out", str(work / f"{label}-out"))
            assert export["rows"] == floor["rows"] == n, (export, floor)
            results[label] = (export, floor)
            print(
                f"{label}: rows={n} export {export['seconds']:.1f} s "
                f"({n / export['seconds']:.0f} rows/s) peak {export['peak_mb']:.0f} MB; "
                f"floor read {floor['seconds']:.2f} s peak {floor['peak_mb']:.0f} MB",
                flush=True,
            )
        export, floor = results["full"]
        quarter = results["quarter"][0]
        size = sum(p.stat().st_size for p in (work / "full-out").iterdir()) / 1e6
        print(f"files: {size:.0f} MB for {args.rows} donations")
        print(
            f"bench handover rows={args.rows} seconds={export['seconds']:.1f} "
            f"rows_per_s={args.rows / export['seconds']:.0f} peak_mb={export['peak_mb']:.0f} "
            f"peak_mb_quarter={quarter['peak_mb']:.0f} floor_s={floor['seconds']:.2f} "
            f"floor_peak_mb={floor['peak_mb']:.0f} "
            f"ratio={export['seconds'] / floor['seconds']:.1f}"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
