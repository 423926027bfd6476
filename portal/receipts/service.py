"""Receipts: which are due, issuing numbers, reissue, returned mail, the donor's own PDF.

Public API for the donor pages (portal.web.donor): `receipt_for`, `donation_pdf`,
`request_reissue`, plus `due_on_for` for a donation that has no receipt yet.

Timeline events (subject "donation", public) written here and in batches.py:
receipt.issued {number, issued_on}, receipt.mailed {number, mailed_on},
receipt.returned {number}, receipt.reissued {number, reissued_on}, onestop.sent {sent_on}.
"""

from __future__ import annotations

import io
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.core.audit import audit
from portal.core.dates import today_jst
from portal.core.errors import DomainError, NotFound
from portal.core.models import utcnow
from portal.core.numbering import next_number
from portal.core.timeline import record_event
from portal.documents.mailing import MailingSet, render_set
from portal.donations.models import Donation, DonationState, PaymentMethod, PaymentState
from portal.receipts.models import (
    RECEIPT_TRANSITIONS,
    AddressCheck,
    CaseStatus,
    ItemKind,
    Receipt,
    ReceiptBatch,
    ReceiptBatchItem,
    ReceiptEvent,
    ReceiptStatus,
)

if TYPE_CHECKING:
    from portal.accounts.models import User

DUE_DAYS = 14

# Printed on the receipt as 納付方法 (documents are Japanese only, not translated).
PAYMENT_LABELS_JA = {
    PaymentMethod.CARD: "クレジットカード",
    PaymentMethod.BANK: "銀行振込",
    PaymentMethod.POSTAL: "郵便振替",
    PaymentMethod.CASH_REGISTERED: "現金書留",
    PaymentMethod.PAYMENT_SLIP: "納付書",
    PaymentMethod.OTHER: "その他",
}


# --- what is due ------------------------------------------------------------------------


def due_on_for(donation: Donation) -> date | None:
    """When the first receipt must be issued: 14 days after the 受領日 (None: not paid)."""
    if donation.received_on is None:
        return None
    return donation.received_on + timedelta(days=DUE_DAYS)


def _eligible() -> sa.ColumnElement[bool]:
    return sa.and_(
        Donation.state == DonationState.PAID,
        Donation.payment_state == PaymentState.PAID,
        Donation.receipt_wanted.is_(True),
        Donation.received_on.is_not(None),
    )


def unissued_stmt(until: date | None = None) -> sa.Select[Donation]:
    """Paid donations that want a receipt and have none yet, oldest payment first."""
    stmt = (
        sa.select(Donation)
        .outerjoin(Receipt, Receipt.donation_id == Donation.id)
        .where(_eligible(), Receipt.id.is_(None))
        .order_by(Donation.received_on, Donation.id)
    )
    if until is not None:
        # due_on <= until  ⇔  received_on <= until - 14 days (no date arithmetic in SQL).
        stmt = stmt.where(Donation.received_on <= until - timedelta(days=DUE_DAYS))
    return stmt


def reprint_stmt() -> sa.Select[Receipt]:
    """Numbered receipts waiting for the next batch (reissues, re-mails, a failed print).
    A receipt in a batch held for an unprintable name waits in that batch, not in the next."""
    from portal.receipts.models import BatchStatus

    in_held_batch = (
        sa.select(ReceiptBatchItem.id)
        .join(ReceiptBatch, ReceiptBatchItem.batch_id == ReceiptBatch.id)
        .where(ReceiptBatchItem.receipt_id == Receipt.id, ReceiptBatch.status == BatchStatus.HELD)
        .exists()
    )
    return (
        sa.select(Receipt)
        .join(Donation, Receipt.donation_id == Donation.id)
        .where(
            Receipt.needs_print.is_(True),
            Donation.state != DonationState.CANCELLED,
            ~in_held_batch,
        )
        .order_by(Receipt.year, Receipt.seq)
    )


def overdue_cutoff(today: date | None = None) -> date:
    """A donation received before this date is overdue when it still has no receipt."""
    return (today or today_jst()) - timedelta(days=DUE_DAYS)


# --- issuing ----------------------------------------------------------------------------


def receipt_number(year: int, seq: int) -> str:
    return f"{year}-{seq:06d}"


def issue_receipt(
    session: Session, donation: Donation, *, on: date | None = None, by_user: User | None = None
) -> Receipt:
    """Give a paid donation its receipt number, inside the caller's transaction.

    The number's year is the year of the 受領日 (a December payment printed in January is
    still that year's receipt); a rollback gives the number back (no gap).
    """
    if donation.state != DonationState.PAID or donation.received_on is None:
        raise DomainError(_l("入金済の寄附にのみ受領証明書を発行できます。"), field="donation")
    if not donation.receipt_wanted:
        raise DomainError(_l("この寄附者は受領証明書を希望していません。"), field="donation")
    existing = receipt_for(session, donation)
    if existing is not None:
        return existing
    on = on or today_jst()
    year = donation.received_on.year
    seq = next_number(session, "receipt", str(year))
    receipt = Receipt(
        donation=donation,
        year=year,
        seq=seq,
        number=receipt_number(year, seq),
        received_on=donation.received_on,
        due_on=due_on_for(donation) or on,
        issued_on=on,
        status=ReceiptStatus.DUE,
        needs_print=True,
    )
    session.add(receipt)
    session.flush()
    record_event(
        session,
        "donation",
        donation.id,
        ReceiptEvent.ISSUED,
        by_user=by_user,
        public=True,
        number=receipt.number,
        issued_on=on.isoformat(),
    )
    return receipt


def move_receipt(
    session: Session,
    receipt: Receipt,
    to: ReceiptStatus,
    *,
    event: ReceiptEvent | None = None,
    by_user: User | None = None,
    public: bool = True,
    **data: Any,
) -> ReceiptStatus:
    """The one way a receipt changes state: checked against RECEIPT_TRANSITIONS (beside the
    model), with `event` on the donation's timeline when the move has one (printing in a
    batch has none; a return to DUE is a 再発行 or a re-mail, and says which)."""
    if to not in RECEIPT_TRANSITIONS[receipt.status]:
        raise DomainError(_l("この受領証明書はこの状態に変更できません。"))
    receipt.status = to
    if event is not None:
        record_event(
            session,
            "donation",
            receipt.donation_id,
            event,
            by_user=by_user,
            public=public,
            number=receipt.number,
            **data,
        )
    return to


def receipt_for(session: Session, donation: Donation) -> Receipt | None:
    """The donation's receipt, or None while none has been issued."""
    return session.scalar(sa.select(Receipt).where(Receipt.donation_id == donation.id))


def request_reissue(
    session: Session, donation: Donation, *, reason: str, by_user: User | None
) -> Receipt:
    """再発行: same number, marked 再発行 with today's date, printed in the next batch.

    Asking again while the reissue still waits for its batch changes nothing (no second event).
    """
    receipt = receipt_for(session, donation)
    if receipt is None:
        raise DomainError(
            _l("受領証明書はまだ発行されていないため、再発行できません。"), field="reason"
        )
    if donation.state == DonationState.CANCELLED:
        raise DomainError(_l("取り消された寄附の受領証明書は再発行できません。"), field="reason")
    if receipt.needs_print and receipt.reissued_on is not None:
        return receipt
    if receipt.needs_print:
        raise DomainError(
            _l("受領証明書は次回の発行で送付されます。再発行の必要はありません。"),
            field="reason",
        )
    today = today_jst()
    receipt.reissued_on = today
    receipt.reissue_reason = (reason or "").strip()[:300]
    receipt.reissue_count += 1
    receipt.needs_print = True
    receipt.print_kind = ItemKind.REISSUE
    receipt.due_on = today + timedelta(days=DUE_DAYS)
    receipt.pdf_path = ""
    move_receipt(
        session,
        receipt,
        ReceiptStatus.DUE,
        event=ReceiptEvent.REISSUED,
        by_user=by_user,
        reissued_on=today.isoformat(),
    )
    return receipt


# --- the printed set ---------------------------------------------------------------------


def mailing_set_for(receipt: Receipt, *, set_id: str) -> MailingSet:
    """Plain values for the documents (portal.documents.mailing) from the ORM rows."""
    d = receipt.donation
    mail_address = d.mail_address.strip()
    return MailingSet(
        set_id=set_id,
        donor_name=d.donor_name,
        postal_code=d.postal_code,
        address=d.address,
        donation_number=d.donation_no,
        amount=d.amount,
        received_on=receipt.received_on,
        payment_method=PAYMENT_LABELS_JA.get(d.payment_method, "その他"),
        receipt_number=receipt.number,
        issued_on=receipt.issued_on,
        reissued=receipt.reissued_on is not None,
        reissued_on=receipt.reissued_on,
        onestop_requested=d.onestop_requested,
        donor_phone=d.phone,
        donor_kana=d.donor_kana,
        mail_name=d.mail_name.strip() if mail_address else "",
        mail_postal_code=d.mail_postal_code if mail_address else "",
        mail_address=mail_address,
    )


def document_dir() -> Path:
    return Path(current_app.config["DOCUMENT_DIR"])


def last_item(session: Session, receipt: Receipt) -> ReceiptBatchItem | None:
    """The envelope this receipt last went out in (a batch that rendered)."""
    from portal.receipts.models import BatchStatus

    return session.scalar(
        sa.select(ReceiptBatchItem)
        .join(ReceiptBatch)
        .where(
            ReceiptBatchItem.receipt_id == receipt.id,
            ReceiptBatch.status.in_([BatchStatus.READY, BatchStatus.MAILED]),
        )
        .order_by(ReceiptBatch.id.desc())
        .limit(1)
    )


def cut_pages(merged: Path, first_page: int, last_page: int) -> bytes:
    """Pages first..last (1-based) of a batch PDF: exactly the sheets that were printed."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(str(merged))
    writer = PdfWriter()
    for index in range(first_page - 1, last_page):
        writer.add_page(reader.pages[index])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def donation_pdf(session: Session, donation: Donation) -> bytes | None:
    """The donor's own set (letter, receipt, one-stop form) as printed; None before issue.

    Cut from the batch's merged PDF when first asked for, then kept beside it. A receipt whose
    reissue is still waiting for its batch gives the set as last printed.
    """
    receipt = receipt_for(session, donation)
    if receipt is None:
        return None
    root = document_dir()
    if receipt.pdf_path:
        kept = root / receipt.pdf_path
        if kept.is_file():
            return kept.read_bytes()
    item = last_item(session, receipt)
    if item is None:
        return None
    batch = item.batch
    merged = root / batch.pdf_path if batch.pdf_path else None
    if merged is not None and merged.is_file():
        pdf = cut_pages(merged, item.first_page, item.last_page)
    else:  # the print file was cleaned away: render the same set again
        pdf = render_set(mailing_set_for(receipt, set_id=item.set_id))
    relative = Path(batch.pdf_path).parent / "sets" / f"{receipt.number}.pdf"
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(pdf)
    receipt.pdf_path = str(relative)
    return pdf


# --- mailing, returned mail, address fixes ----------------------------------------------


def mark_batch_mailed(
    session: Session, batch: ReceiptBatch, mailed_on: date, *, by_user: User | None
) -> int:
    """The print room posted the batch: each receipt in it is mailed on that date."""
    from portal.receipts.models import BatchStatus

    if batch.status == BatchStatus.MAILED:
        if batch.mailed_on == mailed_on:
            return 0  # a double submit
        raise DomainError(_l("このバッチは発送済として登録されています。"), field="mailed_on")
    if batch.status != BatchStatus.READY:
        raise DomainError(_l("印刷ファイルが完成していないバッチは発送済にできません。"))
    if mailed_on < batch.created_at.date() - timedelta(days=1):
        raise DomainError(_l("発送日はバッチ作成日より前にできません。"), field="mailed_on")
    if mailed_on > today_jst():
        raise DomainError(_l("発送日に未来の日付は指定できません。"), field="mailed_on")
    batch.status = BatchStatus.MAILED
    batch.mailed_on = mailed_on
    batch.mailed_by_id = by_user.id if by_user is not None else None
    count = 0
    for item in batch.items:
        receipt = item.receipt
        if receipt.last_batch_id != batch.id or receipt.status != ReceiptStatus.ISSUED:
            continue  # reissued or returned again since: a later batch speaks for it
        receipt.mailed_on = mailed_on
        count += 1
        move_receipt(
            session,
            receipt,
            ReceiptStatus.MAILED,
            event=ReceiptEvent.MAILED,
            by_user=by_user,
            mailed_on=mailed_on.isoformat(),
        )
        if receipt.donation.onestop_requested:
            record_event(
                session,
                "donation",
                receipt.donation_id,
                ReceiptEvent.ONESTOP_SENT,
                by_user=by_user,
                public=True,
                sent_on=mailed_on.isoformat(),
            )
    return count


def _ref(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip().upper()


def find_receipts(session: Session, ref: str) -> list[Receipt]:
    """Receipts matching a receipt number or a donation number (both read 2026-000123)."""
    ref = _ref(ref)
    if not ref:
        return []
    by_number = session.scalar(sa.select(Receipt).where(Receipt.number == ref))
    by_donation = session.scalar(
        sa.select(Receipt).join(Donation).where(Donation.donation_no == ref)
    )
    found = [r for r in (by_number, by_donation) if r is not None]
    return list({r.id: r for r in found}.values())


def resolve_receipt(session: Session, ref: str, kind: str = "auto") -> Receipt:
    """One receipt for what staff typed; kind "receipt"/"donation" settles an ambiguous one."""
    ref = _ref(ref)
    if kind == "receipt":
        found = [r for r in find_receipts(session, ref) if r.number == ref]
    elif kind == "donation":
        found = [r for r in find_receipts(session, ref) if r.donation.donation_no == ref]
    else:
        found = find_receipts(session, ref)
    if not found:
        raise NotFound(_l("その番号の受領証明書は見つかりません。"), field="ref")
    if len(found) > 1:
        raise DomainError(
            _l("証明書番号と寄附番号の両方に一致します。番号の種類を選んでください。"),
            field="kind",
        )
    return found[0]


def record_returned(
    session: Session, receipt: Receipt, *, returned_on: date, by_user: User | None, note: str = ""
) -> AddressCheck:
    """宛所不明: the envelope came back. Opens (or keeps) the address-check case."""
    open_case = session.scalar(
        sa.select(AddressCheck).where(
            AddressCheck.receipt_id == receipt.id, AddressCheck.status == CaseStatus.OPEN
        )
    )
    if open_case is not None:
        return open_case  # entered twice: one case
    if receipt.status not in (ReceiptStatus.ISSUED, ReceiptStatus.MAILED):
        raise DomainError(
            _l("この受領証明書はまだ発送されていないため、返戻として登録できません。"),
            field="ref",
        )
    if returned_on > today_jst():
        raise DomainError(_l("返戻日に未来の日付は指定できません。"), field="returned_on")
    case = AddressCheck(
        receipt=receipt,
        donation_id=receipt.donation_id,
        returned_on=returned_on,
        opened_by_id=by_user.id if by_user is not None else None,
        note=(note or "").strip()[:300],
    )
    session.add(case)
    session.flush()
    move_receipt(
        session, receipt, ReceiptStatus.RETURNED, event=ReceiptEvent.RETURNED, by_user=by_user
    )
    return case


def open_cases(session: Session) -> list[AddressCheck]:
    return list(
        session.scalars(
            sa.select(AddressCheck)
            .where(AddressCheck.status == CaseStatus.OPEN)
            .order_by(AddressCheck.returned_on, AddressCheck.id)
        )
    )


def digits_only(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text or "") if ch.isdigit())


def fix_address(
    session: Session,
    case: AddressCheck,
    *,
    mail_name: str,
    mail_postal_code: str,
    mail_address: str,
    by_user: User | None,
    ip: str = "",
) -> Receipt:
    """Staff found the right address: it becomes the mailing address and the set is re-mailed
    (same receipt, not a reissue) in the next batch."""
    if case.status != CaseStatus.OPEN:
        raise DomainError(_l("この住所確認は既に完了しています。"), field="mail_address")
    postal = digits_only(mail_postal_code)
    if len(postal) != 7:
        raise DomainError(_l("郵便番号は7桁で入力してください。"), field="mail_postal_code")
    address = unicodedata.normalize("NFKC", mail_address or "").strip()
    if not address:
        raise DomainError(_l("送付先住所を入力してください。"), field="mail_address")
    d = case.donation
    d.mail_name = unicodedata.normalize("NFKC", mail_name or "").strip()[:100] or d.donor_name
    d.mail_postal_code = postal
    d.mail_address = address[:300]
    audit(
        session,
        actor=by_user,
        action="update",
        subject_type="donation",
        subject_id=d.id,
        detail="mail address fixed after returned receipt",
        ip=ip,
    )
    case.status = CaseStatus.RESOLVED
    case.resolved_at = utcnow()
    case.resolved_by_id = by_user.id if by_user is not None else None
    receipt = case.receipt
    receipt.needs_print = True
    receipt.print_kind = ItemKind.REMAIL  # a reissued one still prints 再発行 (reissued_on)
    receipt.pdf_path = ""
    move_receipt(
        session,
        receipt,
        ReceiptStatus.DUE,
        event=ReceiptEvent.ADDRESS_FIXED,
        by_user=by_user,
        public=False,
    )
    return receipt


def timestamp_label(at: datetime) -> str:
    return at.strftime("%Y%m%d-%H%M%S")
