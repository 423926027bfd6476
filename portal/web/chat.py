"""What the donor's and the supplier's chat with the desk share (portal/web/donor_support.py,
portal/web/supplier_support.py): uploads, desk hours, the chat page's context, the poll, the
attachment download and FAQ suggestions. Each side passes its own `scope` — the condition that
limits conversations to the ones its customer may see — so no query here can cross customers.

Live updates — polling, not server-sent events. An SSE stream holds one gunicorn worker (or
one thread/greenlet) per open tab for as long as the tab is open; with sync workers a handful
of open chats would starve the portal. Polling costs one short request per open, *visible* tab
every POLL_SECONDS: the request is answered from two indexed SELECTs — the signed-in user
with its live session row (accounts.sessions.load_user, as on every request) and the
conversation's `last_public_message_id` and `staff_read_upto`, compared with the version the
page already has — and, when nothing changed, a 204 with no body: htmx then swaps nothing.
Measured (bench/support_poll.py, SQLite, one process, 2026-12-02 on a loaded machine): 2.5 ms
CPU per empty poll against 0.8 ms for a bare route with the same cookie (3.7 ms before the
user and session became one SELECT), about 6 ms when the log fragment is re-rendered. So 100 open, visible
tabs ≈ 20 requests/s ≈ 5% of one worker's time, shared by all workers, and no worker is held.
The pause while the tab is hidden lives in static/js/support.js: our htmx config forbids eval,
so `hx-trigger="every 5s [document.visibilityState === 'visible']"` cannot be used; the script
fires a `support:poll` event only while the page is visible (and once on return to the tab).
Without JavaScript the page still works: a reload link shows new messages.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    current_app,
    make_response,
    render_template,
    request,
    send_file,
    url_for,
)

from portal.extensions import db
from portal.support import attachments as att
from portal.support import conversations as conv_uc
from portal.support import faq
from portal.support.hours import load_calendar
from portal.support.models import CATEGORY_LABELS, STATUS_LABELS, Attachment, Conversation, Message
from portal.web.chat_forms import MessageForm

POLL_SECONDS = 5


def checked_files(form: MessageForm) -> list[att.CheckedFile]:
    """The upload, checked by content and size (a DomainError says what is wrong)."""
    f = form.attachment.data
    if not f or not getattr(f, "filename", ""):
        return []
    return [att.check_upload(f.filename, f.read(att.MAX_BYTES + 1))]


def desk_context() -> dict[str, Any]:
    cal = load_calendar(db.session)
    now = conv_uc.utcnow()
    return {"desk_open": cal.is_open(now), "desk_next": cal.next_opening(now)}


def scoped_conversation(conv_id: int, scope: sa.ColumnElement[bool]) -> Conversation:
    """The conversation if the customer may see it; another customer's is simply not found."""
    conv = db.session.scalar(sa.select(Conversation).where(Conversation.id == conv_id, scope))
    if conv is None:
        abort(404)
    return conv


def chat_context(conv: Conversation, blueprint: str) -> dict[str, Any]:
    """The chat page's values; internal notes never reach it (`public_messages`)."""
    return {
        "conv": conv,
        "messages": conv_uc.public_messages(db.session, conv),
        "version": conv_uc.poll_version(conv),
        "viewer": "customer",
        "poll_url": url_for(f"{blueprint}.support_poll", conv_id=conv.id),
        "poll_seconds": POLL_SECONDS,
        "attachment_endpoint": f"{blueprint}.support_attachment",
        "statuses": STATUS_LABELS,
        "categories": CATEGORY_LABELS,
    }


def poll(conv_id: int, scope: sa.ColumnElement[bool], blueprint: str) -> Response:
    """204, no body, while the version the page has is still current (see the docstring)."""
    row = db.session.execute(
        sa.select(Conversation.last_public_message_id, Conversation.staff_read_upto).where(
            Conversation.id == conv_id, scope
        )
    ).one_or_none()
    if row is None:
        abort(404)
    version = f"{row[0]}.{row[1]}"
    if request.args.get("v") == version or version in request.if_none_match:
        response = make_response("", 204)
    else:
        conv = scoped_conversation(conv_id, scope)
        conv_uc.mark_read_by_customer(conv)
        response = make_response(
            render_template("support/_chat_log.html", **chat_context(conv, blueprint))
        )
    response.headers["ETag"] = f'"{version}"'
    response.headers["Cache-Control"] = "no-cache"
    return response


def send_attachment(attachment_id: int, scope: sa.ColumnElement[bool]) -> Response:
    """A file from a customer-visible message of a conversation in scope; 404 otherwise."""
    a = db.session.scalar(
        sa.select(Attachment)
        .join(Message)
        .join(Conversation)
        .where(Attachment.id == attachment_id, Message.internal.is_(False), scope)
    )
    if a is None:
        abort(404)
    return send_file(
        att.path_of(current_app.config["UPLOAD_DIR"], a.stored_name),
        mimetype=a.content_type,
        download_name=a.filename,
        as_attachment=a.content_type == "application/pdf",
    )


def faq_suggestions(source: str) -> str:
    """FAQ answers matching what the customer is typing (htmx, debounced); a real question
    that finds nothing is logged for the monthly analysis, an empty box is not."""
    # POST (htmx hx-post with the CSRF header): the unsent text never lands in a URL or an
    # access log; only its non-personal terms are kept for the analysis (faq.miss_terms).
    args = request.form
    q = (args.get("body") or args.get("subject") or args.get("q") or "")[:300]
    matches = faq.match(db.session, q)
    if not matches and q.strip():
        faq.log_miss(db.session, q, source)
    return render_template("support/_faq_matches.html", matches=matches, q=q)
