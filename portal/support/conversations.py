"""Use cases of the desk: open a conversation, post, reply, note, assign, categorise, close.

Each takes a session and plain values, flushes and never commits. Mail goes out from the
view after the commit (notifications.py), so a rolled-back reply never reaches anyone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.core import dates
from portal.core.errors import DomainError
from portal.core.models import utcnow
from portal.core.secrets_at_rest import token_digest
from portal.core.timeline import record_event
from portal.support import attachments as att
from portal.support.hours import load_calendar
from portal.support.models import (
    TRANSITIONS,
    Attachment,
    AuthorKind,
    Category,
    Channel,
    Conversation,
    ConversationEvent,
    ConversationStatus,
    CustomerKind,
    Message,
)

if TYPE_CHECKING:
    from portal.accounts.models import User

MAX_BODY = 4000
SUBJECT = "support_conversation"


def _check_body(body: str, files: Sequence[att.CheckedFile]) -> str:
    body = (body or "").strip()
    if not body and not files:
        raise DomainError(_l("メッセージを入力してください。"), field="body")
    if len(body) > MAX_BODY:
        raise DomainError(_l("メッセージが長すぎます（%(n)s文字まで）。", n=MAX_BODY), field="body")
    return body


def _add_message(
    session: Session,
    conv: Conversation,
    author: AuthorKind,
    body: str,
    *,
    by_user: User | None,
    internal: bool = False,
    files: Sequence[att.CheckedFile] = (),
    upload_dir: str | None = None,
    at: datetime | None = None,
) -> Message:
    msg = Message(
        conversation=conv,
        author_kind=author,
        author_user_id=by_user.id if by_user is not None else None,
        body=body,
        internal=internal,
        created_at=at or utcnow(),
    )
    session.add(msg)
    for f in files:
        if upload_dir is None:
            raise ValueError("upload_dir needed for attachments")
        msg.attachments.append(
            Attachment(
                filename=f.filename,
                content_type=f.content_type,
                size=len(f.data),
                stored_name=att.store(upload_dir, f),
            )
        )
    session.flush()
    conv.last_message_at = msg.created_at
    if not internal:
        conv.last_public_message_id = msg.id
    if author == AuthorKind.CUSTOMER:
        conv.last_customer_message_id = msg.id
        conv.customer_read_upto = msg.id
    elif author == AuthorKind.STAFF and not internal:
        conv.staff_read_upto = max(conv.staff_read_upto, conv.last_customer_message_id)
    return msg


def _auto_reply_if_closed(session: Session, conv: Conversation, at: datetime) -> Message | None:
    cal = load_calendar(session)
    if cal.is_open(at):
        return None
    opens = cal.next_opening(at)
    text = _l(
        "お問い合わせありがとうございます。ただいま窓口の受付時間外です"
        "（平日9:00〜17:00、祝日・年末年始を除く）。%(when)s以降に担当者からお返事します。",
        when=dates.format_datetime(opens, str(get_locale() or "ja")),
    )
    return _add_message(session, conv, AuthorKind.SYSTEM, str(text), by_user=None, at=at)


def start_conversation(
    session: Session,
    *,
    customer_kind: CustomerKind,
    body: str,
    by_user: User | None,
    supplier_id: int | None = None,
    donation_ref: str | None = None,
    customer_name: str = "",
    customer_email: str = "",
    subject: str = "",
    category: Category | None = None,
    channel: Channel = Channel.CHAT,
    files: Sequence[att.CheckedFile] = (),
    upload_dir: str | None = None,
    at: datetime | None = None,
) -> Conversation:
    """A customer opens a conversation (chat), or staff log a phone call / e-mail."""
    body = _check_body(body, files)
    if customer_kind == CustomerKind.SUPPLIER and supplier_id is None:
        raise DomainError(_l("事業者を選んでください。"), field="supplier_id")
    if customer_kind == CustomerKind.DONOR and not (donation_ref or customer_name):
        raise DomainError(_l("寄附番号か寄附者名を入力してください。"), field="donation_ref")
    at = at or utcnow()
    conv = Conversation(
        customer_kind=customer_kind,
        supplier_id=supplier_id if customer_kind == CustomerKind.SUPPLIER else None,
        donation_ref=donation_ref or None,
        customer_name=customer_name,
        customer_email=customer_email,
        subject=subject.strip()[:200],
        category=category,
        is_complaint=category == Category.COMPLAINT,
        channel=channel,
        status=ConversationStatus.OPEN,
        created_at=at,
    )
    session.add(conv)
    session.flush()
    _add_message(
        session,
        conv,
        AuthorKind.CUSTOMER,
        body,
        by_user=by_user,
        files=files,
        upload_dir=upload_dir,
        at=at,
    )
    if channel != Channel.CHAT:
        # Logged by staff after the call: the desk has read it.
        conv.staff_read_upto = conv.last_customer_message_id
    record_event(
        session, SUBJECT, conv.id, ConversationEvent.OPENED, by_user=by_user, channel=channel.value
    )
    if channel == Channel.CHAT:
        _auto_reply_if_closed(session, conv, at)
    session.flush()
    return conv


def post_customer_message(
    session: Session,
    conv: Conversation,
    body: str,
    *,
    by_user: User | None,
    files: Sequence[att.CheckedFile] = (),
    upload_dir: str | None = None,
    at: datetime | None = None,
) -> Message:
    body = _check_body(body, files)
    msg = _add_message(
        session,
        conv,
        AuthorKind.CUSTOMER,
        body,
        by_user=by_user,
        files=files,
        upload_dir=upload_dir,
        at=at,
    )
    if conv.status != ConversationStatus.OPEN:
        change_status(session, conv, ConversationStatus.OPEN, by_user=by_user)
    return msg


def post_staff_message(
    session: Session,
    conv: Conversation,
    body: str,
    *,
    by_user: User,
    internal: bool = False,
    files: Sequence[att.CheckedFile] = (),
    upload_dir: str | None = None,
    at: datetime | None = None,
) -> Message:
    """A reply (the customer sees it and gets a mail) or an internal note (nobody outside).

    A reply's placeholders are filled here, whether typed or inserted from a 定型文."""
    body = _check_body(body, files)
    if not internal:
        body = substitute_reply(body, conv)
    msg = _add_message(
        session,
        conv,
        AuthorKind.STAFF,
        body,
        by_user=by_user,
        internal=internal,
        files=files,
        upload_dir=upload_dir,
        at=at,
    )
    if not internal:
        if conv.first_response_at is None:
            conv.first_response_at = msg.created_at
        if conv.assignee_id is None:
            conv.assignee_id = by_user.id
        if conv.status == ConversationStatus.OPEN:
            change_status(session, conv, ConversationStatus.WAITING, by_user=by_user)
    session.flush()
    return msg


def change_status(
    session: Session,
    conv: Conversation,
    new: ConversationStatus,
    *,
    by_user: User | None,
    resolution: str = "",
) -> ConversationStatus:
    old = conv.status
    if new not in TRANSITIONS[old]:
        raise DomainError(_l("この操作は今の状態ではできません。"), field="status")
    conv.status = new
    if new == ConversationStatus.CLOSED:
        conv.resolved_at = utcnow()
        if resolution:
            conv.resolution = resolution.strip()
    elif old == ConversationStatus.CLOSED:
        conv.resolved_at = None
    record_event(
        session, SUBJECT, conv.id, ConversationEvent.moved_to(new), by_user=by_user, old=old.value
    )
    session.flush()
    return new


def assign(session: Session, conv: Conversation, assignee: User | None, *, by_user: User) -> None:
    from portal.core.roles import STAFF_ROLES

    if assignee is not None and assignee.role not in STAFF_ROLES:
        raise DomainError(_l("担当者には職員を選んでください。"), field="assignee_id")
    conv.assignee_id = assignee.id if assignee is not None else None
    record_event(
        session,
        SUBJECT,
        conv.id,
        ConversationEvent.ASSIGNED,
        by_user=by_user,
        assignee_id=conv.assignee_id,
    )
    session.flush()


def categorise(
    session: Session,
    conv: Conversation,
    category: Category | None,
    *,
    is_complaint: bool,
    by_user: User,
) -> None:
    conv.category = category
    conv.is_complaint = is_complaint or category == Category.COMPLAINT
    record_event(
        session,
        SUBJECT,
        conv.id,
        ConversationEvent.CATEGORISED,
        by_user=by_user,
        category=category.value if category else None,
        complaint=conv.is_complaint,
    )
    session.flush()


def mark_read_by_staff(conv: Conversation) -> None:
    conv.staff_read_upto = max(conv.staff_read_upto, conv.last_customer_message_id)


def mark_read_by_customer(conv: Conversation) -> None:
    conv.customer_read_upto = max(conv.customer_read_upto, conv.last_public_message_id)


def public_messages(session: Session, conv: Conversation) -> list[Message]:
    """What the customer may see: never internal notes."""
    return list(
        session.scalars(
            sa.select(Message)
            .where(Message.conversation_id == conv.id, Message.internal.is_(False))
            .order_by(Message.id)
        )
    )


def poll_version(conv: Conversation) -> str:
    """Changes when the customer's view would change (a new visible message, a read mark)."""
    return f"{conv.last_public_message_id}.{conv.staff_read_upto}"


PLACEHOLDERS = ("donor_name", "donation_no", "supplier_name")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _placeholder_values(conv: Conversation) -> dict[str, str]:
    return dict(
        donor_name=conv.customer_name if conv.customer_kind == CustomerKind.DONOR else "",
        donation_no=conv.donation_ref or "",
        supplier_name=conv.supplier.name if conv.supplier is not None else "",
        customer_name=conv.customer_name or (conv.supplier.name if conv.supplier else ""),
    )


def fill_placeholders(template: str, conv: Conversation) -> str:
    """{donor_name}, {donation_no}, {supplier_name}; unknown braces stay as typed."""
    values = _placeholder_values(conv)
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def substitute_reply(body: str, conv: Conversation) -> str:
    """What the customer receives: every placeholder filled, or the reply is refused.

    A placeholder that is unknown, or that has no value in this conversation (a supplier has
    no {donor_name}), would reach the customer as typed or as a gap: say so beside the field.
    """
    values = _placeholder_values(conv)
    for m in _PLACEHOLDER.finditer(body):
        if not values.get(m.group(1)):
            raise DomainError(
                _l(
                    "差し込み %(name)s はこの問い合わせでは使えません。使えるのは %(known)s です。",
                    name=m.group(0),
                    known=" ".join(f"{{{k}}}" for k in PLACEHOLDERS if values.get(k)) or "-",
                ),
                field="body",
            )
    return fill_placeholders(body, conv)


def unread_count(session: Session) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Conversation)
            .where(Conversation.last_customer_message_id > Conversation.staff_read_upto)
        )
        or 0
    )


def request_survey(session: Session, conv: Conversation, *, by_user: User) -> str:
    """Staff choose to ask one question after a resolved conversation (never automatic)."""
    import secrets

    if conv.status != ConversationStatus.CLOSED:
        raise DomainError(_l("アンケートは解決済の問い合わせにだけ送れます。"), field="status")
    if conv.satisfaction is not None:
        raise DomainError(_l("この問い合わせのアンケートは回答済です。"), field="status")
    token = secrets.token_urlsafe(24)
    conv.survey_token = token_digest(token)  # only the digest is kept; the link is mailed
    record_event(session, SUBJECT, conv.id, ConversationEvent.SURVEY_SENT, by_user=by_user)
    session.flush()
    return token


def answer_survey(
    session: Session, conv: Conversation, score: int, *, by_user: User | None
) -> None:
    if conv.survey_token is None or conv.satisfaction is not None:
        raise DomainError(_l("このアンケートには回答できません。"), field="score")
    if score not in range(1, 6):
        raise DomainError(_l("1から5で選んでください。"), field="score")
    conv.satisfaction = score
    conv.survey_token = None
    record_event(
        session, SUBJECT, conv.id, ConversationEvent.SURVEY_ANSWERED, by_user=by_user, score=score
    )
    session.flush()
