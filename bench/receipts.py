"""Render N mailing sets into the merged print PDF and compare with WeasyPrint's own floor.

    .venv/bin/python bench/receipts.py [--n 1000] [--chunk 25] [--workers 2] [--repeat 3]
        [--floor-sets 100] [--out FILE]

Both cores: a process pool renders chunks of sets. Each sheet type's fixed layer (letter
body, receipt frame and wording, one-stop form, 記入例) is rendered once per job; a chunk is
ONE WeasyPrint document of only the variable layers (font subset once per chunk, font
configuration and stylesheets reused). The parent streams each chunk into the print file as
it arrives (fixed layers stored once as Form XObjects) and shifts the manifests, so memory
does not grow with N: run with --n 200 and --n 1000 and compare peak_mb.
The job runs --repeat times in the same process (fixed layers laid out afresh each run);
CPU is the parent thread's plus the workers reaped in that run (RUSAGE_CHILDREN).
The floor is WeasyPrint alone on the same pages: the variable layer of the first
--floor-sets sets, same template, stylesheet, fonts and chunk size, HTML built before the
clock, then only render() + write_pdf() (margin boxes skipped, as in the job) — no database,
no per-set Python, no overlay, no pool. Also --repeat runs; ratio is min(ours) / min(floor).
ratio_minimal is against the old floor (a 100-page two-line document, not our pages: it
swung 2.5-5.6 ms between runs of one process), kept to compare with the figures below.
40 % of the sets ask for the one-stop form (4 sheets), the rest get 2 sheets (letter +
receipt). Last line is machine-readable.

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
2026-12-03, 2 cores shared with three other engineers (load average 3.3-5.4 during the runs;
wall times mean little, CPU per page holds to a few %):
  old bench (one run, old floor): wall 33.6 s, 6.5 ms CPU per page, floor 2.6 ms, ratio 2.53,
  277 MB PSS
  this bench, --n 1000 (unchanged render path): ours 6.25-6.42 ms CPU per page (17.9-18.0 s
  CPU in all), floor 5.07-5.12 ms, ratio 1.23 (ratio_minimal 2.53, old floor 2.47-3.05 ms);
  wall 17.9-29.2 s; 275 MB PSS. --chunk 50: 6.40-6.58 ms, ratio 1.27, 303 MB: 25 stays.
  Where the 1.2 ms per page over the floor goes (one process, 200 sets): variable HTML and
  values 0.22 ms, overlay of the fixed layers 0.22, overflow check 0.03, gc.collect per chunk
  0.04 (dropping it or collecting generation 1 only: no change in CPU, faults or RSS); the
  rest is the workers' page faults (0.3-0.4 ms of system time per page, the floor's 0.1) and
  the parent (0.1 ms: fixed layers, streaming). Template compile, seal image, font
  configuration and stylesheets are already once per process; DEFAULT_OPTIONS already have
  full_fonts, hinting, optimize_images off and compression on.
  So 8 s for 1,000 sets is out of reach on 2 cores: WeasyPrint alone is 5.1 ms x 2,800 pages
  = 14.2 s CPU (7.1 s on two idle cores), the job 17.9 s (>= 9 s).
  Not measured here (no database in this bench): the job's hold check, values and page
  numbers read items, receipts and donations in one SELECT each instead of about three per
  envelope; 300 sets on PostgreSQL, one walk: 156-165 ms -> 11-15 ms.
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
    VARIABLE_STYLESHEET,
    City,
    MailingSet,
    RenderedBatch,
    clear_fixed_layers,
    render_batch,
    render_html,
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


def minimal_floor_per_page(pages: int = 100) -> float:
    """The old floor, kept for comparison with earlier figures: CPU per page of a minimal
    Japanese page (two short lines, same font), 100 pages in one document, public API."""
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
    start = time.process_time()
    with _fewer_gc_passes():  # same GC setting as our renders: compare like with like
        doc = HTML(string=html).render(stylesheets=[css], font_config=engine.font_config)
        doc.write_pdf()
    elapsed = time.process_time() - start
    assert len(doc.pages) == pages
    return elapsed / pages


def template_floor_per_page(sets: list[MailingSet], chunk: int) -> tuple[float, int]:
    """WeasyPrint's own CPU per page for the pages the job prints: the variable layer of the
    same sets (same template, stylesheet, fonts, chunks of the same size, one document per
    chunk), its HTML built before the clock starts, then only `HTML(...).render(...)` and
    `write_pdf()` with the process's font configuration and parsed stylesheet. No database,
    no per-set Python (values, QR codes, overflow check), no overlay of the fixed layers, no
    pool, no merged file. Margin boxes are skipped as in the job (rendering.layout): that is
    a WeasyPrint setting, not work of ours. Returns (seconds per page, pages)."""
    from weasyprint import HTML

    from portal.documents.rendering import STATIC_DIR, _engine, stylesheet, watched
    from portal.documents.weasy_internals import without_margin_boxes

    engine = _engine()
    city = City.from_config()
    css = stylesheet(VARIABLE_STYLESHEET)
    htmls = [render_html(sets[a : a + chunk], city, {}) for a in range(0, len(sets), chunk)]
    pages = 0
    start = time.process_time()
    with watched(), without_margin_boxes():  # watched(): the job's GC thresholds, too
        for html in htmls:
            doc = HTML(
                string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=engine.fetcher
            ).render(stylesheets=[css], font_config=engine.font_config)
            doc.write_pdf()
            pages += len(doc.pages)
            del doc
    elapsed = time.process_time() - start
    assert pages == sum(s.sheet_count for s in sets)
    return elapsed / pages, pages


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


def run_job(args: argparse.Namespace) -> dict[str, float]:
    """One whole print job as portal.receipts.batches runs it (fixed layers laid out afresh,
    the pool forked, chunks streamed into the print file); CPU of the parent thread plus the
    workers it reaped."""
    bounds = [(a, min(a + args.chunk, args.n)) for a in range(0, args.n, args.chunk)]
    clear_fixed_layers()  # each run lays out its fixed layers, as a job does
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    parent_cpu = time.thread_time()  # this thread only: not the memory sampler's
    with _worker_app().app_context():  # fonts, stylesheets and fixed layers before the fork
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
    parent_cpu = time.thread_time() - parent_cpu
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's workers, joined
    worker_cpu = (children.ru_utime + children.ru_stime) - (reaped.ru_utime + reaped.ru_stime)
    pages = manifest[-1].last_page
    assert manifest[-1].set_id == make_set(args.n - 1).set_id
    assert pages == sum(make_set(i).sheet_count for i in range(args.n))
    return {
        "wall": elapsed,
        "cpu": worker_cpu + parent_cpu,
        "worker_cpu": worker_cpu,
        "parent_cpu": parent_cpu,
        "pages": pages,
        "pss": sampler.peak,
    }


def spread(values: list[float], scale: float = 1.0, fmt: str = ".1f") -> str:
    lo, hi = min(values) * scale, max(values) * scale
    return f"{lo:{fmt}}" if f"{lo:{fmt}}" == f"{hi:{fmt}}" else f"{lo:{fmt}}-{hi:{fmt}}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--chunk", type=int, default=25)  # portal.receipts.batches.CHUNK
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the job and of each floor")
    parser.add_argument("--floor-sets", type=int, default=100)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-receipts.pdf"))
    args = parser.parse_args()

    _worker_app()  # forked workers inherit the app, as in portal.receipts.batches
    print(f"sets={args.n} chunk={args.chunk} workers={args.workers} repeat={args.repeat}")
    runs = []
    for k in range(args.repeat):
        run = run_job(args)
        runs.append(run)
        print(
            f"run {k + 1}: wall {run['wall']:.2f} s, CPU {run['cpu']:.2f} s (workers "
            f"{run['worker_cpu']:.2f} + parent {run['parent_cpu']:.2f}), "
            f"{run['cpu'] / run['pages'] * 1000:.2f} ms CPU per page, {run['pss']:.0f} MB PSS"
        )
    job_peak = peak_mb()  # before the floors' renders raise the parent's own peak
    pages = int(runs[0]["pages"])
    walls = [r["wall"] for r in runs]
    ours = [r["cpu"] / pages for r in runs]

    floor_sets = [make_set(i) for i in range(min(args.floor_sets, args.n))]
    with _worker_app().app_context():
        template_floor_per_page(floor_sets[: args.chunk], args.chunk)  # warm-up
        floors, floor_pages = [], 0
        for _ in range(args.repeat):
            per_page, floor_pages = template_floor_per_page(floor_sets, args.chunk)
            floors.append(per_page)
        minimal = [minimal_floor_per_page() for _ in range(args.repeat)]
    ratio = min(ours) / min(floors)
    ratio_minimal = min(ours) / min(minimal)

    size = args.out.stat().st_size
    best = min(walls)
    print(
        f"pages={pages}, pdf {size / 1e6:.1f} MB ({size / pages / 1e3:.1f} kB per page) -> {args.out}"
    )
    print(
        f"wall {spread(walls, fmt='.2f')} s over {args.repeat} runs, best "
        f"{args.n / best:.1f} sets/s, {pages / best:.1f} pages/s"
    )
    print(
        f"CPU per page: ours {spread(ours, 1000, '.2f')} ms (workers + parent); "
        f"floor {spread(floors, 1000, '.2f')} ms (WeasyPrint alone on the same variable "
        f"pages: {len(floor_sets)} sets, {floor_pages} pages, chunks of {args.chunk}); "
        f"ratio of the minima {ratio:.2f}"
    )
    print(
        f"old floor (100-page minimal Japanese document) {spread(minimal, 1000, '.2f')} ms: "
        f"ratio {ratio_minimal:.2f}"
    )
    peak = max(r["pss"] for r in runs)
    total, own, worker = job_peak
    print(
        f"peak memory {peak:.0f} MB PSS (parent + workers, sampled every 0.5 s, largest run; "
        f"peak RSS: parent {own:.0f} MB + largest worker {worker:.0f} MB = {total:.0f} MB, "
        "which counts the pages a forked worker shares with the parent twice)"
    )
    print(
        f"bench receipts sets={args.n} wall_s={best:.2f} sets_per_s={args.n / best:.1f} "
        f"pages_per_s={pages / best:.1f} cpu_ms_per_page={min(ours) * 1000:.2f} "
        f"floor_ms_per_page={min(floors) * 1000:.2f} ratio={ratio:.2f} "
        f"ratio_minimal={ratio_minimal:.2f} peak_mb={peak:.0f} peak_rss_mb={total:.0f}"
    )


if __name__ == "__main__":
    main()
