"""Outgoing mail through a real SMTP client; in development a file outbox.

MAIL_URL: smtp://host:port (plain, as a local relay or the test server), smtps://host:port,
smtp+starttls://user:pass@host:587, or file:///dir (one .eml per message).
"""

from __future__ import annotations

import re
import smtplib
import uuid
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.core.models import utcnow
from portal.extensions import Model

# One mailbox, no display name: local@domain with no whitespace, control character, comma or
# angle bracket (an address imported with a line break must not add a header or a recipient).
_ATOM = r"[^\s@,;<>\"()\x00-\x1f\x7f]+"
_ADDRESS = re.compile(rf"{_ATOM}@{_ATOM}")


class BadAddress(ValueError):
    """A recipient that is not one plain address (a line break, two addresses, junk)."""


def clean_address(raw: str | None) -> str:
    """The address trimmed, or "" when it is not exactly one plain address."""
    text = (raw or "").strip()
    return text if _ADDRESS.fullmatch(text) else ""


def build_message(to: str, subject: str, body: str, *, sender: str) -> EmailMessage:
    recipients = [clean_address(a) for a in to.split(",")]
    if not all(recipients):
        raise BadAddress("recipient is not a plain address")
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    msg.set_content(body)
    return msg


def send_mail(to: str, subject: str, body: str) -> EmailMessage:
    """Send now (jobs call this for bulk mail); the message is returned for the caller."""
    cfg = current_app.config
    msg = build_message(to, subject, body, sender=cfg["MAIL_FROM"])
    deliver(msg, cfg["MAIL_URL"])
    return msg


def deliver(msg: EmailMessage, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "file":
        outbox = Path(unquote(parts.path))
        outbox.mkdir(parents=True, exist_ok=True)
        (outbox / f"{uuid.uuid4().hex}.eml").write_bytes(bytes(msg))
        return
    host, port = parts.hostname or "127.0.0.1", parts.port
    if parts.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, port or 465, timeout=30)
    else:
        client = smtplib.SMTP(host, port or 25, timeout=30)
    with client:
        if parts.scheme == "smtp+starttls":
            client.starttls()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(msg)


# --- once only ----------------------------------------------------------------------------


class MailSent(Model):
    """A mail a job has claimed by its idempotency key (e.g. incident-city:3).

    The claim is committed before the mail goes, so a job that crashes after sending but
    before its own commit (the mark that says "done") sends nothing again when re-run: at
    most once, which is what a donor or the city expects of a notice. An SMTP failure drops
    the claim, so the retry does send."""

    __tablename__ = "mail_sent"

    key: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


def send_mail_once(session: Session, key: str, to: str, subject: str, body: str) -> bool:
    """Send unless a mail with this key was already claimed; True when this call sent it.
    Commits the session (the claim) before sending: call it where the job's work so far may
    be committed, and do the job's "done" marking after it."""
    if session.get(MailSent, key) is not None:
        return False
    session.add(MailSent(key=key))
    try:
        session.commit()
    except sa.exc.IntegrityError:  # another worker claimed it first
        session.rollback()
        return False
    try:
        send_mail(to, subject, body)
    except Exception:
        session.execute(sa.delete(MailSent).where(MailSent.key == key))
        session.commit()
        raise
    return True
