"""Canned replies: staff-written answers with placeholders, filled per conversation."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.core.errors import DomainError
from portal.support.models import CannedReply


def add_canned_reply(session: Session, title: str, body: str) -> CannedReply:
    title, body = title.strip(), body.strip()
    if session.scalar(sa.select(CannedReply.id).where(CannedReply.title == title)) is not None:
        raise DomainError(_l("同じ名前の定型文がすでにあります。"), field="title")
    reply = CannedReply(title=title, body=body)
    session.add(reply)
    session.flush()
    return reply


def delete_canned_reply(session: Session, reply_id: int) -> None:
    reply = session.get(CannedReply, reply_id)
    if reply is not None:
        session.delete(reply)
        session.flush()
