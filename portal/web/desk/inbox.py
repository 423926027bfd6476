"""Support desk (staff inbox): every conversation, filters, reply, notes, assign, close.

Operators work the desk; city staff read it (can_work_support_desk). Polling for the staff
conversation page works as on the customers' side (see portal/web/chat.py).
"""

from __future__ import annotations

from datetime import datetime

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
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from portal.accounts.models import Supplier, User
from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.core.roles import STAFF_ROLES, can_search_donations, can_work_support_desk
from portal.donations import search as donation_search_domain
from portal.extensions import db
from portal.support import attachments as att
from portal.support import conversations as conv_uc
from portal.support import queries as support_queries
from portal.support.models import (
    CATEGORY_LABELS,
    CHANNEL_LABELS,
    STATUS_LABELS,
    Attachment,
    Category,
    Channel,
    Conversation,
    ConversationStatus,
    CustomerKind,
)
from portal.support.notifications import reply_notice, send_survey
from portal.web import audit_trail, chat, htmx, uow
from portal.web.chat_forms import (
    AssignForm,
    CategoriseForm,
    LogInquiryForm,
    ReplyForm,
    StatusForm,
    parse_category,
)
from portal.web.forms import FlaskForm, apply_domain_error, choices, nfkc
from portal.web.guards import requires
from portal.web.staff.labels import STATE_LABELS as DONATION_STATE_LABELS

POLL_SECONDS = chat.POLL_SECONDS  # the staff page polls like the customers' chat
PAGE = 50


def desk_counts() -> dict:
    def support_unread_count() -> int:
        if not current_user.is_authenticated or current_user.role not in STAFF_ROLES:
            return 0
        return conv_uc.unread_count(db.session)

    def support_recent_complaints(limit: int = 10) -> tuple[support_queries.ComplaintRow, ...]:
        return support_queries.recent_complaints(db.session, limit)

    return {
        "support_unread_count": support_unread_count,
        "support_recent_complaints": support_recent_complaints,
    }


def get_conversation(conv_id: int) -> Conversation:
    conv = db.session.get(Conversation, conv_id)
    if conv is None:
        abort(404)
    return conv


def index() -> str:
    f = request.args
    q = sa.select(Conversation)
    status = f.get("status", "active")
    if status == "active":
        q = q.where(Conversation.status != ConversationStatus.CLOSED)
    elif status in {s.value for s in ConversationStatus}:
        q = q.where(Conversation.status == ConversationStatus(status))
    if f.get("category") in {c.value for c in Category}:
        q = q.where(Conversation.category == Category(f["category"]))
    elif f.get("category") == "none":
        q = q.where(Conversation.category.is_(None))
    assignee = f.get("assignee", "")
    if assignee == "me":
        q = q.where(Conversation.assignee_id == current_user.id)
    elif assignee == "none":
        q = q.where(Conversation.assignee_id.is_(None))
    elif assignee.isdigit():
        q = q.where(Conversation.assignee_id == int(assignee))
    if f.get("unread"):
        q = q.where(Conversation.last_customer_message_id > Conversation.staff_read_upto)
    if f.get("complaint"):
        q = q.where(Conversation.is_complaint.is_(True))
    if f.get("channel") in {c.value for c in Channel}:
        q = q.where(Conversation.channel == Channel(f["channel"]))
    # Newest activity first, one page at a time through a keyset cursor (last_message_at, id):
    # the list can grow all December, and the page after the first costs the same as the first.
    cursor = _cursor(f.get("before", ""))
    if cursor is not None:
        at, cid = cursor
        q = q.where(
            sa.or_(
                Conversation.last_message_at < at,
                sa.and_(Conversation.last_message_at == at, Conversation.id < cid),
            )
        )
    q = q.options(selectinload(Conversation.supplier), selectinload(Conversation.assignee))
    rows = db.session.scalars(
        q.order_by(Conversation.last_message_at.desc(), Conversation.id.desc()).limit(PAGE + 1)
    ).all()
    convs, more = rows[:PAGE], len(rows) > PAGE
    next_before = f"{convs[-1].last_message_at.isoformat()}_{convs[-1].id}" if more else None
    audit_trail.record_list(
        "support_conversation", "問い合わせ一覧", [f"問い合わせ {c.id}" for c in convs]
    )
    return render_template(
        "support/index.html",
        convs=convs,
        f=f,
        status=status,
        statuses=STATUS_LABELS,
        categories=CATEGORY_LABELS,
        channels=CHANNEL_LABELS,
        staff=support_queries.staff_members(db.session),
        can_work=can_work_support_desk(current_user),
        next_before=next_before,
        list_args={k: v for k, v in f.items() if k != "before"},
    )


def _cursor(raw: str) -> tuple[datetime, int] | None:
    """The inbox's keyset cursor `<last_message_at ISO>_<id>`; None when absent or malformed."""
    at, _, cid = raw.replace(" ", "+").rpartition("_")
    try:
        return datetime.fromisoformat(at), int(cid)
    except ValueError:
        return None


def _conversation_page(
    conv: Conversation, reply: ReplyForm | None = None, status: int = 200
) -> Response:
    reply = reply or ReplyForm(formdata=None)
    ctx = support_queries.conversation_context(
        db.session,
        conv,
        today_jst(),
        canned_id=None if reply.body.data else request.args.get("canned", type=int),
    )
    if ctx.canned_text is not None:
        reply.body.data = ctx.canned_text
    assign = AssignForm(formdata=None, assignee_id=str(conv.assignee_id or ""))
    assign.assignee_id.choices = choices([("", _("未割当")), *ctx.staff])
    categorise = CategoriseForm(
        formdata=None,
        category=conv.category.value if conv.category else "",
        is_complaint=conv.is_complaint,
    )
    html = render_template(
        "support/conversation.html",
        conv=conv,
        messages=conv.messages,
        version=_staff_version(conv),
        viewer="staff",
        poll_url=url_for("support.poll", conv_id=conv.id),
        poll_seconds=POLL_SECONDS,
        attachment_endpoint="support.attachment",
        form=reply,
        canned=ctx.canned,
        assign=assign,
        categorise=categorise,
        status_form=StatusForm(formdata=None),
        statuses=STATUS_LABELS,
        categories=CATEGORY_LABELS,
        channels=CHANNEL_LABELS,
        gifts=ctx.gifts,
        donor_donation=ctx.donor_donation,
        donor_shipments=ctx.donor_shipments,
        supplier_orders=ctx.supplier_orders,
        first_response_minutes=ctx.first_response_minutes,
        can_work=can_work_support_desk(current_user),
        search=DonationSearchForm(formdata=None),
        found=None,
    )
    return make_response(html, status)


def _version(
    last_customer_message_id: int, customer_read_upto: int, last_message_at: datetime
) -> str:
    return f"{last_customer_message_id}.{customer_read_upto}.{int(last_message_at.timestamp())}"


def _staff_version(conv: Conversation) -> str:
    return _version(conv.last_customer_message_id, conv.customer_read_upto, conv.last_message_at)


# Built once: what the desk's version is made of, without loading the conversation.
_VERSION_OF = sa.select(
    Conversation.last_customer_message_id,
    Conversation.customer_read_upto,
    Conversation.last_message_at,
).where(Conversation.id == sa.bindparam("conv_id"))


def conversation(conv_id: int) -> Response:
    conv = get_conversation(conv_id)
    audit_trail.record("view", "support_conversation", conv.id)
    conv_uc.mark_read_by_staff(conv)
    response = _conversation_page(conv)
    return response


def poll(conv_id: int) -> Response:
    """The chat log again once something changed; until then 204 from three columns (the
    conversation is loaded only when there is news to render)."""
    row = db.session.execute(_VERSION_OF, {"conv_id": conv_id}).one_or_none()
    if row is None:
        abort(404)
    if request.args.get("v") == _version(*row):
        return make_response("", 204)  # nothing new is shown: no audit row
    conv = get_conversation(conv_id)
    audit_trail.record("view", "support_conversation", conv.id, detail="poll")
    conv_uc.mark_read_by_staff(conv)
    html = render_template(
        "support/_chat_log.html",
        conv=conv,
        messages=conv.messages,
        version=_staff_version(conv),
        viewer="staff",
        poll_url=url_for("support.poll", conv_id=conv.id),
        poll_seconds=POLL_SECONDS,
        attachment_endpoint="support.attachment",
    )
    return make_response(html)


@requires(can_work_support_desk)
def reply(conv_id: int) -> Response:
    conv = get_conversation(conv_id)
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            f = form.attachment.data
            files = (
                [att.check_upload(f.filename, f.read(att.MAX_BYTES + 1))]
                if f and getattr(f, "filename", "")
                else []
            )
            msg = conv_uc.post_staff_message(
                db.session,
                conv,
                form.body.data or "",
                by_user=current_user,
                internal=bool(form.internal.data),
                files=files,
                upload_dir=current_app.config["UPLOAD_DIR"],
            )
            if not msg.internal:
                uow.after_commit(reply_notice(db.session, conv, msg))
            return htmx.redirect(url_for("support.conversation", conv_id=conv.id) + "#latest")
        except DomainError as e:
            apply_domain_error(form, e)
            conv = get_conversation(conv_id)
    return _conversation_page(conv, form, 422)


@requires(can_work_support_desk)
def assign(conv_id: int) -> Response:
    conv = get_conversation(conv_id)
    value = request.form.get("assignee_id", "")
    if value == "me":
        value = str(current_user.id)
    user = db.session.get(User, int(value)) if value.isdigit() else None
    try:
        conv_uc.assign(db.session, conv, user, by_user=current_user)
    except DomainError:
        abort(400)
    return htmx.redirect(url_for("support.conversation", conv_id=conv.id))


@requires(can_work_support_desk)
def categorise(conv_id: int) -> Response:
    conv = get_conversation(conv_id)
    form = CategoriseForm()
    if not form.validate_on_submit():
        abort(400)
    conv_uc.categorise(
        db.session,
        conv,
        parse_category(form.category.data),
        is_complaint=bool(form.is_complaint.data),
        by_user=current_user,
    )
    return htmx.redirect(url_for("support.conversation", conv_id=conv.id))


@requires(can_work_support_desk)
def change_status(conv_id: int) -> Response:
    conv = get_conversation(conv_id)
    target = request.form.get("to", "")
    if target not in {s.value for s in ConversationStatus}:
        abort(400)
    try:
        conv_uc.change_status(
            db.session,
            conv,
            ConversationStatus(target),
            by_user=current_user,
            resolution=request.form.get("resolution", ""),
        )
    except DomainError:
        abort(409)
    return htmx.redirect(url_for("support.conversation", conv_id=conv.id))


@requires(can_work_support_desk)
def survey(conv_id: int) -> Response:
    conv = get_conversation(conv_id)
    try:
        token = conv_uc.request_survey(db.session, conv, by_user=current_user)
    except DomainError:
        abort(409)
    uow.after_commit(lambda: send_survey(db.session, conv, token))
    return htmx.redirect(url_for("support.conversation", conv_id=conv.id))


def attachment(attachment_id: int) -> Response:
    a = db.session.get(Attachment, attachment_id)
    if a is None:
        abort(404)
    audit_trail.record(
        "download", "support_conversation", a.message.conversation_id, detail=f"attachment={a.id}"
    )
    return send_file(
        att.path_of(current_app.config["UPLOAD_DIR"], a.stored_name),
        mimetype=a.content_type,
        download_name=a.filename,
        as_attachment=a.content_type == "application/pdf",
    )


# --- logging a phone call or an e-mail --------------------------------------------------


def _log_form(form: LogInquiryForm) -> LogInquiryForm:
    suppliers = db.session.execute(
        sa.select(Supplier.id, Supplier.code, Supplier.name).order_by(Supplier.code)
    ).all()
    form.supplier_id.choices = choices(
        [("", _("選んでください")), *[(str(i), f"{c} {n}") for i, c, n in suppliers]]
    )
    return form


@requires(can_work_support_desk)
def log_inquiry() -> Response | str:
    form = _log_form(LogInquiryForm())
    if form.validate_on_submit():
        try:
            kind = CustomerKind(form.customer_kind.data)
            conv = conv_uc.start_conversation(
                db.session,
                customer_kind=kind,
                supplier_id=int(form.supplier_id.data) if form.supplier_id.data else None,
                donation_ref=form.donation_ref.data or None,
                customer_name=form.customer_name.data or "",
                customer_email=form.customer_email.data or "",
                subject=form.subject.data or "",
                category=parse_category(form.category.data),
                channel=Channel(form.channel.data),
                body=form.body.data or "",
                by_user=current_user,
            )
            conv.assignee_id = current_user.id
            return htmx.redirect(url_for("support.conversation", conv_id=conv.id))
        except DomainError as e:
            apply_domain_error(form, e)
    status = 422 if request.method == "POST" else 200
    return make_response(render_template("support/log_inquiry.html", form=form), status)


# --- FAQ, canned replies, desk calendar ----------------------------------------------------


# --- the side panel's donation search --------------------------------------------------------

SIDE_RESULTS = 10


class DonationSearchForm(FlaskForm):
    q = StringField(
        _l("寄附を探す"),
        filters=[nfkc],
        validators=[
            DataRequired(message=_l("番号・氏名・電話番号などを入力してください。")),
            Length(max=100),
        ],
    )


@requires(can_search_donations)
def donation_search() -> str:
    """htmx (POST, CSRF): the caller's donation by number, name, kana, phone, e-mail or postal
    code, shown beside the conversation. The term stays in the request body; the donations
    shown are audited (numbers only, never the term)."""
    form = DonationSearchForm()
    found = None
    if form.validate_on_submit():
        found = donation_search_domain.find(db.session, form.q.data or "", limit=SIDE_RESULTS + 1)
        if found is None:
            form.q.errors = [_("番号・氏名・電話番号などを入力してください。")]
        else:
            audit_trail.record_list(
                "donation", "寄附検索（窓口）", [d.donation_no for d in found[:SIDE_RESULTS]],
                action="search",
            )  # fmt: skip
    return htmx.render(
        "support/donation_search.html",
        "support/_donation_search.html",
        search=form,
        found=None if found is None else found[:SIDE_RESULTS],
        more=bool(found and len(found) > SIDE_RESULTS),
        states=DONATION_STATE_LABELS,
    )
