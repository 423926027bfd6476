"""Issue-due-receipts batches: the job, the merged PDF, re-runs, reissues, mailing, failures."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app

from portal.core.jobs import JobRun, JobState
from portal.core.timeline import events_for
from portal.donations.lifecycle import cancel_donation
from portal.donations.models import Donation
from portal.receipts import batches, service
from portal.receipts.models import (
    BatchStatus,
    ItemKind,
    Receipt,
    ReceiptBatch,
    ReceiptStatus,
)
from tests.conftest import pdf_text
from tests.unit.test_receipts import paid


def flat(text: str) -> str:
    return "".join(text.split())


def run_job(session, until: date, user=None) -> JobRun:
    run = batches.start_issue(session, until=until, by_user=user)
    run_id = run.id
    session.commit()
    batches.issue_receipts_job(run_id)  # runs at once in tests, in its own app context
    return session.get(JobRun, run_id)


def files(batch: ReceiptBatch) -> Path:
    return Path(current_app.config["DOCUMENT_DIR"]) / batch.pdf_path


def test_job_issues_due_receipts_into_one_merged_pdf_and_twice_issues_nothing(session):
    a = paid(session, "J-1", donor_name="山田 太郎", amount=12000, paid_on=date(2026, 12, 1))
    b = paid(
        session,
        "J-2",
        donor_name="佐藤 花子",
        amount=30000,
        paid_on=date(2026, 12, 2),
        onestop_requested=True,
    )
    later = paid(session, "J-3", paid_on=date(2026, 12, 20))  # due 2027-01-03
    ids = (a.id, b.id, later.id)
    run = run_job(session, until=date(2026, 12, 20))
    assert run.state == JobState.DONE and run.result["issued"] == 2
    assert run.progress == run.total == 2
    batch = session.get(ReceiptBatch, run.result["batch_id"])
    assert batch.status == BatchStatus.READY and batch.count == 2 and batch.pages == 2 + 4
    text = flat(pdf_text(files(batch)))
    assert "山田太郎" in text and "佐藤花子" in text
    assert "12,000円" in text and "30,000円" in text
    assert "令和8年12月1日" in text and "寄附金税額控除に係る申告特例申請書" in text
    assert "再発行" not in text
    manifest = files(batch).with_name(f"{batch.label}-manifest.csv").read_text()
    assert f"{batch.label}-00002" in manifest
    a, b, later = (session.get(Donation, i) for i in ids)
    ra, rb = service.receipt_for(session, a), service.receipt_for(session, b)
    assert (ra.number, rb.number) == ("2026-000001", "2026-000002")
    assert ra.status == ReceiptStatus.ISSUED and not ra.needs_print
    assert service.receipt_for(session, later) is None

    again = run_job(session, until=date(2026, 12, 20))
    assert again.state == JobState.DONE and again.result["issued"] == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(ReceiptBatch)) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(Receipt)) == 2


def test_reissue_goes_into_the_next_batch_marked_with_the_same_number(session):
    d = paid(session, "K-1", donor_name="鈴木 一郎", paid_on=date(2026, 11, 2))
    first = batches.issue_due(session, until=date(2026, 12, 1), workers=1)
    number = service.receipt_for(session, d).number
    service.mark_batch_mailed(session, first, first.created_at.date(), by_user=None)
    receipt = service.request_reissue(session, d, reason="紛失", by_user=None)
    second = batches.issue_due(session, until=date(2026, 12, 1), workers=1)
    assert second is not None and second.id != first.id and second.count == 1
    assert second.items[0].kind == ItemKind.REISSUE
    text = flat(pdf_text(files(second)))
    assert "再発行" in text and number in text and "鈴木一郎" in text
    assert receipt.status == ReceiptStatus.ISSUED and receipt.number == number


def test_donor_pdf_is_the_printed_set_and_is_kept(session):
    d = paid(
        session, "L-1", donor_name="高橋 美咲", paid_on=date(2026, 11, 2), onestop_requested=True
    )
    other = paid(session, "L-2", donor_name="田中 健太", paid_on=date(2026, 11, 3))
    batch = batches.issue_due(session, until=date(2026, 12, 1), workers=1)
    pdf = service.donation_pdf(session, d)
    text = flat(pdf_text(pdf))
    assert "高橋美咲" in text and "田中健太" not in text
    assert f"{batch.label}-00001·4/4" in text
    receipt = service.receipt_for(session, d)
    kept = Path(current_app.config["DOCUMENT_DIR"]) / receipt.pdf_path
    assert kept.is_file() and service.donation_pdf(session, d) == kept.read_bytes()
    assert "田中健太" in flat(pdf_text(service.donation_pdf(session, other)))


def test_mark_mailed_marks_each_receipt_and_tells_the_donor(session):
    d = paid(session, "M-1", paid_on=date(2026, 11, 2), onestop_requested=True)
    batch = batches.issue_due(session, until=date(2026, 12, 1), workers=1)
    mailed_on = batch.created_at.date()
    assert service.mark_batch_mailed(session, batch, mailed_on, by_user=None) == 1
    receipt = service.receipt_for(session, d)
    assert receipt.status == ReceiptStatus.MAILED and receipt.mailed_on == mailed_on
    kinds = {e.kind: e for e in events_for(session, "donation", d.id)}
    assert (
        kinds["receipt.mailed"].public
        and kinds["receipt.mailed"].data["mailed_on"] == mailed_on.isoformat()
    )
    assert kinds["onestop.sent"].data == {"sent_on": mailed_on.isoformat()}
    # The same click twice changes nothing; a different date is refused.
    assert service.mark_batch_mailed(session, batch, mailed_on, by_user=None) == 0
    from portal.core.errors import DomainError

    with pytest.raises(DomainError):
        service.mark_batch_mailed(session, batch, mailed_on - timedelta(days=1), by_user=None)


def test_a_failed_render_keeps_the_numbers_for_the_next_run(session, monkeypatch):
    d = paid(session, "N-1", paid_on=date(2026, 11, 2))

    def broken(*_a, **_k):
        raise RuntimeError("printer on fire")

    monkeypatch.setattr(batches, "render_batch", broken)
    with pytest.raises(RuntimeError):
        batches.issue_due(session, until=date(2026, 12, 1), workers=1)
    failed = session.scalar(sa.select(ReceiptBatch))
    assert failed.status == BatchStatus.FAILED and "printer on fire" in failed.error
    receipt = service.receipt_for(session, d)
    assert receipt.number == "2026-000001" and receipt.needs_print
    assert service.donation_pdf(session, d) is None
    monkeypatch.undo()
    retry = batches.issue_due(session, until=date(2026, 12, 1), workers=1)
    assert retry.status == BatchStatus.READY and retry.count == 1
    assert service.receipt_for(session, d).number == "2026-000001"


def test_failed_job_is_reported_on_its_run(session, monkeypatch):
    paid(session, "O-1", paid_on=date(2026, 11, 2))
    monkeypatch.setattr(batches, "render_batch", lambda *_a, **_k: 1 / 0)
    run = run_job(session, until=date(2026, 12, 1))
    assert run.state == JobState.FAILED and "ZeroDivisionError" in run.error


def test_cancelled_donation_is_not_printed(session):
    d = paid(session, "P-1", paid_on=date(2026, 11, 2))
    service.issue_receipt(session, d)
    cancel_donation(session, d, "二重申込")
    assert batches.issue_due(session, until=date(2026, 12, 1), workers=1) is None


def test_process_pool_gives_the_same_pages_as_one_process(session, monkeypatch):
    for i in range(5):
        paid(
            session,
            f"Q-{i}",
            donor_name=f"並列 {i}",
            paid_on=date(2026, 11, 2),
            onestop_requested=i % 2 == 0,
        )
    monkeypatch.setattr(batches, "CHUNK", 2)
    batch = batches.issue_due(session, until=date(2026, 12, 1), workers=2)
    assert batch.pages == 3 * 4 + 2 * 2
    assert [(i.first_page, i.last_page) for i in batch.items] == [
        (1, 4),
        (5, 6),
        (7, 10),
        (11, 12),
        (13, 16),
    ]
    text = pdf_text(files(batch))
    assert text.index("並列 0") < text.index("並列 4")


def test_cli_issues_and_writes_the_batch_and_per_donation_pdfs(session, runner, tmp_path):
    d = paid(session, "T-1", donor_name="中村 大輔", paid_on=date(2026, 11, 2))
    paid(session, "T-2", paid_on=date(2026, 11, 3), onestop_requested=True)
    number = d.donation_no
    out = tmp_path / "print"
    result = runner.invoke(
        args=["issue-receipts", "--until", "2026-12-01", "--out", str(out), "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("issued=2 batch=") and last.endswith(".pdf")
    merged = Path(last.split("batch=", 1)[1])
    assert merged.parent == out and merged.is_file()
    assert "中村大輔" in flat(pdf_text(out / "sets" / f"{number}.pdf"))
    assert len(list((out / "sets").glob("*.pdf"))) == 2
    assert list(out.glob("*-manifest.csv"))
    again = runner.invoke(args=["issue-receipts", "--until", "2026-12-01"])
    assert again.output.strip().splitlines()[-1] == "issued=0 batch="


def _selects_while_printing(session, monkeypatch, n: int, prefix: str) -> int:
    """SELECTs from the batch's hold check to its last page (step 1's numbering writes each
    receipt anyway; not counted)."""
    from tests.web.test_list_costs import statements

    seen: list[str] = []
    hold, render = batches.hold_if_unprintable, batches.render_batch_files

    def counted(step):
        def wrapper(*args, **kwargs):
            with statements() as during:
                try:
                    return step(*args, **kwargs)
                finally:
                    seen.extend(during)

        return wrapper

    monkeypatch.setattr(batches, "hold_if_unprintable", counted(hold))
    monkeypatch.setattr(batches, "render_batch_files", counted(render))
    for k in range(n):
        paid(session, f"{prefix}-{k}", donor_name=f"山田 {k}", paid_on=date(2026, 12, 1))
    session.commit()
    run = run_job(session, until=date(2026, 12, 20))
    monkeypatch.undo()
    assert run.state == JobState.DONE and run.result["issued"] == n
    return sum(1 for s in seen if s.lstrip().upper().startswith("SELECT"))


def test_a_large_batch_prints_with_as_many_selects_as_a_small_one(session, monkeypatch):
    """Checking and rendering a batch reads its receipts and donations in one go, not one
    round trip per envelope (three per envelope before: 3,000 SELECTs for 1,000 sets)."""
    small = _selects_while_printing(session, monkeypatch, 2, "Q")
    large = _selects_while_printing(session, monkeypatch, 7, "R")
    assert 0 < large == small
