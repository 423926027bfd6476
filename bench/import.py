"""Import benchmark: N donations (default 100,000; ~20% with two gift lines) as a CP932 file,
imported through the real engine, beside a raw Core executemany of the same rows (the floor).

    .venv/bin/python bench/import.py [N] [--url postgresql+psycopg://…] [--format F]

Formats: `standard` (the standard CSV, 22 columns) and `rakuten` (the RMS 楽天ペイ受注管理
受注CSV, 107 columns in the fixture's real header order, one row per 商品明細 with 合計金額
repeated, 項目・選択肢 with line breaks, addresses and phones in parts, ~1/1000 orders
キャンセル確定); `both` (the default) runs each in its own process on a fresh database (so
peak memory is per format). Without --url it uses a fresh SQLite file. One line per format:
`bench import format=F donations=N per_s=… seconds=… floor_s=… ratio=… cpu_s=… floor_cpu_s=…
cpu_ratio=… peak_mb=…`: ratio = import time / floor time, both measured in the same run (the
machine is shared); cpu_s, floor_cpu_s and cpu_ratio = the same in CPU time of this process,
which a busy machine disturbs less; peak_mb = peak resident memory during the import (the
floor runs after it). Before it, a `steps cpu_s_per_100k parse=… bulk_python=… sql=… commit=…
read_group_other=…` line: where the import's CPU went (see `_Steps`). With `both` a last line
with both formats' figures.

Figures, 2026-12-03, 2 cores shared with three other engineers (load average given per run;
wall figures move 2x with it, CPU figures about 10%):

    .venv/bin/python bench/import.py 100000 [--format standard] [--url …/wt_3]

  before (a973d54), SQLite standard, load 0.4-4: 18.4 s wall, floor 4.65 s, ratio 4.0,
    cpu 8.6 s / floor 2.4 s = 3.6, peak 182 MB; 楽天 28.1 s, ratio 1.5, cpu_ratio 1.4, 184 MB.
    Quiet minute: 8.5-9.4 s wall, cpu 8.1 s, cpu_ratio 3.6-3.8.
  before, PostgreSQL (load 2.8): standard 19.4 s, floor 3.5 s, cpu 7.2 s, cpu_ratio 2.2,
    171 MB; 楽天 19.8 s, floor 16.7 s, ratio 1.2, cpu_ratio 1.0, 175 MB.
  before/after interleaved in one busy minute (SQLite standard, load 6-8):
    before cpu 8.77 / 9.55 s (cpu_ratio 3.7 / 3.9), after 8.44 / 9.00 s (3.4 / 3.6).
  after, quiet minute (load 0.5-1.9): SQLite standard 8.9 s, floor 2.4 s, ratio 3.7,
    cpu 8.5 s, cpu_ratio 3.6, 179 MB; PostgreSQL standard 16.2 s, floor 4.4 s, cpu 7.3 s,
    cpu_ratio 2.0, 170 MB; PostgreSQL 楽天 21.9 s, floor 11.7 s, ratio 1.9, cpu_ratio 1.0, 173 MB.
  Peak memory is flat in N: 182 MB at 50k and 100k (SQLite), 171 MB at 30k, 170 at 100k (PG).

Where it goes, CPU-s per 100,000 standard donations on SQLite (the steps line, and
instrumented runs of bulk.create_donations; cProfile roughly doubles the Python figures and
misplaces small calls, so it only ranked them):
  reading + grouping 0.8-0.9 (csv, cp932, the order key; 楽天 1.9-2.3 for 107 columns);
  parse 1.5-1.6 (cells 0.3, names/addresses/phones/e-mail normalising 0.45, DonationData 0.2,
    gift code 0.3, flags/dates/amounts ~0.3; 楽天 2.8-3.4: nine fields in parts, options);
  donation rows 1.0 (search columns 0.35 after the fold change, the dict copy, numbers);
  donation insert 2.1 (bind processors ~0.6, SQLite executemany 1.4, of which the twelve
    indexes cost 0.8: each 0.07-0.2; the dropped duplicate e-mail index 0.14);
  lines 0.14 + insert 0.6; orders 0.16 + insert 0.6; timeline rows 0.3 + insert 1.0-1.1
    (247k rows, two indexes: 0.33 of it); numbers and stock 0.2; commits 0.43 (100 chunks).
  The GC is not a cost any more (disabling it outright changed nothing).
  PostgreSQL: the same Python (COPY's row formatting is in bulk_python), and the server's
  work is most of the wall time: donation COPY 3.4 s wall for 0.8 s CPU (five trigram GIN
  indexes), lines 2.1 s / 0.3 (foreign-key checks, three indexes), orders 1.8 / 0.4,
  timeline 2.0 / 1.0. psycopg's QueuedLibpqWriter (sending in a thread) did not help.
  Not met: 8 s / 10 s wall and ratio 2.5 for the standard file; 楽天 ratio is under 2.5.

Tried 2026-12-03 (session 10) and not kept: reading and parsing in a read-ahead thread (lists
of 250 parsed donations through a 4-deep queue) while the importer's thread writes, so that
parsing fills the importer's waits for the server. Interleaved runs, 100,000 standard, quiet
machine (load < 1; this machine's floor 4.4-5.0 s on PostgreSQL, 3.0 s on SQLite):
  PostgreSQL  without 21.4 / 21.0 s, with 20.7 / 20.0 s (-4 %, about the runs' spread);
  SQLite      without 10.1 s, with 11.5 s (+14 %; likely the GIL: sqlite3 releases it around
              every row's step, and the parser may then hold it for a switch interval).
Not profiled further; the likely reason for PostgreSQL is that the server's work already
overlaps the client's COPY streaming, leaving short waits (round trips, commits) that a
second Python thread cannot fill.

2026-12-06 (session 11): where PostgreSQL's wall time went, from py-spy --idle and timings of
every statement (100,000 standard): half the wall was waiting for the server, and two of the
waits were the client's own queries, not the COPYs.
  The chunk's which-orders-exist join: on statistics lagging behind the import (a few rows
    estimated for the portal) it was planned as a hash over every donation of the portal, so
    each chunk cost more than the last: 30 ms a chunk at the end, 3.4 s in all. Now a LATERAL
    probe per key (a nested loop whatever the statistics): 0.3 s in all.
  The id reservation called pg_get_serial_sequence for every row: 1.3 s over 300 calls; the
    sequence is now looked up once per call: 0.3 s.
  Interleaved runs, quiet machine (floor 4.5-4.9 s): before 19.1 / 19.5 s (ratio 4.0-4.2),
    after 16.4 / 15.3 s (ratio 3.3-3.5); CPU 9.1-10.1 s either way; peak 172 MB.
  What waits remain, per 100k: the server finishing each COPY (donations 2.2 s: their five
    trigram GIN indexes cost 1.6 s of it, measured by INSERT … SELECT into copies of the
    table; lines 1.6 s, foreign-key checks 0.9 of it; orders 1.3 s; timeline 0.6 s).
    GIN fastupdate off: 11.2 s instead of 2.5 s for the donations; one five-column GIN index
    instead of five, or a 64 MB gin_pending_list_limit: the same 2.6 s. Not changed.
  Tried again and not kept: the read-ahead parsing thread, with sys.setswitchinterval at 5,
    0.5 and 0.2 ms: 15.8-18.5 s against 15.3-18.1 s without, inside the spread. SQLite
    wal_autocheckpoint 16,000 pages: inside the spread (commit 0.61-0.65 s against 0.62-0.75).
  The same code's CPU figures moved 30 % between runs within an hour on this machine (parse
  1.9-2.7 s per 100k), so only interleaved runs compare.
  Why the time goals stay out of reach on 2 cores: PostgreSQL's client alone is 9-11 s of
  CPU per 100k (one core: the GIL), and the server needs ~6 s more of the other; SQLite's
  import is 10-11.5 s of CPU in one thread, of which the sqlite3 library's own work is 3.3-3.8 s
  (550,000 rows into four tables and their 22 indexes) and the commits 0.6-0.8 s.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

HEADER = (
    "受付番号,寄附日,入金日,決済方法,寄附金額,氏名,フリガナ,郵便番号,住所,電話番号,メールアドレス,"
    "返礼品コード,数量,配送先氏名,配送先郵便番号,配送先住所,配送先電話番号,寄附使途,ワンストップ希望,"
    "受領証明書要否,氏名公表,応援メッセージ"
)
ROOT = Path(__file__).resolve().parent.parent
RAKUTEN_FIXTURE = ROOT / "tests" / "fixtures" / "imports" / "rakuten.csv"


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


RAKUTEN_OPTIONS = (
    "寄附金の使い道:自治体におまかせ\r\n"
    "ワンストップ特例申請書:必要（ワンストップ特例申請用）\r\n"
    "受領証明書:必要"
)


def rakuten_header() -> list[str]:
    """The real RMS header, as the fixture has it (read by name, so its order is the file's)."""
    with RAKUTEN_FIXTURE.open(encoding="cp932", newline="") as f:
        return next(csv.reader(f))


def generate_rakuten(path: Path, n: int) -> int:
    header = rakuten_header()
    at = {name: i for i, name in enumerate(header)}
    rows = 0
    with path.open("w", encoding="cp932", newline="") as f:
        writer = csv.writer(f, lineterminator="\r\n")
        writer.writerow(header)
        for i in range(n):
            codes = ("BN-001", "BN-002") if i % 5 == 0 else ("BN-001",)
            if i % 1000 == 999:
                status = "キャンセル確定"
            else:
                status = "発送待ち" if i % 3 else "注文確認待ち"
            method = "銀行振込" if i % 10 == 7 else "クレジットカード"
            order = {
                "注文番号": f"419999-20261201-{i:07d}",
                "ステータス": status,
                "注文日時": "2026-12-01 12:00:00",
                "注文日": "2026-12-01",
                "注文確定日時": "2026-12-02 09:00:00" if status == "発送待ち" else "",
                "支払方法名": method,
                "商品合計金額": "20000",
                "請求金額": "20000",
                "合計金額": "20000",
                "注文者郵便番号1": "727",
                "注文者郵便番号2": "0011",
                "注文者住所都道府県": "広島県",
                "注文者住所郡市区": "庄原市",
                "注文者住所それ以降の住所": f"東本町{i % 50}-{i % 9}\r\nしょうばらハイツ{i % 20}号",
                "注文者姓": "庄原",
                "注文者名": f"太郎{i % 100}",
                "注文者姓カナ": "ショウバラ",
                "注文者名カナ": "タロウ",
                "注文者電話番号1": "0824",
                "注文者電話番号2": "72",
                "注文者電話番号3": f"{i % 10000:04d}",
                "注文者メールアドレス": f"donor{i}@fw.rakuten.ne.jp",
                "送付先郵便番号1": "727",
                "送付先郵便番号2": "0011",
                "送付先住所都道府県": "広島県",
                "送付先住所郡市区": "庄原市",
                "送付先住所それ以降の住所": f"東本町{i % 50}-{i % 9}",
                "送付先姓": "庄原",
                "送付先名": f"太郎{i % 100}",
                "送付先電話番号1": "0824",
                "送付先電話番号2": "72",
                "送付先電話番号3": f"{i % 10000:04d}",
                "項目・選択肢": RAKUTEN_OPTIONS,
                "コメント": "応援しています。\r\n頑張ってください",
            }
            for k, code in enumerate(codes, start=1):
                row = [""] * len(header)
                for name, value in order.items():
                    row[at[name]] = value
                row[at["商品明細ID"]] = f"{k:04d}"
                row[at["商品番号"]] = code
                row[at["商品管理番号"]] = f"f342106-shobara-{code.lower().replace('-', '')}"
                row[at["個数"]] = "1"
                row[at["単価"]] = "20000"
                writer.writerow(row)
                rows += 1
    return rows


GENERATORS = {"standard": generate, "rakuten": generate_rakuten}


class _Steps:
    """CPU seconds per import step, from wrappers put around a few engine functions for the
    timed import only (one wrapper call per donation, chunk or statement: well under 1%).

    parse = Parser.parse (cells, normalising, DonationData); sql = the driver calls of the
    bulk writer's statements (SQLite's executemany; PostgreSQL's COPY runs on the raw
    connection and stays in bulk_python); bulk_python = create_donations less sql (numbers,
    stock, the row dicts, bind processors); commit = one per chunk; read_group_other = the rest
    (decoding and reading the CSV, grouping rows, the existing-order query, cancellations)."""

    def __init__(self) -> None:
        self.cpu = {"parse": 0.0, "bulk": 0.0, "sql": 0.0, "commit": 0.0}
        self._in_bulk = False
        self._undo: list[tuple[Any, str, Any]] = []

    def timed(self, fn: Any, key: str) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if key == "sql" and not self._in_bulk:
                return fn(*args, **kwargs)
            c = time.process_time()
            self._in_bulk = self._in_bulk or key == "bulk"
            try:
                return fn(*args, **kwargs)
            finally:
                self.cpu[key] += time.process_time() - c
                if key == "bulk":
                    self._in_bulk = False

        return timed

    def wrap(self, owner: Any, name: str, key: str) -> None:
        original = getattr(owner, name)
        self._undo.append((owner, name, original))
        setattr(owner, name, self.timed(original, key))

    def restore(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()

    def line(self, cpu: float, n: int) -> str:
        c, per = self.cpu, 100_000 / n
        figures = {
            "parse": c["parse"],
            "bulk_python": c["bulk"] - c["sql"],
            "sql": c["sql"],
            "commit": c["commit"],
            "read_group_other": cpu - c["parse"] - c["bulk"] - c["commit"],
        }
        return "steps cpu_s_per_100k " + " ".join(f"{k}={v * per:.2f}" for k, v in figures.items())


def _step_timers() -> _Steps:
    from portal.donations.importers import engine

    steps = _Steps()
    steps.wrap(engine.Parser, "parse", "parse")
    steps.wrap(engine, "create_donations", "bulk")
    steps.wrap(sa.engine.Connection, "exec_driver_sql", "sql")
    return steps


def run_one(n: int, url: str | None, fmt: str, tmp: Path) -> str:
    """One format on a fresh database; returns its `bench import format=…` line."""
    url = url or f"sqlite:///{tmp / 'bench.sqlite3'}"
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

        path = tmp / f"donations-{fmt}.csv"
        rows = GENERATORS[fmt](path, n)
        print(f"file format={fmt} rows={rows} bytes={path.stat().st_size}", flush=True)

        spent = _step_timers()
        timed_commit = spent.timed(db.session.commit, "commit")
        t0, c0 = time.perf_counter(), time.process_time()
        result = import_file(db.session, fmt, path, commit=timed_commit, batch=1000)
        timed_commit()
        took, cpu = time.perf_counter() - t0, time.process_time() - c0
        spent.restore()
        print(f"import {result.summary()} seconds={took:.2f}", flush=True)
        print(spent.line(cpu, n), flush=True)
        # Peak memory of the import alone (the floor below holds 10,000-row batches).
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        # Floor, after the import: a raw Core executemany of the same rows (every column)
        # into a scratch table, in the same process and minute (the machine is shared).
        with path.open(encoding="cp932", newline="") as f:
            width = len(next(csv.reader(f)))
        scratch = sa.Table(
            "bench_floor",
            sa.MetaData(),
            sa.Column("id", sa.Integer, primary_key=True),
            *(sa.Column(f"c{i}", sa.String) for i in range(width)),
        )
        scratch.create(db.engine)

        t0, c0 = time.perf_counter(), time.process_time()
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
        floor, floor_cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"floor executemany rows={rows} seconds={floor:.2f}", flush=True)

        db.engine.dispose()
    dialect = url.split(":", 1)[0].split("+")[0]
    return (
        f"bench import format={fmt} database={dialect} donations={n} per_s={n / took:.0f} "
        f"seconds={took:.2f} floor_s={floor:.2f} ratio={took / floor:.1f} cpu_s={cpu:.2f} "
        f"floor_cpu_s={floor_cpu:.2f} cpu_ratio={cpu / floor_cpu:.1f} peak_mb={peak_mb:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--format", choices=[*GENERATORS, "both"], default="both")
    args = parser.parse_args()
    if args.format != "both":
        tmp = Path(tempfile.mkdtemp(prefix="bench-import-"))
        print(run_one(args.n, args.url, args.format, tmp), flush=True)
        return
    lines = []
    for fmt in GENERATORS:  # each in its own process: a fresh database, its own peak memory
        cmd = [sys.executable, __file__, str(args.n), "--format", fmt]
        if args.url:
            cmd += ["--url", args.url]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        print(out, end="", flush=True)
        lines.append(out.strip().splitlines()[-1])
    figures = [dict(kv.split("=", 1) for kv in line.split()[2:]) for line in lines]
    both = " ".join(
        f"{f['format']}_{key}={f[key]}"
        for f in figures
        for key in ("per_s", "seconds", "floor_s", "ratio", "cpu_ratio", "peak_mb")
    )
    print(f"bench import database={figures[0]['database']} donations={args.n} {both}")


if __name__ == "__main__":
    main()
