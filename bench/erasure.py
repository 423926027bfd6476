"""Erasure benchmark: N old donations (default 100,000), each with a timeline event and a
donor notice, erased by `portal.erasure.run.erase` (--before a day after all of them), beside
the floor: one bare UPDATE of the same donation columns over every row, in the same run.

    .venv/bin/python bench/erasure.py [--donations N] [--url postgresql+psycopg://…]

Without --url a fresh SQLite file (with --url the database is emptied first: never a real
one). The erasure runs in a process of its own, so peak_mb is its peak resident memory
(base_mb: the same process before it started); flat in N means the batches bound it. Last
line: `bench erasure donations=N seconds=… cpu_s=… per_s=… floor_s=… ratio=… peak_mb=…
base_mb=…` (ratio = erasure time / the floor's, both in this run).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

CHUNK = 2_000


def rss_mb() -> float:
    """Peak resident memory of this process image (VmHWM: unlike ru_maxrss it does not carry
    the parent's peak across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def seed(session: sa.orm.Session, n: int) -> None:
    from portal.erasure.registry import table

    d, ev = table("donation"), table("timeline_event")
    now = datetime(2018, 6, 1, tzinfo=UTC)
    for start in range(0, n, CHUNK):
        ids = range(start + 1, min(n, start + CHUNK) + 1)
        session.execute(
            sa.insert(d),
            [
                {
                    "id": i, "donation_no": f"2018-{i:07d}", "portal": "choice",
                    "portal_order_no": f"B{i}", "state": "paid", "donor_name": f"庄原 太郎{i}",
                    "donor_kana": "ショウバラ タロウ", "postal_code": "7270011",
                    "address": f"広島県庄原市東本町{i % 50}-{i % 9}", "phone": f"0824-72-{i % 10000:04d}",
                    "email": f"donor{i}@example.jp", "amount": 10000, "applied_on": date(2018, 5, 1),
                    "payment_method": "card", "payment_state": "paid", "message": "応援しています",
                    "search_name": f"庄原太郎{i}", "search_phone": f"082472{i % 10000:04d}",
                    "search_email": f"donor{i}@example.jp", "created_at": now, "updated_at": now,
                }
                for i in ids
            ],
        )  # fmt: skip
        session.execute(
            sa.insert(ev),
            [
                {"subject_type": "donation", "subject_id": i, "kind": "donation.updated",
                 "at": now, "data": {"fields": ["address"], "reason": "住所変更 庄原様"},
                 "public": False}
                for i in ids
            ],
        )  # fmt: skip
        session.commit()


def make_app(url: str, tmp: str) -> Any:
    from portal import create_app

    return create_app(
        {
            "TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_STORAGE_URI": "memory://", "UPLOAD_DIR": f"{tmp}/uploads",
            "DOCUMENT_DIR": f"{tmp}/documents",
        }
    )  # fmt: skip


def erase_only(url: str, tmp: str, n: int) -> None:
    """In a process of its own, so its peak memory is the erasure's (plus the app's)."""
    from portal.erasure import policy
    from portal.erasure.run import erase
    from portal.extensions import db

    app = make_app(url, tmp)
    with app.app_context():
        session = db.session()
        session.execute(sa.text("SELECT 1"))
        base_mb = rss_mb()
        cutoffs = policy.before(date(2030, 1, 1), datetime.now(UTC))
        t0, c0 = time.perf_counter(), time.process_time()
        outcome = erase(session, cutoffs, config=dict(app.config))
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert outcome.counts["donation"] == n, outcome.counts
        print(
            f"erase seconds={seconds:.2f} cpu_s={cpu:.2f} peak_mb={rss_mb():.0f} base_mb={base_mb:.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--donations", type=int, default=100_000)
    parser.add_argument("--url", default="")
    parser.add_argument("--erase-only", default="", help=argparse.SUPPRESS)  # the tmp folder
    args = parser.parse_args()
    if args.erase_only:
        erase_only(args.url, args.erase_only, args.donations)
        return
    tmp = tempfile.TemporaryDirectory()
    url = args.url or f"sqlite:///{tmp.name}/bench.sqlite3"
    from portal.extensions import db

    app = make_app(url, tmp.name)
    from flask_migrate import downgrade, upgrade

    with app.app_context():
        if args.url:
            downgrade(revision="base")
        upgrade()
        from portal.erasure.registry import table

        session = db.session()
        t0 = time.perf_counter()
        seed(session, args.donations)
        print(f"seeded {args.donations} donations in {time.perf_counter() - t0:.1f} s")
        session.close()
        db.engine.dispose()
        out = subprocess.run(
            [sys.executable, __file__, "--donations", str(args.donations), "--url", url,
             "--erase-only", tmp.name],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        line = next(x for x in out.splitlines() if x.startswith("erase "))
        print(line)
        figures = dict(part.split("=") for part in line.split()[1:])
        seconds = float(figures["seconds"])
        d = table("donation")
        t0 = time.perf_counter()
        session.execute(
            sa.update(d).values(
                donor_name="x", donor_kana="", postal_code="", address="", phone="", email="",
                message="", search_name="", search_phone="", search_email="",
            )
        )  # fmt: skip
        session.commit()
        floor = time.perf_counter() - t0
        db.engine.dispose()
    print(
        f"bench erasure donations={args.donations} seconds={seconds:.2f} "
        f"cpu_s={figures['cpu_s']} per_s={args.donations / seconds:.0f} floor_s={floor:.2f} "
        f"ratio={seconds / floor:.1f} peak_mb={figures['peak_mb']} base_mb={figures['base_mb']}"
    )


if __name__ == "__main__":
    main()
