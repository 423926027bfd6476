"""Mail the customer a link back when staff reply, so the conversation survives a closed tab.

The view sends them after its commit. Internal notes are refused here as a second lock.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import render_template
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.core.links import public_url
from portal.core.mail import clean_address, send_mail
from portal.support.models import Conversation, CustomerKind, Message


def recipients(session: Session, conv: Conversation) -> list[str]:
    if conv.customer_kind == CustomerKind.SUPPLIER and conv.supplier_id is not None:
        emails = list(
            session.scalars(
                sa.select(User.email).where(
                    User.supplier_id == conv.supplier_id, User.active.is_(True)
                )
            )
        )
        if not emails and conv.supplier is not None and conv.supplier.email:
            emails = [conv.supplier.email]
        return [a for a in map(clean_address, emails) if a]
    # Donor: the one-time access link comes with the donor pages; mail the address on file
    # (one that is not a plain address, say imported with a line break, gets no mail).
    address = clean_address(conv.customer_email)
    return [address] if address else []


def reply_notice(session: Session, conv: Conversation, msg: Message) -> Callable[[], int]:
    """Prepare the mail that tells the customer a reply is waiting, and return what sends it.
    A donor has no account: a one-time link (portal.donors.access, 30 minutes, single use)
    opens the conversation again; its token row is part of this transaction, so the caller
    sends only after the commit (`portal.web.uow.after_commit`)."""
    if msg.internal:
        return lambda: 0
    to = recipients(session, conv)
    if conv.customer_kind == CustomerKind.SUPPLIER:
        link = public_url("supplier.support_chat", conv_id=conv.id)
    elif conv.donation_ref and to:
        from portal.donors.access import conversation_link

        link = conversation_link(session, conv.id)
    else:
        link = ""
    body = render_template("mail/support_reply.txt", conv=conv, link=link)
    subject = _("【庄原市ふるさと納税】お問い合わせへの返信があります")

    def send() -> int:
        for address in to:
            send_mail(address, subject, body)
        return len(to)

    return send


def send_survey(session: Session, conv: Conversation, token: str | None = None) -> int:
    """The one question after a resolved conversation. A supplier answers signed in; a donor
    has no account, so the survey token itself is the link (random, single use: answering
    clears it; it opens nothing but this one question). `token` is the link token that
    request_survey returned: the database keeps only its digest."""
    if conv.customer_kind == CustomerKind.SUPPLIER:
        link = public_url("supplier.support_survey", conv_id=conv.id)
    elif conv.survey_token and token:
        link = public_url("donor.support_survey", token=token)
    else:
        return 0
    body = render_template("mail/support_survey.txt", conv=conv, link=link)
    sent = 0
    for to in recipients(session, conv):
        send_mail(to, _("【庄原市ふるさと納税】お問い合わせ対応についてのアンケート"), body)
        sent += 1
    return sent
