"""Issue due receipts as one print batch: numbers, one merged PDF, manifest, per-donor files.

Two steps, each its own transaction:
1. issue: take the batch lock (the batch counter row, so two runs at once queue up instead of
   printing the same receipt twice), give every due donation its number, collect every
   receipt waiting for print (first issue, 再発行, re-mail), create the batch and its items,
   commit. A failure here rolls everything back, numbers included.
2. render: the sets in chunks (one WeasyPrint document of variable layers per chunk, drawn
   over fixed layers rendered once per process: portal.documents.mailing; a process pool over
   chunks when the batch is large), each chunk streamed into the merged PDF as it arrives,
   progress in the JobRun after each chunk, then the manifest, under
   DOCUMENT_DIR/receipts/<year>/<label>/.
   A failure marks the batch failed; its receipts stay numbered and waiting, so the next run
   prints them (never a number twice, never a gap).

A run with nothing due creates no batch: running the job twice issues nothing twice.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from portal.core.audit import audit
from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.core.jobs import JobRun, JobState, Steps, start_job, tracked
from portal.core.models import utcnow
from portal.core.numbering import next_number
from portal.documents import glyphs
from portal.documents.mailing import (
    City,
    MailingSet,
    ManifestRow,
    RenderedBatch,
    manifest_csv,
    render_batch,
    warm_fixed_layers,
    write_batches,
)
from portal.donations.models import Donation
from portal.receipts.models import (
    BatchStatus,
    ItemKind,
    Receipt,
    ReceiptBatch,
    ReceiptBatchItem,
    ReceiptStatus,
)
from portal.receipts.service import (
    cut_pages,
    document_dir,
    issue_receipt,
    mailing_set_for,
    move_receipt,
    reprint_stmt,
    unissued_stmt,
)

if TYPE_CHECKING:
    from portal.accounts.models import User

log = logging.getLogger(__name__)

JOB_KIND = "receipts.issue"
CHUNK = 25  # sets per variable-layer document. bench/receipts.py, 1,000 sets, 2 workers, PSS
# of parent + workers: 25 → 266 MB, 50 → 306 MB, 100 → 360 MB at the same CPU per page (11–12
# ms); the print file grows a little (a font subset per chunk: 4.0 MB against 3.0 MB at 100)


# --- step 1: numbers and the batch ------------------------------------------------------


def create_batch(
    session: Session,
    *,
    until: date,
    on: date | None = None,
    by_user_id: int | None = None,
    job_run_id: int | None = None,
) -> ReceiptBatch | None:
    """Issue every due receipt and gather every waiting one into a new batch (None: nothing)."""
    on = on or today_jst()
    with session.begin_nested() as savepoint:
        # The batch counter row is the lock: a concurrent run waits here until this commits.
        seq = next_number(session, "receipt_batch", str(on.year))
        for donation in session.scalars(unissued_stmt(until)).all():
            issue_receipt(session, donation, on=on)
        session.flush()
        waiting = list(session.scalars(reprint_stmt()))
        if not waiting:
            savepoint.rollback()  # no batch: the batch number goes back too
            return None
    label = f"B{on.year}-{seq:04d}"
    batch = ReceiptBatch(
        label=label,
        created_by_id=by_user_id,
        until=until,
        count=len(waiting),
        job_run_id=job_run_id,
    )
    session.add(batch)
    session.flush()
    for position, receipt in enumerate(waiting, start=1):
        session.add(
            ReceiptBatchItem(
                batch_id=batch.id,
                receipt_id=receipt.id,
                position=position,
                set_id=f"{label}-{position:05d}",
                kind=receipt.print_kind,
            )
        )
    session.flush()
    return batch


def load_items(session: Session, batch: ReceiptBatch) -> list[ReceiptBatchItem]:
    """The batch's envelopes in order, each with its receipt and donation, in ONE SELECT (and
    set as `batch.items`). Walking `batch.items` after a commit instead (the job commits after
    every step and every chunk, and a commit expires every row) refreshes each item, receipt
    and donation by its own SELECT: three round trips per envelope."""
    items = list(
        session.scalars(
            sa.select(ReceiptBatchItem)
            .where(ReceiptBatchItem.batch_id == batch.id)
            .options(joinedload(ReceiptBatchItem.receipt).joinedload(Receipt.donation))
            .order_by(ReceiptBatchItem.position)
        )
    )
    set_committed_value(batch, "items", items)
    return items


# --- between the steps: can every name be printed as written? -----------------------------

# The MailingSet fields that print a person's own words, and the Donation column behind each.
PRINTED_FIELDS = {
    "donor_name": "donor_name",
    "donor_kana": "donor_kana",
    "address": "address",
    "mail_name": "mail_name",
    "mail_address": "mail_address",
}


def unprintable_sets(items: Sequence[ReceiptBatchItem]) -> list[dict[str, Any]]:
    """One entry per (set, field) whose text holds a character no document font can draw."""
    found: list[dict[str, Any]] = []
    for item in items:
        mailing = mailing_set_for(item.receipt, set_id=item.set_id)
        for field in PRINTED_FIELDS:
            value = getattr(mailing, field)
            chars = glyphs.undrawable(value)
            if chars:
                found.append(
                    {
                        "set_id": item.set_id,
                        "receipt_id": item.receipt_id,
                        "donation_id": item.receipt.donation_id,
                        "donation_number": mailing.donation_number,
                        "field": field,
                        "value": value,
                        "chars": [glyphs.describe(c) for c in chars],
                    }
                )
    return found


def hold_if_unprintable(session: Session, batch: ReceiptBatch) -> bool:
    """Put the batch on hold (nothing rendered) when a set cannot be printed as written."""
    found = unprintable_sets(load_items(session, batch))
    batch.unprintable = found
    if found:
        batch.status = BatchStatus.HELD
    return bool(found)


def correct_for_print(
    session: Session,
    batch: ReceiptBatch,
    *,
    donation_id: int,
    field: str,
    value: str,
    by_user: User,
) -> list[dict[str, Any]]:
    """Staff correct a held set's name or address (after asking the donor, or replacing a
    外字 with its usual form); the batch's list is checked again. Audited."""
    if batch.status != BatchStatus.HELD:
        raise DomainError(_l("このバッチは保留中ではありません。"))
    column = PRINTED_FIELDS.get(field)
    item = next((i for i in batch.items if i.receipt.donation_id == donation_id), None)
    if column is None or item is None:
        raise DomainError(_l("修正する項目が見つかりません。"))
    donation = item.receipt.donation
    setattr(donation, column, value.strip())
    audit(
        session,
        actor=by_user,
        action="update",
        subject_type="donation",
        subject_id=donation.id,
        detail=f"{donation.donation_no} {column} corrected for printing ({batch.label})",
    )
    batch.unprintable = unprintable_sets(batch.items)
    return batch.unprintable


def release_held(session: Session, batch: ReceiptBatch, *, force: bool, by_user: User) -> None:
    """Let a held batch print: when nothing is left to fix, or when staff accept that the
    listed characters print as they are (force, audited). The caller queues the render job."""
    if batch.status != BatchStatus.HELD:
        raise DomainError(_l("このバッチは保留中ではありません。"))
    batch.unprintable = unprintable_sets(batch.items)
    if batch.unprintable and not force:
        raise DomainError(
            _l(
                "印刷できない文字がまだ残っています。表記を直すか、このまま印刷することを選んでください。"
            ),
            field="force",
        )
    if batch.unprintable:
        audit(
            session,
            actor=by_user,
            action="approve",
            subject_type="receipt_batch",
            subject_id=batch.id,
            detail=f"{batch.label}: printed with {len(batch.unprintable)} unprintable name(s)",
        )
    batch.status = BatchStatus.RENDERING


# --- step 2: render ----------------------------------------------------------------------


def batch_dir(batch: ReceiptBatch) -> Path:
    """Relative to DOCUMENT_DIR."""
    return Path("receipts") / str(batch.created_at.year) / batch.label


_worker_app: Any = None


def _forget_parent_database() -> None:
    """Pool initializer: a forked worker inherits the parent's sessions and pooled connections.
    They belong to the parent; closing them here would send a ROLLBACK down the parent's socket
    (on PostgreSQL that corrupts the parent's connection). Drop them without a word on the wire;
    the worker renders documents and never touches the database."""
    from portal.extensions import db

    with contextlib.suppress(Exception):  # Flask-SQLAlchemy's registry needs an app context
        db.session.registry.clear()
    if _worker_app is not None:
        with _worker_app.app_context():
            db.engine.dispose(close=False)


def _render_chunk(args: tuple[list[MailingSet], City]) -> RenderedBatch:
    """In a pool worker: one app per process (templates, fonts, stylesheet reused)."""
    global _worker_app
    if _worker_app is None:
        from portal import create_app

        _worker_app = create_app()
    sets, city = args
    with _worker_app.app_context():
        return render_batch(sets, city=city)


def render_chunks(
    sets: Sequence[MailingSet], *, city: City, chunk: int | None = None, workers: int = 1
) -> Iterator[RenderedBatch]:
    """Chunks of one WeasyPrint document each, in order; a process pool when workers > 1."""
    chunk = chunk or CHUNK
    parts = [list(sets[i : i + chunk]) for i in range(0, len(sets), chunk)]
    if workers <= 1 or len(parts) <= 1:
        for part in parts:
            yield render_batch(part, city=city)
        return
    global _worker_app
    # Forked workers inherit this app (config, templates) instead of each building one (about
    # 1 s of CPU per worker); with spawn or forkserver they build their own in _render_chunk.
    _worker_app = current_app._get_current_object()  # type: ignore[attr-defined]
    # Likewise the fonts, stylesheets and fixed layers: laid out once here, not once per worker.
    warm_fixed_layers(sets, city)
    # The inherited heap frozen while the workers fork: their collector then never walks (and
    # so never copies) the pages they share with this process. Measured (bench/receipts.py):
    # 1,000 sets 443 → 355 MB PSS over parent and workers, 13.7 → 11.8 ms CPU per page.
    gc.collect()
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=workers, initializer=_forget_parent_database) as pool:
            chunks = pool.map(_render_chunk, [(p, city) for p in parts])  # forks the workers
            gc.unfreeze()
            yield from chunks
    finally:
        gc.unfreeze()


def write_merged(
    chunks: Iterator[RenderedBatch], target: Path, on_chunk: Callable[[int], None]
) -> list[ManifestRow]:
    """Stream each chunk into the merged print file as it arrives (memory flat in the number
    of sets; each fixed layer stored once); returns the shifted manifest."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")

    def reported() -> Iterator[RenderedBatch]:
        for part in chunks:
            yield part
            on_chunk(len(part.manifest))

    with tmp.open("wb") as fh:
        manifest = write_batches(reported(), fh)
    tmp.replace(target)
    return manifest


def render_batch_files(
    session: Session,
    batch: ReceiptBatch,
    *,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> ReceiptBatch:
    """Render the batch's sets into its merged PDF and manifest; receipts become issued.
    `progress(sets_done)` is called after every chunk."""
    sets = [
        mailing_set_for(item.receipt, set_id=item.set_id) for item in load_items(session, batch)
    ]
    city = City.from_config()
    if workers is None:
        workers = int(current_app.config.get("RECEIPT_WORKERS") or (os.cpu_count() or 1))
    relative = batch_dir(batch) / f"{batch.label}.pdf"
    root = document_dir()
    done = 0

    def chunk_done(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done)

    manifest = write_merged(
        render_chunks(sets, city=city, workers=workers), root / relative, chunk_done
    )
    by_set = {row.set_id: row for row in manifest}
    for item in load_items(session, batch):  # again: each chunk's progress commit expired them
        row = by_set[item.set_id]
        item.first_page, item.last_page = row.first_page, row.last_page
        receipt = item.receipt
        receipt.needs_print = False
        move_receipt(session, receipt, ReceiptStatus.ISSUED)
        receipt.last_batch_id = batch.id
        receipt.pdf_path = ""
    (root / relative).with_name(f"{batch.label}-manifest.csv").write_text(
        manifest_csv(manifest), encoding="utf-8"
    )
    batch.pdf_path = str(relative)
    batch.pages = manifest[-1].last_page if manifest else 0
    batch.manifest = [
        {
            "set_id": r.set_id,
            "donation_number": r.donation_number,
            "receipt_number": r.receipt_number,
            "first_page": r.first_page,
            "last_page": r.last_page,
            "onestop": r.onestop,
        }
        for r in manifest
    ]
    batch.status = BatchStatus.READY
    return batch


def issue_due(
    session: Session,
    *,
    until: date | None = None,
    by_user_id: int | None = None,
    steps: Steps | None = None,
    workers: int | None = None,
) -> ReceiptBatch | None:
    """The whole run (button, CLI, job): the numbers are a step of their own (`steps.checkpoint`),
    then the render. None: nothing due. A failed render leaves the batch marked failed and its
    receipts numbered and waiting, then raises."""
    steps = steps or Steps(session)
    until = until or today_jst()
    run = steps.run
    batch = create_batch(
        session, until=until, by_user_id=by_user_id, job_run_id=run.id if run else None
    )
    if batch is None:
        return None
    steps.set_total(batch.count)
    if hold_if_unprintable(session, batch):
        steps.checkpoint()
        log.warning(
            "receipt batch %s held: %d unprintable name(s)", batch.label, len(batch.unprintable)
        )
        return batch
    steps.checkpoint()
    _render_or_fail(session, batch, steps, workers)
    return batch


def _render_or_fail(
    session: Session, batch: ReceiptBatch, steps: Steps, workers: int | None
) -> None:
    batch_id = batch.id
    try:
        render_batch_files(session, batch, progress=steps.progress, workers=workers)
    except Exception as exc:
        steps.undo()
        log.exception("receipt batch %s failed to render", batch_id)
        failed = session.get(ReceiptBatch, batch_id)
        assert failed is not None
        failed.status = BatchStatus.FAILED
        failed.error = f"{type(exc).__name__}: {exc}"[:2000]
        steps.checkpoint()
        raise


# --- the background job ------------------------------------------------------------------


STALE_AFTER = timedelta(hours=1)  # a run this old that never finished: its worker died


def running_issue(session: Session) -> JobRun | None:
    """A queued or running issue job (the button shows it instead of starting another).
    A run older than STALE_AFTER does not block the button: the batch lock still keeps two
    runs from printing the same receipt."""
    return session.scalar(
        sa.select(JobRun)
        .where(
            JobRun.kind == JOB_KIND,
            JobRun.state.in_([JobState.QUEUED, JobState.RUNNING]),
            JobRun.created_at > utcnow() - STALE_AFTER,
        )
        .order_by(JobRun.id.desc())
        .limit(1)
    )


def start_issue(session: Session, *, until: date, by_user: User | None) -> JobRun:
    """Create the JobRun (the caller commits, then queues `issue_receipts_job(run.id)`)."""
    run = start_job(session, JOB_KIND, by_user_id=by_user.id if by_user else None)
    run.result = {"until": until.isoformat()}
    return run


def issue_receipts(session: Session, run: JobRun, steps: Steps) -> dict[str, Any]:
    """The job's body (the runner in core/jobs.py marks the run done or failed)."""
    until = date.fromisoformat(run.result.get("until") or today_jst().isoformat())
    batch = issue_due(session, until=until, by_user_id=run.created_by_id, steps=steps)
    return {
        "until": until.isoformat(),
        "issued": batch.count if batch else 0,
        "batch_id": batch.id if batch else None,
        "label": batch.label if batch else "",
        "held": bool(batch is not None and batch.status == BatchStatus.HELD),
    }


RENDER_JOB_KIND = "receipts.render"


def start_render(session: Session, batch: ReceiptBatch, *, by_user: User | None) -> JobRun:
    """The JobRun for printing a released batch (the caller commits, then queues
    `render_batch_job(run.id)`)."""
    run = start_job(session, RENDER_JOB_KIND, by_user_id=by_user.id if by_user else None)
    run.result = {"batch_id": batch.id, "label": batch.label}
    batch.job_run_id = run.id
    return run


def render_released(session: Session, run: JobRun, steps: Steps) -> dict[str, Any]:
    batch = session.get(ReceiptBatch, run.result["batch_id"])
    if batch is None or batch.status != BatchStatus.RENDERING:
        return dict(run.result, rendered=False)
    steps.set_total(batch.count)
    _render_or_fail(session, batch, steps, None)
    return dict(run.result, rendered=True, issued=batch.count)


render_batch_job = tracked(render_released)


# Takes the run's id, not the row: touching the expired row after the caller's commit would
# open a new transaction (on SQLite a write lock) that the job, run in-process, would wait for.
issue_receipts_job = tracked(issue_receipts)


# --- per-donation files (CLI --out) ------------------------------------------------------


def write_out(batch: ReceiptBatch, out: Path) -> Path:
    """Copy the merged PDF + manifest into OUT and cut one PDF per donation beside them."""
    root = document_dir()
    merged = root / batch.pdf_path
    out.mkdir(parents=True, exist_ok=True)
    target = out / merged.name
    target.write_bytes(merged.read_bytes())
    manifest = merged.with_name(f"{batch.label}-manifest.csv")
    (out / manifest.name).write_bytes(manifest.read_bytes())
    sets = out / "sets"
    sets.mkdir(exist_ok=True)
    for item in batch.items:
        number = item.receipt.donation.donation_no
        (sets / f"{number}.pdf").write_bytes(cut_pages(merged, item.first_page, item.last_page))
    return target


def batch_receipts(
    session: Session, batch: ReceiptBatch
) -> list[tuple[ReceiptBatchItem, Receipt, Donation]]:
    return list(
        session.execute(
            sa.select(ReceiptBatchItem, Receipt, Donation)
            .join(Receipt, ReceiptBatchItem.receipt_id == Receipt.id)
            .join(Donation, Receipt.donation_id == Donation.id)
            .where(ReceiptBatchItem.batch_id == batch.id)
            .order_by(ReceiptBatchItem.position)
        ).all()
    )


__all__ = ["ItemKind", "issue_due", "issue_receipts_job", "start_issue"]
