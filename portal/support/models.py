"""Support desk: conversations with donors and suppliers, the desk calendar, FAQ.

A conversation is one thread with one customer (a supplier company, or a donor tied to a
donation reference until the donor pages exist). Its status moves only through
`conversations.change_status`, which checks TRANSITIONS and records a timeline event.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import Supplier, User
from portal.core.audit import by_id, register_label
from portal.core.models import TimestampMixin, enum_column, utcnow
from portal.extensions import Model


class CustomerKind(enum.StrEnum):
    SUPPLIER = "supplier"
    DONOR = "donor"


class Channel(enum.StrEnum):
    CHAT = "chat"
    PHONE = "phone"
    EMAIL = "email"


class Category(enum.StrEnum):
    DONATION_METHOD = "donation-method"  # 寄附方法
    GIFT = "gift"  # 返礼品
    ONE_STOP = "one-stop"  # ワンストップ特例
    CANCEL = "cancel"  # キャンセル
    DELIVERY = "delivery"  # 配送
    RECEIPT = "receipt"  # 受領証明書
    SUPPLIER_REGISTRATION = "supplier-registration"  # 事業者登録
    COMPLAINT = "complaint"  # 苦情
    OTHER = "other"  # その他


CATEGORY_LABELS = {
    Category.DONATION_METHOD: _l("寄附方法"),
    Category.GIFT: _l("返礼品"),
    Category.ONE_STOP: _l("ワンストップ特例"),
    Category.CANCEL: _l("キャンセル"),
    Category.DELIVERY: _l("配送"),
    Category.RECEIPT: _l("受領証明書"),
    Category.SUPPLIER_REGISTRATION: _l("事業者登録"),
    Category.COMPLAINT: _l("苦情"),
    Category.OTHER: _l("その他"),
}

CHANNEL_LABELS = {
    Channel.CHAT: _l("チャット"),
    Channel.PHONE: _l("電話"),
    Channel.EMAIL: _l("メール"),
}


class ConversationStatus(enum.StrEnum):
    OPEN = "open"  # 対応中: the desk owes an answer
    WAITING = "waiting"  # 返答待ち: waiting for the customer
    CLOSED = "closed"  # 解決済


STATUS_LABELS = {
    ConversationStatus.OPEN: _l("対応中"),
    ConversationStatus.WAITING: _l("返答待ち"),
    ConversationStatus.CLOSED: _l("解決済"),
}

# Allowed moves; anything else is a DomainError.
TRANSITIONS: dict[ConversationStatus, frozenset[ConversationStatus]] = {
    ConversationStatus.OPEN: frozenset({ConversationStatus.WAITING, ConversationStatus.CLOSED}),
    ConversationStatus.WAITING: frozenset({ConversationStatus.OPEN, ConversationStatus.CLOSED}),
    ConversationStatus.CLOSED: frozenset({ConversationStatus.OPEN}),
}


class ConversationEvent(enum.StrEnum):
    """Timeline kinds of a conversation (internal to the desk); stored as the value."""

    OPENED = "opened"
    STATUS_OPEN = "status:open"
    STATUS_WAITING = "status:waiting"
    STATUS_CLOSED = "status:closed"
    ASSIGNED = "assigned"
    CATEGORISED = "categorised"
    SURVEY_SENT = "survey_sent"
    SURVEY_ANSWERED = "survey_answered"

    @classmethod
    def moved_to(cls, status: ConversationStatus) -> ConversationEvent:
        return cls(f"status:{status.value}")


class AuthorKind(enum.StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    SYSTEM = "system"  # automatic replies


class Conversation(TimestampMixin, Model):
    __tablename__ = "support_conversation"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_kind: Mapped[CustomerKind] = mapped_column(enum_column(CustomerKind))
    supplier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("supplier.id"), index=True)
    # Donor conversations are tied to a donation; the donation table belongs to another domain,
    # so the reference (寄附番号) is kept as text until the donor pages link it.
    donation_ref: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    customer_name: Mapped[str] = mapped_column(sa.String(200), default="")
    customer_email: Mapped[str] = mapped_column(sa.String(254), default="")
    subject: Mapped[str] = mapped_column(sa.String(200), default="")
    channel: Mapped[Channel] = mapped_column(enum_column(Channel), default=Channel.CHAT)
    category: Mapped[Category | None] = mapped_column(enum_column(Category))
    status: Mapped[ConversationStatus] = mapped_column(
        enum_column(ConversationStatus), default=ConversationStatus.OPEN, index=True
    )
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    is_complaint: Mapped[bool] = mapped_column(default=False)
    resolution: Mapped[str] = mapped_column(sa.Text, default="")
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Cheap polling and read marks: highest message ids, compared instead of counting rows.
    last_customer_message_id: Mapped[int] = mapped_column(default=0)
    last_public_message_id: Mapped[int] = mapped_column(default=0)  # what the customer can see
    staff_read_upto: Mapped[int] = mapped_column(default=0)
    customer_read_upto: Mapped[int] = mapped_column(default=0)
    satisfaction: Mapped[int | None]  # 1..5, from the optional survey
    # SHA-256 of the survey link token (secrets_at_rest.token_digest); the token is only mailed.
    survey_token: Mapped[str | None] = mapped_column(sa.String(64))

    supplier: Mapped[Supplier | None] = relationship()
    assignee: Mapped[User | None] = relationship()
    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "(customer_kind = 'supplier' AND supplier_id IS NOT NULL) OR customer_kind = 'donor'",
            name="supplier_conversation_has_supplier",
        ),
        sa.Index("ix_support_conversation_last_message", "last_message_at", "id"),
    )

    @property
    def unread_for_staff(self) -> bool:
        return self.last_customer_message_id > self.staff_read_upto


class Message(Model):
    __tablename__ = "support_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("support_conversation.id"), index=True
    )
    author_kind: Mapped[AuthorKind] = mapped_column(enum_column(AuthorKind))
    author_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    internal: Mapped[bool] = mapped_column(default=False)  # staff note, never shown or mailed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", order_by="Attachment.id", cascade="all, delete-orphan"
    )


class Attachment(Model):
    __tablename__ = "support_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("support_message.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(50))
    size: Mapped[int]
    stored_name: Mapped[str] = mapped_column(sa.String(80), unique=True)

    message: Mapped[Message] = relationship(back_populates="attachments")


class CannedReply(TimestampMixin, Model):
    """定型文; placeholders {donor_name}, {donation_no}, {supplier_name} are filled on use."""

    __tablename__ = "support_canned_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(100), unique=True)
    body: Mapped[str] = mapped_column(sa.Text)


class FaqEntry(TimestampMixin, Model):
    __tablename__ = "support_faq"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(sa.String(300), unique=True)
    answer: Mapped[str] = mapped_column(sa.Text)
    keywords: Mapped[str] = mapped_column(sa.String(300), default="")  # space separated
    category: Mapped[Category | None] = mapped_column(enum_column(Category))
    active: Mapped[bool] = mapped_column(default=True)


class FaqSearchMiss(Model):
    """What a customer typed when no FAQ matched (monthly analysis: what to write next)."""

    __tablename__ = "support_faq_miss"

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(sa.String(300))
    searcher: Mapped[str] = mapped_column(sa.String(40), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class DeskDay(TimestampMixin, Model):
    """A calendar override for one date: closed, or open (with its own hours).

    Days without a row follow the rules in hours.py (weekdays 9–17, closed on national
    holidays and 29 Dec–3 Jan). Golden Week closures the city decides are rows here.
    """

    __tablename__ = "support_desk_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    is_open: Mapped[bool] = mapped_column(default=False)
    opens_at: Mapped[time | None]
    closes_at: Mapped[time | None]
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))


register_label("support_conversation", by_id(Conversation, "問い合わせ", lambda c: str(c.id)))
