"""Donor sign-in links and donor requests (reissue, delivery address, mailing address).

A sign-in link is a random token; only its SHA-256 is stored, so a leaked table opens
nothing. A request is a case in the staff queue; its status moves open → approved /
corrected / refused, once.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.core.audit import by_id, register_label
from portal.core.models import TimestampMixin, enum_column, utcnow
from portal.donations.models import Donation
from portal.extensions import Model


class DonorToken(Model):
    """A one-time link: by e-mail (all donations with that address) or from a staff reply
    (the one donation a support conversation is tied to)."""

    __tablename__ = "donor_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    conversation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("support_conversation.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class RequestKind(enum.StrEnum):
    RECEIPT_REISSUE = "receipt-reissue"  # 受領証明書の再発行
    DELIVERY_ADDRESS = "delivery-address"  # 返礼品のお届け先の変更
    MAIL_ADDRESS = "mail-address"  # 書類の送付先の変更


class ReissueReason(enum.StrEnum):
    LOST = "lost"  # 紛失した
    NOT_ARRIVED = "not-arrived"  # 届いていない
    DETAILS_WRONG = "details-wrong"  # 氏名・住所に誤りがある


class RequestStatus(enum.StrEnum):
    OPEN = "open"  # 受付中
    APPROVED = "approved"  # 承認 (as asked)
    CORRECTED = "corrected"  # 修正して対応 (staff changed what was asked)
    REFUSED = "refused"  # お断り (with a reason)


class RequestEvent(enum.StrEnum):
    """Timeline kinds of a donor's request (on the donation's timeline)."""

    OPENED = "request.opened"
    UPDATED = "request.updated"


KIND_LABELS = {
    RequestKind.RECEIPT_REISSUE: _l("寄附金受領証明書の再発行"),
    RequestKind.DELIVERY_ADDRESS: _l("返礼品のお届け先の変更"),
    RequestKind.MAIL_ADDRESS: _l("書類の送付先の変更"),
}
REASON_LABELS = {
    ReissueReason.LOST: _l("紛失した"),
    ReissueReason.NOT_ARRIVED: _l("届いていない"),
    ReissueReason.DETAILS_WRONG: _l("氏名・住所に誤りがある"),
}
STATUS_LABELS = {
    RequestStatus.OPEN: _l("受付中"),
    RequestStatus.APPROVED: _l("対応しました"),
    RequestStatus.CORRECTED: _l("内容を修正して対応しました"),
    RequestStatus.REFUSED: _l("お受けできませんでした"),
}


class DonorRequest(TimestampMixin, Model):
    __tablename__ = "donor_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(sa.ForeignKey("donation.id"), index=True)
    kind: Mapped[RequestKind] = mapped_column(enum_column(RequestKind))
    status: Mapped[RequestStatus] = mapped_column(
        enum_column(RequestStatus), default=RequestStatus.OPEN, index=True
    )
    reissue_reason: Mapped[ReissueReason | None] = mapped_column(enum_column(ReissueReason))
    # What the donor asks for (address changes; a reissue with wrong details).
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    postal_code: Mapped[str] = mapped_column(sa.String(8), default="")
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # Staff: the reason for a refusal or what was corrected; shown to the donor.
    staff_note: Mapped[str] = mapped_column(sa.Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]

    donation: Mapped[Donation] = relationship()
    decided_by: Mapped[User | None] = relationship()


register_label("donor_request", by_id(DonorRequest, "寄附者からの申請", lambda r: str(r.id)))


class NoticeStatus(enum.StrEnum):
    SENT = "sent"  # mailed to `recipient`
    NO_ADDRESS = "no_address"  # the donation has no usable e-mail address
    PORTAL_CONFIRMS = "portal_confirms"  # the portal mailed its own acceptance
    HISTORIC = "historic"  # the event happened long before it reached the portal (an import)


class DonorNotice(Model):
    """One row per donor-facing timeline event the notifier handled: what was (or was not)
    mailed to whom, and when. The body is not kept; `key` is the once-only key in mail_sent."""

    __tablename__ = "donor_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(sa.ForeignKey("donation.id"), index=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("timeline_event.id"), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(64))
    key: Mapped[str] = mapped_column(sa.String(120), default="")
    status: Mapped[NoticeStatus] = mapped_column(enum_column(NoticeStatus))
    recipient: Mapped[str] = mapped_column(sa.String(254), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
