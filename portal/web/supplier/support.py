"""Supplier side of the support desk: its own conversations as a chat (routes on supplier.bp).

Scope: conversations of the user's own company. What both customer chats share — uploads,
desk hours, the poll (and why it is a poll), attachments, FAQ — is portal/web/customer_chat.py.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Response,
    current_app,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from portal.core.errors import DomainError
from portal.extensions import db
from portal.support import conversations as conv_uc
from portal.support.models import (
    CATEGORY_LABELS,
    STATUS_LABELS,
    Conversation,
    CustomerKind,
)
from portal.web import chat, htmx
from portal.web.chat_forms import MessageForm, NewConversationForm, parse_category
from portal.web.forms import apply_domain_error


def _scope() -> sa.ColumnElement[bool]:
    return Conversation.supplier_id == current_user.supplier_id


def own_conversation(conv_id: int) -> Conversation:
    """Scoped query: another company's conversation is simply not found."""
    return chat.scoped_conversation(conv_id, _scope())


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
        **chat.desk_context(),
    )
    return make_response(html, status)


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
                files=chat.checked_files(form),
                upload_dir=current_app.config["UPLOAD_DIR"],
                by_user=current_user,
            )
            return htmx.redirect(url_for("supplier.support_chat", conv_id=conv.id))
        except DomainError as e:
            apply_domain_error(form, e)
    return _render_list(form, 422)


def _chat_context(conv: Conversation) -> dict:
    return chat.chat_context(conv, "supplier")


def support_chat(conv_id: int) -> str:
    conv = own_conversation(conv_id)
    conv_uc.mark_read_by_customer(conv)
    return render_template(
        "supplier/support_chat.html",
        form=MessageForm(formdata=None),
        **_chat_context(conv),
        **chat.desk_context(),
    )


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
                files=chat.checked_files(form),
                upload_dir=current_app.config["UPLOAD_DIR"],
            )
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
        "supplier/support_chat.html", form=form, **_chat_context(conv), **chat.desk_context()
    )
    return make_response(html, 422)


def support_poll(conv_id: int) -> Response:
    return chat.poll(conv_id, _scope(), "supplier")


def support_attachment(attachment_id: int) -> Response:
    return chat.send_attachment(attachment_id, _scope())


def support_faq() -> str:
    return chat.faq_suggestions(f"supplier:{current_user.id}")


def support_survey(conv_id: int) -> Response:
    conv = own_conversation(conv_id)
    error = None
    if request.method == "POST":
        try:
            conv_uc.answer_survey(
                db.session, conv, request.form.get("score", type=int) or 0, by_user=current_user
            )
            return htmx.redirect(url_for("supplier.support_chat", conv_id=conv.id))
        except DomainError as e:
            db.session.rollback()
            error = e.message
            conv = own_conversation(conv_id)
    html = render_template("supplier/support_survey.html", conv=conv, error=error)
    return make_response(html, 422 if error else 200)
