"""Supplier side of the support desk: its own conversations as a chat (routes on supplier.bp).

Live updates — polling, not server-sent events. An SSE stream holds one gunicorn worker (or
one thread/greenlet) per open tab for as long as the tab is open; with sync workers a handful
of open chats would starve the portal. Polling costs one short request per open, *visible* tab
every POLL_SECONDS: the request is answered from one primary-key lookup (the conversation's
`last_public_message_id` and `staff_read_upto`, compared with the version the page already
has) and, when nothing changed, a 204 with no body — htmx then swaps nothing. Measured
(bench/support_poll.py, SQLite, one process): about 1 ms per empty poll including the
session and user load, about 3 ms when the log fragment is re-rendered. So 100 open, visible
tabs ≈ 20 requests/s ≈ 2% of one worker's time, shared by all workers, and no worker is held. The pause while the tab is hidden lives in static/js/support.js: our htmx config
forbids eval, so `hx-trigger="every 5s [document.visibilityState === 'visible']"` cannot be
used; the script fires a `support:poll` event only while the page is visible (and once on
return to the tab). Without JavaScript the page still works: a reload link shows new messages.
"""

from __future__ import annotations

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
from flask_login import current_user

from portal.core.errors import DomainError
from portal.extensions import db
from portal.support import attachments as att
from portal.support import conversations as conv_uc
from portal.support import faq
from portal.support.hours import load_calendar
from portal.support.models import (
    CATEGORY_LABELS,
    STATUS_LABELS,
    Attachment,
    Conversation,
    CustomerKind,
    Message,
)
from portal.web import htmx
from portal.web.forms import apply_domain_error
from portal.web.supplier import bp
from portal.web.support_forms import MessageForm, NewConversationForm, parse_category

POLL_SECONDS = 5


def own_conversation(conv_id: int) -> Conversation:
    """Scoped query: another company's conversation is simply not found."""
    conv = db.session.scalar(
        sa.select(Conversation).where(
            Conversation.id == conv_id, Conversation.supplier_id == current_user.supplier_id
        )
    )
    if conv is None:
        abort(404)
    return conv


def checked_files(form: MessageForm) -> list[att.CheckedFile]:
    f = form.attachment.data
    if not f or not getattr(f, "filename", ""):
        return []
    return [att.check_upload(f.filename, f.read(att.MAX_BYTES + 1))]


def desk_context() -> dict:
    cal = load_calendar(db.session)
    now = conv_uc.utcnow()
    return {"desk_open": cal.is_open(now), "desk_next": cal.next_opening(now)}


@bp.get("/support/")
def support_list() -> str:
    return _render_list(NewConversationForm())


def _render_list(form: NewConversationForm, status: int = 200) -> Response:
    convs = db.session.scalars(
        sa.select(Conversation)
        .where(Conversation.supplier_id == current_user.supplier_id)
        .order_by(Conversation.last_message_at.desc())
    ).all()
    html = render_template(
        "supplier/support_list.html",
        convs=convs,
        form=form,
        statuses=STATUS_LABELS,
        categories=CATEGORY_LABELS,
        **desk_context(),
    )
    return make_response(html, status)


@bp.post("/support/")
def support_start() -> Response:
    form = NewConversationForm()
    if form.validate_on_submit():
        try:
            conv = conv_uc.start_conversation(
                db.session,
                customer_kind=CustomerKind.SUPPLIER,
                supplier_id=current_user.supplier_id,
                customer_name=current_user.name,
                customer_email=current_user.email,
                subject=form.subject.data or "",
                category=parse_category(form.category.data),
                body=form.body.data or "",
                files=checked_files(form),
                upload_dir=current_app.config["UPLOAD_DIR"],
                by_user=current_user,
            )
            db.session.commit()
            return htmx.redirect(url_for("supplier.support_chat", conv_id=conv.id))
        except DomainError as e:
            db.session.rollback()
            apply_domain_error(form, e)
    return _render_list(form, 422)


def _chat_context(conv: Conversation) -> dict:
    return {
        "conv": conv,
        "messages": conv_uc.public_messages(db.session, conv),
        "version": conv_uc.poll_version(conv),
        "viewer": "customer",
        "poll_url": url_for("supplier.support_poll", conv_id=conv.id),
        "poll_seconds": POLL_SECONDS,
        "attachment_endpoint": "supplier.support_attachment",
        "statuses": STATUS_LABELS,
        "categories": CATEGORY_LABELS,
    }


@bp.get("/support/<int:conv_id>")
def support_chat(conv_id: int) -> str:
    conv = own_conversation(conv_id)
    conv_uc.mark_read_by_customer(conv)
    db.session.commit()
    return render_template(
        "supplier/support_chat.html",
        form=MessageForm(formdata=None),
        **_chat_context(conv),
        **desk_context(),
    )


@bp.post("/support/<int:conv_id>/messages")
def support_send(conv_id: int) -> Response:
    conv = own_conversation(conv_id)
    form = MessageForm()
    if form.validate_on_submit():
        try:
            conv_uc.post_customer_message(
                db.session,
                conv,
                form.body.data or "",
                by_user=current_user,
                files=checked_files(form),
                upload_dir=current_app.config["UPLOAD_DIR"],
            )
            db.session.commit()
            if htmx.is_fragment_request():
                # A fresh, empty form; the log refreshes itself through the poll event.
                html = render_template(
                    "support/_chat_form.html",
                    form=MessageForm(formdata=None),
                    conv=conv,
                    action=url_for("supplier.support_send", conv_id=conv.id),
                )
                return htmx.trigger(make_response(html), "support:poll")
            return htmx.redirect(url_for("supplier.support_chat", conv_id=conv.id) + "#latest")
        except DomainError as e:
            db.session.rollback()
            apply_domain_error(form, e)
    # Failed: the text stays in the box, with the reason beside it.
    if htmx.is_fragment_request():
        html = render_template(
            "support/_chat_form.html",
            form=form,
            conv=conv,
            action=url_for("supplier.support_send", conv_id=conv.id),
        )
        return make_response(html, 200)
    conv = own_conversation(conv_id)
    html = render_template(
        "supplier/support_chat.html", form=form, **_chat_context(conv), **desk_context()
    )
    return make_response(html, 422)


@bp.get("/support/<int:conv_id>/poll")
def support_poll(conv_id: int) -> Response:
    """204, no body, when the version the page has is still current (see module docstring)."""
    row = db.session.execute(
        sa.select(Conversation.last_public_message_id, Conversation.staff_read_upto).where(
            Conversation.id == conv_id, Conversation.supplier_id == current_user.supplier_id
        )
    ).one_or_none()
    if row is None:
        abort(404)
    version = f"{row[0]}.{row[1]}"
    if request.args.get("v") == version or version in request.if_none_match:
        response = make_response("", 204)
        response.headers["ETag"] = f'"{version}"'
        return response
    conv = own_conversation(conv_id)
    conv_uc.mark_read_by_customer(conv)
    db.session.commit()
    response = make_response(render_template("support/_chat_log.html", **_chat_context(conv)))
    response.headers["ETag"] = f'"{version}"'
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/support/attachments/<int:attachment_id>")
def support_attachment(attachment_id: int) -> Response:
    a = db.session.scalar(
        sa.select(Attachment)
        .join(Message)
        .join(Conversation)
        .where(
            Attachment.id == attachment_id,
            Message.internal.is_(False),
            Conversation.supplier_id == current_user.supplier_id,
        )
    )
    if a is None:
        abort(404)
    return send_file(
        att.path_of(current_app.config["UPLOAD_DIR"], a.stored_name),
        mimetype=a.content_type,
        download_name=a.filename,
        as_attachment=a.content_type == "application/pdf",
    )


@bp.get("/support/faq")
def support_faq() -> str:
    """FAQ answers that match what the supplier is typing (htmx, debounced)."""
    q = (request.args.get("body") or request.args.get("subject") or request.args.get("q") or "")[
        :300
    ]
    matches = faq.match(db.session, q)
    if not matches:
        faq.log_miss(db.session, q, f"supplier:{current_user.id}")
        db.session.commit()
    return render_template("support/_faq_matches.html", matches=matches, q=q)


@bp.route("/support/<int:conv_id>/survey", methods=["GET", "POST"])
def support_survey(conv_id: int) -> Response:
    conv = own_conversation(conv_id)
    error = None
    if request.method == "POST":
        try:
            conv_uc.answer_survey(
                db.session, conv, request.form.get("score", type=int) or 0, by_user=current_user
            )
            db.session.commit()
            return htmx.redirect(url_for("supplier.support_chat", conv_id=conv.id))
        except DomainError as e:
            db.session.rollback()
            error = e.message
            conv = own_conversation(conv_id)
    html = render_template("supplier/support_survey.html", conv=conv, error=error)
    return make_response(html, 422 if error else 200)
