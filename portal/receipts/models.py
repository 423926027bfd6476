"""寄附金受領証明書, the print batches they go out in, returned mail and one-stop forms back.

A `Receipt` row exists once a number has been issued (the donation is paid and wants a
receipt); before that the donation is simply "due" (see service.due_donations). The number is
per calendar year of the 受領日 and gap-free (portal.core.numbering). `needs_print` says the set
goes into the next batch: a first issue, a reissue (再発行) or a re-mail after 宛所不明.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.audit import by_id, register_label
from portal.core.models import TimestampMixin, enum_column, utcnow
from portal.donations.models import Donation
from portal.extensions import Model


class ReceiptStatus(enum.StrEnum):
    DUE = "due"  # numbered, waiting for the next batch (reissue / re-mail)
    ISSUED = "issued"  # printed in a batch, not yet posted
    MAILED = "mailed"  # 発送済
    RETURNED = "returned"  # 宛所不明で返戻


# Allowed moves of a receipt (portal.receipts.service.move_receipt). DUE waits for a batch;
# a reissue (再発行) or a fixed address after 宛所不明 puts a printed receipt back to DUE.
RECEIPT_TRANSITIONS: dict[ReceiptStatus, frozenset[ReceiptStatus]] = {
    ReceiptStatus.DUE: frozenset({ReceiptStatus.ISSUED}),
    ReceiptStatus.ISSUED: frozenset(
        {ReceiptStatus.MAILED, ReceiptStatus.RETURNED, ReceiptStatus.DUE}
    ),
    ReceiptStatus.MAILED: frozenset({ReceiptStatus.RETURNED, ReceiptStatus.DUE}),
    ReceiptStatus.RETURNED: frozenset({ReceiptStatus.DUE}),
}


class ReceiptEvent(enum.StrEnum):
    """Timeline kinds of a receipt and the one-stop form (on the donation's timeline)."""

    ISSUED = "receipt.issued"  # numbered
    MAILED = "receipt.mailed"
    RETURNED = "receipt.returned"
    REISSUED = "receipt.reissued"
    ADDRESS_FIXED = "receipt.address_fixed"  # internal
    ONESTOP_SENT = "onestop.sent"
    ONESTOP_RECEIVED = "onestop.received"
    ONESTOP_CHANGE_RECEIVED = "onestop.change_received"  # 申告特例申請事項変更届出書


class ItemKind(enum.StrEnum):
    FIRST = "first"  # 初回発行
    REISSUE = "reissue"  # 再発行
    REMAIL = "remail"  # 宛所不明の再送


class Receipt(TimestampMixin, Model):
    __tablename__ = "receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(sa.ForeignKey("donation.id"), unique=True)
    year: Mapped[int]  # calendar year of the 受領日 (the number's scope)
    seq: Mapped[int]
    number: Mapped[str] = mapped_column(sa.String(16), unique=True)  # 2026-000123
    received_on: Mapped[date]  # 受領日 printed on the receipt
    due_on: Mapped[date]  # 14 days after payment (after approval for a reissue)
    issued_on: Mapped[date]
    status: Mapped[ReceiptStatus] = mapped_column(
        enum_column(ReceiptStatus), default=ReceiptStatus.DUE, index=True
    )
    needs_print: Mapped[bool] = mapped_column(default=True, index=True)
    # Why it goes into the next batch: first issue, 再発行, or re-mail after 宛所不明.
    print_kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind), default=ItemKind.FIRST)
    mailed_on: Mapped[date | None]
    reissued_on: Mapped[date | None]
    reissue_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    reissue_count: Mapped[int] = mapped_column(default=0)
    last_batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("receipt_batch.id"))
    # The donor's own set PDF, relative to DOCUMENT_DIR; cut from the batch when first asked.
    pdf_path: Mapped[str] = mapped_column(sa.String(300), default="")

    donation: Mapped[Donation] = relationship()
    last_batch: Mapped[ReceiptBatch | None] = relationship(foreign_keys=[last_batch_id])

    __table_args__ = (sa.UniqueConstraint("year", "seq"),)

    @property
    def reissued(self) -> bool:
        return self.reissued_on is not None

    def __repr__(self) -> str:
        return f"<Receipt {self.number}>"


class BatchStatus(enum.StrEnum):
    RENDERING = "rendering"
    HELD = "held"  # a name or address holds a character no document font can draw: staff decide
    READY = "ready"  # printed file ready for the print room
    MAILED = "mailed"
    FAILED = "failed"


class ReceiptBatch(Model):
    __tablename__ = "receipt_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(16), unique=True)  # B2026-0003
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    until: Mapped[date]  # receipts due on or before this date were taken
    status: Mapped[BatchStatus] = mapped_column(
        enum_column(BatchStatus), default=BatchStatus.RENDERING, index=True
    )
    count: Mapped[int] = mapped_column(default=0)
    pages: Mapped[int] = mapped_column(default=0)
    pdf_path: Mapped[str] = mapped_column(sa.String(300), default="")  # under DOCUMENT_DIR
    manifest: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    # While HELD: one entry per set that cannot be printed as written
    # ({"set_id", "receipt_id", "donation_number", "field", "value", "chars"}).
    unprintable: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    job_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("job_run.id"))
    mailed_on: Mapped[date | None]
    mailed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    items: Mapped[list[ReceiptBatchItem]] = relationship(
        back_populates="batch", order_by="ReceiptBatchItem.position"
    )


class ReceiptBatchItem(Model):
    """One envelope in a batch: which receipt, which set id, which pages of the merged PDF."""

    __tablename__ = "receipt_batch_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("receipt_batch.id"), index=True)
    receipt_id: Mapped[int] = mapped_column(sa.ForeignKey("receipt.id"), index=True)
    position: Mapped[int]
    set_id: Mapped[str] = mapped_column(sa.String(32))
    kind: Mapped[ItemKind] = mapped_column(enum_column(ItemKind))
    first_page: Mapped[int] = mapped_column(default=0)
    last_page: Mapped[int] = mapped_column(default=0)

    batch: Mapped[ReceiptBatch] = relationship(back_populates="items")
    receipt: Mapped[Receipt] = relationship()

    __table_args__ = (sa.UniqueConstraint("batch_id", "receipt_id"),)


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class AddressCheck(TimestampMixin, Model):
    """宛所不明: the set came back; staff find the right mailing address, then it is re-mailed."""

    __tablename__ = "address_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(sa.ForeignKey("receipt.id"), index=True)
    donation_id: Mapped[int] = mapped_column(sa.ForeignKey("donation.id"), index=True)
    status: Mapped[CaseStatus] = mapped_column(
        enum_column(CaseStatus), default=CaseStatus.OPEN, index=True
    )
    returned_on: Mapped[date]
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    note: Mapped[str] = mapped_column(sa.String(300), default="")

    receipt: Mapped[Receipt] = relationship()
    donation: Mapped[Donation] = relationship()


class OnestopState(enum.StrEnum):
    COMPLETE = "complete"  # 受理
    INCOMPLETE = "incomplete"  # 不備あり


class OnestopReturn(TimestampMixin, Model):
    """The donor's 申告特例申請書 came back. Holds no マイナンバー, only which items were missing."""

    __tablename__ = "onestop_return"

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(sa.ForeignKey("donation.id"), unique=True)
    received_on: Mapped[date]  # first arrival
    last_received_on: Mapped[date]  # latest arrival (a corrected form or the missing copy)
    state: Mapped[OnestopState] = mapped_column(enum_column(OnestopState), index=True)
    missing: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    late: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # 申告特例申請事項変更届出書 (様式第55号の6) received: the latest arrival, how many, and
    # whether one arrived after the deadline (10 January of the year after the donation).
    change_received_on: Mapped[date | None] = mapped_column(default=None)
    change_count: Mapped[int] = mapped_column(default=0)
    change_late: Mapped[bool] = mapped_column(default=False)

    donation: Mapped[Donation] = relationship()


register_label("receipt", by_id(Receipt, "受領証明書", lambda r: r.number))
register_label("receipt_batch", by_id(ReceiptBatch, "印刷バッチ", lambda b: str(b.id)))
