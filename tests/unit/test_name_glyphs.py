"""Names print as written: legal-name characters outside IPAex come from IPAmj明朝, and a batch
holding a character no embedded font can draw waits for staff instead of printing a box."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from datetime import date

import sqlalchemy as sa

from portal.accounts.models import User
from portal.core.audit import AuditEntry
from portal.core.jobs import JobState
from portal.documents import glyphs
from portal.documents.mailing import render_set
from portal.donations.models import Donation
from portal.receipts import batches, service
from portal.receipts.models import BatchStatus, ReceiptBatch, ReceiptStatus
from tests.conftest import pdf_text
from tests.unit.test_documents import BASE
from tests.unit.test_receipt_batches import files, flat, run_job
from tests.unit.test_receipts import paid

PUA = "\ue123"  # a private-use code point, as an old 外字 system writes it: no font has it


def test_a_name_outside_ipaex_prints_from_the_ipamj_fallback(app, tmp_path):
    # 𠮷 (U+20BB7) and 𡈽 (U+2123D) are not in IPAex; 髙 and 﨑 are.
    with app.app_context():
        path = tmp_path / "set.pdf"
        path.write_bytes(
            render_set(
                replace(BASE, donor_name="𠮷田 花子", address="広島県庄原市𡈽町1番地 髙﨑荘")
            )
        )
    text = flat(
        subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
    )
    assert "𠮷田花子" in text and "𡈽町" in text and "髙﨑荘" in text
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "IPAmjMincho" in fonts and "IPAexMincho" in fonts


def test_the_glyph_check_knows_what_the_fonts_hold():
    assert glyphs.undrawable("𠮷田 花子 髙橋 ①子 葛\U000e0100城") == []
    assert glyphs.undrawable(f"山田{PUA}子{PUA}") == [PUA]
    assert glyphs.describe(PUA) == "U+E123"


def test_a_batch_with_an_unprintable_name_waits_for_staff_then_prints_the_corrected_name(
    session, make_user
):
    staff_user = make_user()
    user_id = staff_user.id
    good = paid(session, "G-1", donor_name="𠮷田 花子", paid_on=date(2026, 12, 1))
    bad = paid(session, "G-2", donor_name=f"山田 {PUA}子", paid_on=date(2026, 12, 1))
    bad_id, bad_no, good_id = bad.id, bad.donation_no, good.id
    pdfs_before = set(service.document_dir().rglob("*.pdf"))
    run = run_job(session, until=date(2026, 12, 20))
    assert run.state == JobState.DONE and run.result["held"] is True
    batch_id = run.result["batch_id"]
    batch = session.get(ReceiptBatch, batch_id)
    assert batch.status == BatchStatus.HELD and not batch.pdf_path and batch.count == 2
    # Nothing was rendered: no new print file anywhere (other tests' batches may share the
    # documents folder and even the label).
    assert set(service.document_dir().rglob("*.pdf")) == pdfs_before
    assert [(r["donation_number"], r["field"], r["chars"]) for r in batch.unprintable] == [
        (bad_no, "donor_name", ["U+E123"])
    ]
    # Its receipts are numbered and wait in this batch, not in the next one.
    assert service.receipt_for(session, session.get(Donation, good_id)).number == "2026-000001"
    again = run_job(session, until=date(2026, 12, 20))
    assert again.result["issued"] == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(ReceiptBatch)) == 1

    batch = session.get(ReceiptBatch, batch_id)
    staff_user = session.get(User, user_id)
    left = batches.correct_for_print(
        session,
        batch,
        donation_id=bad_id,
        field="donor_name",
        value="山田 恵子",
        by_user=staff_user,
    )
    assert left == []
    batches.release_held(session, batch, force=False, by_user=staff_user)
    render = batches.start_render(session, batch, by_user=staff_user)
    render_id = render.id
    session.commit()
    batches.render_batch_job(render_id)
    batch = session.get(ReceiptBatch, batch_id)
    assert batch.status == BatchStatus.READY
    text = flat(pdf_text(files(batch)))
    assert "𠮷田花子" in text and "山田恵子" in text
    assert (
        service.receipt_for(session, session.get(Donation, good_id)).status == ReceiptStatus.ISSUED
    )
    assert (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(
                AuditEntry.subject_type == "donation",
                AuditEntry.subject_id == str(bad_id),
                AuditEntry.action == "update",
            )
        )
        == 1
    )


def test_a_held_batch_prints_as_is_only_when_staff_say_so(session, make_user):
    user_id = make_user().id
    paid(session, "G-3", donor_name=f"山田 {PUA}子", paid_on=date(2026, 12, 1))
    run = run_job(session, until=date(2026, 12, 20))
    batch = session.get(ReceiptBatch, run.result["batch_id"])
    staff_user = session.get(User, user_id)
    try:
        batches.release_held(session, batch, force=False, by_user=staff_user)
    except Exception as e:
        assert getattr(e, "field", None) == "force"
    else:
        raise AssertionError("released with an unprintable name")
    assert batch.status == BatchStatus.HELD
    batches.release_held(session, batch, force=True, by_user=staff_user)
    assert batch.status == BatchStatus.RENDERING
    assert session.scalar(
        sa.select(AuditEntry.detail).where(AuditEntry.subject_type == "receipt_batch")
    ).endswith("printed with 1 unprintable name(s)")


def test_every_document_stylesheet_falls_back_to_ipamj():
    """Each font-family list of every PDF's stylesheet ends with the legal-name fallback, so a
    new document cannot forget it."""
    import re

    from portal.documents.rendering import FALLBACK_FAMILY, TEMPLATE_DIR

    sheets = sorted(TEMPLATE_DIR.glob("*.css"))
    assert sheets
    for sheet in sheets:
        for family in re.findall(r"font-family:\s*([^;}]+)", sheet.read_text(encoding="utf-8")):
            assert family.strip().rstrip(";").endswith(f'"{FALLBACK_FAMILY}"'), (sheet.name, family)
