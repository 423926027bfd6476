"""Render N mailing sets into the merged print PDF and compare with WeasyPrint's own floor.

    .venv/bin/python bench/receipts.py [--n 1000] [--chunk 25] [--workers 2] [--out FILE]

Both cores: a process pool renders chunks of sets. Each sheet type's fixed layer (letter
body, receipt frame and wording, one-stop form, 記入例) is rendered once per worker; a chunk is
ONE WeasyPrint document of only the variable layers (font subset once per chunk, font
configuration and stylesheets reused). The parent streams each chunk into the print file as
it arrives (fixed layers stored once as Form XObjects) and shifts the manifests, so memory
does not grow with N: run with --n 200 and --n 1000 and compare peak_mb.
The floor is a 100-page minimal Japanese document rendered in the same run; ratio is our
time per page over the floor's time per page. 40 % of the sets ask for the one-stop form (4
sheets), the rest get 2 sheets (letter + receipt). Last line is machine-readable.

Measured (2 cores shared with other work, load about 1; 1,000 sets = 2,800 pages):
  every sheet laid out per set, chunks merged with pypdf:
      43.2 s, 26.1 ms CPU per page, ratio 9.3, 7.7 MB, peak 711 MB (503 MB at N=200)
  form overlay (fixed layers once per process), streamed writer, no margin boxes,
  workers forked with the app:
      10.8 s, 7.6 ms CPU per page, ratio 2.7, 3.0 MB, peak 384 MB (384 MB at N=200)
2026-12-02, on a machine at load ≈ 10 (wall times mean little; CPU ratios hold):
  before: 323.6 s, 24.9 ms CPU per page, ratio 5.54, peak RSS 453 MB (parent + largest worker)
  the one-stop form's name and amount set in the fixed layer's own sizes (13 / 11 pt, not
  14 / 12 pt, which overflowed every slot: every chunk with a one-stop set was laid out twice,
  and those values always printed in the smaller type): 178.9 s, 17.0 ms, ratio 3.51
  + fonts, stylesheets and fixed layers laid out in the parent before the pool forks:
      129.8 s, 14.4 ms, ratio 2.70; peak PSS (parent + both workers) 385 MB at --chunk 50,
      548 MB at --chunk 200
  + the parent's heap frozen while the pool forks (gc.freeze): 12.4 ms, ratio 2.96, 360 MB
    PSS at --chunk 100; --chunk 50: 306 MB; --chunk 25 (now the default, as CHUNK in
    portal.receipts.batches): 25.3 s at load ≈ 3, 11.1 ms CPU per page, ratio 2.61, 266 MB
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app
from portal.documents.mailing import (
    City,
    MailingSet,
    RenderedBatch,
    render_batch,
    warm_fixed_layers,
    write_batches,
)

SURNAMES = ["山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡邉", "中村", "小林", "齋藤"]
GIVEN = ["太郎", "花子", "一郎", "美咲", "健太", "陽菜", "翔", "さくら", "大輔", "結衣"]
METHODS = ["クレジットカード", "銀行振込", "現金書留", "コンビニ払い"]

_app = None


def make_set(i: int) -> MailingSet:
    onestop = i % 5 < 2
    received = date(2026, 12, 1) + timedelta(days=i % 31)
    return MailingSet(
        set_id=f"B2027-0001-{i + 1:05d}",
        donor_name=f"{SURNAMES[i % 10]} {GIVEN[(i // 10) % 10]}",
        postal_code=f"{7270000 + i % 1000:07d}",
        address=f"広島県庄原市東本町{i % 9 + 1}丁目{i % 20 + 1}番{i % 7 + 1}号\nふるさと荘{i % 300 + 101}号室",
        donation_number=f"D2026-{i + 1:07d}",
        amount=10000 * (1 + i % 10),
        received_on=received,
        payment_method=METHODS[i % 4],
        receipt_number=f"2026-{i + 1:06d}",
        issued_on=date(2027, 1, 8),
        reissued=i % 50 == 0,
        reissued_on=date(2027, 2, 1) if i % 50 == 0 else None,
        onestop_requested=onestop,
        donor_phone=f"090-{i % 10000:04d}-{(i * 7) % 10000:04d}",
        donor_kana="ヤマダ タロウ",
    )


def _worker_app():
    global _app
    if _app is None:
        _app = create_app()
    return _app


def render_chunk(bounds: tuple[int, int]) -> RenderedBatch:
    with _worker_app().app_context():
        return render_batch([make_set(i) for i in range(*bounds)])


FLOOR_PAGE = (
    '<section class="p"><p>寄附金受領証明書　{i}</p>'
    "<p>上記の金額を寄附金として受領したことを証明します。</p></section>"
)


def floor_per_page(pages: int = 100) -> float:
    """WeasyPrint's own CPU time per page: a minimal Japanese page, same font, one document."""
    from weasyprint import CSS, HTML

    from portal.documents.rendering import _engine, _fewer_gc_passes, font_face_css

    engine = _engine()
    css = CSS(
        string=font_face_css()
        + '@page{size:A4;margin:20mm} html{font-family:"IPAexMincho"} .p{break-after:page}',
        url_fetcher=engine.fetcher,
        font_config=engine.font_config,
    )
    html = "<html lang=ja><body>" + "".join(FLOOR_PAGE.format(i=i) for i in range(pages))
    html += "</body></html>"
    HTML(string=html).render(stylesheets=[css], font_config=engine.font_config).write_pdf()
    start = time.process_time()
    with _fewer_gc_passes():  # same GC setting as our renders: compare like with like
        doc = HTML(string=html).render(stylesheets=[css], font_config=engine.font_config)
        doc.write_pdf()
    elapsed = time.process_time() - start
    assert len(doc.pages) == pages
    return elapsed / pages


def peak_mb() -> tuple[float, float, float]:
    """(self + largest worker, self, largest worker) in MB; ru_maxrss is in KiB on Linux."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own + children, own, children


class PssSampler:
    """The largest sum of proportional set sizes (parent + pool workers) seen while the job
    runs: memory actually in use, each shared page counted once across the processes. (A
    sample reads /proc/PID/smaps_rollup, not free: its CPU is kept out of `parent_cpu`.)"""

    def __init__(self, pool: ProcessPoolExecutor) -> None:
        self.pool = pool
        self.peak = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _pss_mb(pid: int) -> float:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def _run(self) -> None:
        while not self._done.wait(0.5):
            pids = [os.getpid(), *(self.pool._processes or {})]
            self.peak = max(self.peak, sum(self._pss_mb(p) for p in pids))

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--chunk", type=int, default=25)  # portal.receipts.batches.CHUNK
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-receipts.pdf"))
    args = parser.parse_args()

    bounds = [(a, min(a + args.chunk, args.n)) for a in range(0, args.n, args.chunk)]
    _worker_app()  # forked workers inherit the app, as in portal.receipts.batches
    start = time.perf_counter()
    parent_cpu = time.thread_time()  # this thread only: not the memory sampler's
    with _worker_app().app_context():  # and the fonts, stylesheets and fixed layers, likewise
        warm_fixed_layers((make_set(i) for i in range(args.n)), City.from_config())
    gc.collect()  # the inherited heap frozen while the workers fork, as in portal.receipts.batches
    gc.freeze()
    with ProcessPoolExecutor(max_workers=args.workers) as pool, args.out.open("wb") as fh:
        sampler = PssSampler(pool)
        chunks = pool.map(render_chunk, bounds)  # submits every chunk: the workers are forked
        gc.unfreeze()
        manifest = write_batches(chunks, fh)
        sampler.stop()
    elapsed = time.perf_counter() - start
    pages = manifest[-1].last_page
    parent_cpu = time.thread_time() - parent_cpu
    job_peak = peak_mb()  # before the floor's render below raises the parent's own peak
    assert manifest[-1].set_id == make_set(args.n - 1).set_id
    assert pages == sum(make_set(i).sheet_count for i in range(args.n))

    with _worker_app().app_context():
        floor = floor_per_page()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    worker_cpu = children.ru_utime + children.ru_stime
    # the workers' CPU and the parent's own after the app start (fixed layers, streaming)
    ours_per_page_cpu = (worker_cpu + parent_cpu) / pages
    ratio = ours_per_page_cpu / floor

    sets_per_s = args.n / elapsed
    size = args.out.stat().st_size
    print(f"sets={args.n} pages={pages} chunk={args.chunk} workers={args.workers}")
    print(f"wall {elapsed:.2f} s (render, stream into the print file)")
    print(
        f"{sets_per_s:.1f} sets/s, {pages / elapsed:.1f} pages/s, pdf {size / 1e6:.1f} MB "
        f"({size / pages / 1e3:.1f} kB per page) -> {args.out}"
    )
    print(
        f"per page: ours {ours_per_page_cpu * 1000:.1f} ms CPU (workers {worker_cpu:.1f} s, "
        f"parent {parent_cpu:.1f} s CPU), "
        f"floor {floor * 1000:.1f} ms CPU "
        f"(100-page minimal Japanese document), ratio {ratio:.2f}"
    )
    total, own, worker = job_peak
    print(
        f"peak memory {sampler.peak:.0f} MB PSS (parent + workers, sampled every 0.5 s; "
        f"peak RSS: parent {own:.0f} MB + largest worker {worker:.0f} MB = {total:.0f} MB, "
        "which counts the pages a forked worker shares with the parent twice)"
    )
    print(
        f"bench receipts sets={args.n} sets_per_s={sets_per_s:.1f} "
        f"pages_per_s={pages / elapsed:.1f} ratio={ratio:.2f} peak_mb={sampler.peak:.0f} peak_rss_mb={total:.0f}"
    )


if __name__ == "__main__":
    main()
