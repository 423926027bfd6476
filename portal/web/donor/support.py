"""Donor side of the support desk: conversations about one's own donations, as a chat.

Routes on donor.bp, behind its donor session. A donor conversation is tied to a donation by
`donation_ref` (the 寄附受付番号); the session may see a conversation only when that number
belongs to one of its donations. What both customer chats share — uploads, desk hours, the
poll (and why it is a poll), attachments without internal notes, FAQ — is
portal/web/customer_chat.py.
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
    url_for,
)

from portal.core.errors import DomainError
from portal.core.secrets_at_rest import token_digest
from portal.donations.models import Donation
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
from portal.web.donor.scope import audit_view, donor_ids, own_donation
from portal.web.forms import apply_domain_error


def _own_numbers() -> list[str]:
    ids = donor_ids()
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Donation.donation_no).where(Donation.id.in_(ids))))


def _scope() -> sa.ColumnElement[bool]:
    return sa.and_(
        Conversation.customer_kind == CustomerKind.DONOR,
        Conversation.donation_ref.in_(_own_numbers()),
    )


def donation_conversations(donation: Donation) -> list[Conversation]:
    return list(
        db.session.scalars(
            sa.select(Conversation)
            .where(
                Conversation.customer_kind == CustomerKind.DONOR,
                Conversation.donation_ref == donation.donation_no,
            )
            .order_by(Conversation.last_message_at.desc())
        )
    )


def own_conversation(conv_id: int) -> Conversation:
    return chat.scoped_conversation(conv_id, _scope())


def _donation_of(conv: Conversation) -> Donation:
    d = db.session.scalar(sa.select(Donation).where(Donation.donation_no == conv.donation_ref))
    if d is None:
        abort(404)
    return d


def _render_list(donation: Donation, form: NewConversationForm, code: int = 200) -> Response:
    html = render_template(
        "donor/support_list.html",
        donation=donation,
        convs=donation_conversations(donation),
        form=form,
        statuses=STATUS_LABELS,
        categories=CATEGORY_LABELS,
        **chat.desk_context(),
    )
    return make_response(html, code)


def support_list(donation_id: int) -> Response:
    return _render_list(own_donation(donation_id), NewConversationForm(formdata=None))


def support_start(donation_id: int) -> Response:
    d = own_donation(donation_id)
    form = NewConversationForm()
    if form.validate_on_submit():
        try:
            conv = conv_uc.start_conversation(
                db.session,
                customer_kind=CustomerKind.DONOR,
                donation_ref=d.donation_no,
                customer_name=d.donor_name,
                customer_email=d.email,
                subject=form.subject.data or "",
                category=parse_category(form.category.data),
                body=form.body.data or "",
                files=chat.checked_files(form),
                upload_dir=current_app.config["UPLOAD_DIR"],
                by_user=None,
            )
            return htmx.redirect(url_for("donor.support_chat", conv_id=conv.id))
        except DomainError as e:
            apply_domain_error(form, e)
    return _render_list(d, form, 422)


def _chat_context(conv: Conversation) -> dict:
    return chat.chat_context(conv, "donor")


def support_chat(conv_id: int) -> str:
    conv = own_conversation(conv_id)
    donation = _donation_of(conv)
    audit_view(donation, f"support conversation {conv.id}")
    conv_uc.mark_read_by_customer(conv)
    return render_template(
        "donor/support_chat.html",
        donation=donation,
        form=MessageForm(formdata=None),
        **_chat_context(conv),
        **chat.desk_context(),
    )


def support_send(conv_id: int) -> Response:
    conv = own_conversation(conv_id)
    form = MessageForm()
    action = url_for("donor.support_send", conv_id=conv.id)
    if form.validate_on_submit():
        try:
            conv_uc.post_customer_message(
                db.session,
                conv,
                form.body.data or "",
                by_user=None,
                files=chat.checked_files(form),
                upload_dir=current_app.config["UPLOAD_DIR"],
            )
            if htmx.is_fragment_request():
                html = render_template(
                    "support/_chat_form.html",
                    form=MessageForm(formdata=None),
                    conv=conv,
                    action=action,
                )
                return htmx.trigger(make_response(html), "support:poll")
            return htmx.redirect(url_for("donor.support_chat", conv_id=conv.id) + "#latest")
        except DomainError as e:
            apply_domain_error(form, e)
    # Failed: the text stays in the box, with the reason beside it.
    if htmx.is_fragment_request():
        return make_response(
            render_template("support/_chat_form.html", form=form, conv=conv, action=action), 200
        )
    conv = own_conversation(conv_id)
    html = render_template(
        "donor/support_chat.html",
        donation=_donation_of(conv),
        form=form,
        **_chat_context(conv),
        **chat.desk_context(),
    )
    return make_response(html, 422)


def support_poll(conv_id: int) -> Response:
    return chat.poll(conv_id, _scope(), "donor")


def support_attachment(attachment_id: int) -> Response:
    return chat.send_attachment(attachment_id, _scope())


def support_faq() -> str:
    return chat.faq_suggestions("donor")


# --- the satisfaction survey (one question, reached from the mail without a donor session) --

SURVEY_TOKEN_MAX = 64


def _survey_conversation(token: str) -> Conversation | None:
    if not token or len(token) > SURVEY_TOKEN_MAX:
        return None
    return db.session.scalar(
        sa.select(Conversation).where(
            Conversation.customer_kind == CustomerKind.DONOR,
            Conversation.survey_token == token_digest(token),
        )
    )


def support_survey(token: str) -> Response:
    """Opening the link shows the question (a mail scanner opening it answers nothing); the
    answer clears the token, so the link works once."""
    conv = _survey_conversation(token)
    if conv is None:
        html = render_template("donor/support_survey.html", conv=None, done=False, error=None)
        return make_response(html, 410)
    error = None
    if request.method == "POST":
        try:
            conv_uc.answer_survey(
                db.session, conv, request.form.get("score", type=int) or 0, by_user=None
            )
        except DomainError as e:
            db.session.rollback()
            error = e.message
        else:
            html = render_template("donor/support_survey.html", conv=conv, done=True, error=None)
            return make_response(html, 200)
    html = render_template("donor/support_survey.html", conv=conv, done=False, error=error)
    return make_response(html, 422 if error else 200)
