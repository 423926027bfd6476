"""Staff: donations — the list, the detail page (audited), payment and cancellation. The import
is in `imports`, direct entry and payment matching in `direct`, stock in `stock`, the 在庫超過
queue of held lines and substitution in `held`."""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from flask import abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.accounts.models import User
from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.core.portals import Portal
from portal.core.roles import can_correct_shipments, can_handle_donations, can_search_donations
from portal.donations import lifecycle
from portal.donations import queries as donation_queries
from portal.donations import search as donation_search
from portal.donations.models import Donation, DonationKind, DonationState
from portal.donations.queries import ShipmentItem
from portal.donors import notify
from portal.donors.models import KIND_LABELS as REQUEST_KIND_LABELS
from portal.donors.models import STATUS_LABELS as REQUEST_STATUS_LABELS
from portal.extensions import db
from portal.receipts import onestop
from portal.shipping import shipments as ship_uc
from portal.shipping.carriers import CARRIER_LABELS
from portal.shipping.problems import PROBLEM_LABELS
from portal.web import audit_trail
from portal.web.forms import FlaskForm, choices, flash_domain_error, nfkc
from portal.web.guards import requires
from portal.web.htmx import render
from portal.web.labels import PORTAL_LABELS, RESEND_CAUSE_LABELS
from portal.web.staff.labels import (
    CONSENT_LABELS,
    DONATION_KIND_LABELS,
    EVENT_LABELS,
    HOLD_LABELS,
    ORDER_STATUS_LABELS,
    RECEIPT_STATUS_LABELS,
    STATE_LABELS,
)

PAGE_SIZE = 50


class PaidForm(FlaskForm):
    paid_on = DateField(_l("入金日"), validators=[DataRequired()])


class CancelForm(FlaskForm):
    reason = StringField(_l("取消理由"), validators=[DataRequired(), Length(max=300)])


def _list_args(**values: str | int | None) -> dict[str, str | int]:
    """The list's query string without empty filters (chips and the next page use it)."""
    return {k: v for k, v in values.items() if v not in (None, "")}


SEARCH_KEY = "staff_donations_q"


def _is_donation_no(q: str) -> bool:
    """A 寄附受付番号 (2026-000123) may be in a URL; a name, phone or e-mail never is."""
    return len(q) == 11 and q[:4].isdigit() and q[4] == "-" and q[5:].isdigit()


def _search_term() -> str:
    """The search box is POSTed (with CSRF): the term stays in the session and the URL of the
    next page or a chip only says "the saved search" (s=1)."""
    if request.method == "POST":
        q = nfkc(request.form.get("q", ""))[: donation_search.MAX_TERM]
        if q and not _is_donation_no(q):
            session[SEARCH_KEY] = q
        else:
            session.pop(SEARCH_KEY, None)
        return q
    q = nfkc(request.args.get("q", ""))
    if _is_donation_no(q):
        return q
    return str(session.get(SEARCH_KEY, "")) if request.args.get("s") == "1" else ""


@requires(can_search_donations)
def donations() -> str:
    values = request.form if request.method == "POST" else request.args
    q = _search_term()
    portal = values.get("portal", "")
    state = values.get("state", "")
    kind = values.get("kind", "")
    before = request.args.get("before", type=int)
    stmt = sa.select(Donation).order_by(Donation.id.desc())
    if portal in {p.value for p in Portal}:
        stmt = stmt.where(Donation.portal == Portal(portal))
    else:
        portal = ""
    if state in {s.value for s in DonationState}:
        stmt = stmt.where(Donation.state == DonationState(state))
    else:
        state = ""
    if kind in {k.value for k in DonationKind}:
        stmt = stmt.where(donation_queries.kind_clause(DonationKind(kind)))
    else:
        kind = ""
    searched = donation_search.search_clause(db.session, q) if q else None
    if q and searched is None:
        flash(_("検索する番号・氏名・電話番号などを入力してください。"), "error")
    elif searched is not None:
        stmt = stmt.where(searched)
    if before:
        stmt = stmt.where(Donation.id < before)
    rows = db.session.scalars(stmt.limit(PAGE_SIZE + 1)).all()
    next_before = rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None
    in_url = q if _is_donation_no(q) else ""
    current = {"q": in_url, "s": "1" if q and not in_url else "", "portal": portal,
               "state": state, "kind": kind}  # fmt: skip
    # Donor names and amounts are on the page: one audit row per page view (a search says so,
    # without the term itself: it may be a name or a phone number).
    audit_trail.record_list(
        "donation",
        "寄附検索" if q else "寄附一覧",
        [d.donation_no for d in rows[:PAGE_SIZE]],
        action="search" if q else "list",
    )
    return render(
        "staff/donations.html",
        "staff/_donation_rows.html",
        donations=rows[:PAGE_SIZE],
        next_before=next_before,
        q=q,
        portal=portal,
        state=state,
        kind=kind,
        list_args=lambda **override: _list_args(**{**current, **override}),
        search_form=SearchForm(formdata=None, q=q),
        portals=PORTAL_LABELS,
        states=STATE_LABELS,
        kinds=DONATION_KIND_LABELS,
        held_count=lifecycle.held_count(db.session),
    )


class SearchForm(FlaskForm):
    q = StringField(_l("検索"), filters=[nfkc])


class CorrectionForm(FlaskForm):
    """Staff correcting a shipment (portal/web/staff/orders.py), shown on the donation page."""

    carrier = SelectField(
        _l("配送業者"),
        choices=choices([(c.value, label) for c, label in CARRIER_LABELS.items()]),
        validators=[DataRequired()],
    )
    tracking_no = StringField(
        _l("送り状番号（追跡番号）"),
        filters=[nfkc],
        validators=[DataRequired(message=_l("送り状番号を入力してください。")), Length(max=40)],
    )
    shipped_on = DateField(
        _l("発送日"), validators=[DataRequired(message=_l("発送日を入力してください。"))]
    )
    reason = StringField(
        _l("訂正の理由"),
        validators=[
            DataRequired(message=_l("訂正の理由を入力してください。")),
            Length(max=ship_uc.REASON_MAX),
        ],
    )


def correction_prefix(order_id: int) -> str:
    return f"o{order_id}"


class FeeForm(FlaskForm):
    """Staff correcting a parcel's 送料 (portal/web/staff/orders.py), with a reason."""

    shipping_fee = IntegerField(
        _l("送料（円）"), validators=[InputRequired(), NumberRange(min=0, max=1_000_000)]
    )
    reason = StringField(
        _l("訂正の理由"),
        validators=[DataRequired(message=_l("訂正の理由を入力してください。")), Length(max=1000)],
    )


class ResendForm(FlaskForm):
    """Staff recording a re-send of an order, with whose doing it was."""

    cause = SelectField(
        _l("再送の理由（誰の責か）"),
        choices=choices([(c.value, label) for c, label in RESEND_CAUSE_LABELS.items()]),
        validators=[DataRequired()],
    )
    carrier = SelectField(
        _l("配送業者"),
        choices=choices([(c.value, label) for c, label in CARRIER_LABELS.items()]),
        validators=[DataRequired()],
    )
    tracking_no = StringField(
        _l("送り状番号（追跡番号）"),
        filters=[nfkc],
        validators=[DataRequired(message=_l("送り状番号を入力してください。")), Length(max=40)],
    )
    shipped_on = DateField(
        _l("発送日"), validators=[DataRequired(message=_l("発送日を入力してください。"))]
    )
    quantity = IntegerField(_l("数量"), validators=[Optional(), NumberRange(min=1)])
    shipping_fee = IntegerField(
        _l("送料（円・空欄なら返礼品の送料）"),
        validators=[Optional(), NumberRange(min=0, max=1_000_000)],
    )
    note = StringField(_l("メモ"), validators=[Optional(), Length(max=1000)])


def fee_prefix(order_id: int) -> str:
    return f"f{order_id}"


def resend_prefix(order_id: int) -> str:
    return f"r{order_id}"


def correction_forms_for(shipments: Mapping[int, ShipmentItem], user: User) -> dict[int, FlaskForm]:
    """One prefilled form per shipped order, only for those allowed to correct."""
    if not can_correct_shipments(user):
        return {}
    forms: dict[int, FlaskForm] = {}
    for order_id, shipment in shipments.items():
        form = CorrectionForm(formdata=None, prefix=correction_prefix(order_id))
        form.carrier.data = shipment.carrier.value
        form.tracking_no.data = shipment.tracking_no
        form.shipped_on.data = shipment.shipped_on
        forms[order_id] = form
    return forms


def donation_detail(donation_id: int) -> str:
    return detail_page(donation_id)


def detail_page(
    donation_id: int,
    *,
    correction_forms: dict[int, FlaskForm] | None = None,
    fee_forms: dict[int, FlaskForm] | None = None,
    resend_forms: dict[int, FlaskForm] | None = None,
    status: int = 200,
) -> str:
    """The donation with everything that happened to it since: orders and their shipments,
    delivery problems, the receipt, donor requests and the one-stop form
    (portal.donations.queries). Personal data: every rendering writes an audit row (also when
    a correction form comes back with errors).
    """
    detail = donation_queries.donation_detail(db.session, donation_id)
    if detail is None:
        abort(404)
    audit_trail.record("view", "donation", donation_id)
    forms = correction_forms_for(detail.shipments, current_user)
    forms.update(correction_forms or {})
    fees: dict[int, FlaskForm] = {}
    again: dict[int, FlaskForm] = {}
    if can_correct_shipments(current_user):
        for order_id, shipment in detail.shipments.items():
            fees[order_id] = FeeForm(
                formdata=None, prefix=fee_prefix(order_id), shipping_fee=shipment.shipping_fee
            )
            again[order_id] = ResendForm(formdata=None, prefix=resend_prefix(order_id))
    fees.update(fee_forms or {})
    again.update(resend_forms or {})
    html = render(
        "staff/donation_detail.html",
        donation=detail.donation,
        shipments=detail.shipments,
        tracking=detail.tracking,
        problems=detail.problems,
        receipt=detail.receipt,
        receipt_due_on=detail.receipt_due_on,
        receipt_has_pdf=bool(detail.receipt and detail.receipt.has_pdf),
        donor_requests=detail.donor_requests,
        onestop_return=detail.onestop_return,
        onestop_deadline=detail.onestop_deadline,
        substitutions=detail.substitutions,
        events=detail.events,
        notices=notify.notices_for(db.session, donation_id),
        notice_labels=notify.NOTICE_LABELS,
        notice_states=notify.STATUS_LABELS,
        portals=PORTAL_LABELS,
        states=STATE_LABELS,
        holds=HOLD_LABELS,
        event_labels=EVENT_LABELS,
        consent_labels=CONSENT_LABELS,
        problem_labels=PROBLEM_LABELS,
        order_states=ORDER_STATUS_LABELS,
        carriers=CARRIER_LABELS,
        order_no=ship_uc.format_order_no,
        receipt_states=RECEIPT_STATUS_LABELS,
        request_kinds=REQUEST_KIND_LABELS,
        request_states=REQUEST_STATUS_LABELS,
        onestop_states=onestop.STATE_LABELS,
        onestop_missing=onestop.MISSING_LABELS,
        can_handle=can_handle_donations(current_user),
        can_correct=can_correct_shipments(current_user),
        today=today_jst(),
        paid_form=PaidForm(),
        cancel_form=CancelForm(),
        correction_forms=forms,
        fee_forms=fees,
        resend_forms=again,
        resends=detail.resends,
        causes=RESEND_CAUSE_LABELS,
    )
    return (html, status) if status != 200 else html  # type: ignore[return-value]


@requires(can_handle_donations)
def donation_paid(donation_id: int) -> Response | str:
    donation = db.get_or_404(Donation, donation_id)
    form = PaidForm()
    if form.validate_on_submit():
        try:
            lifecycle.mark_paid(db.session, donation, form.paid_on.data, by_user=current_user)
        except DomainError as e:
            flash_domain_error(e)
        else:
            flash(_("入金を記録しました。返礼品を発注しました。"), "success")
    else:
        flash(_("入金日を入力してください。"), "error")
    return redirect(url_for("staff.donation_detail", donation_id=donation_id), 303)


@requires(can_handle_donations)
def donation_cancel(donation_id: int) -> Response | str:
    donation = db.get_or_404(Donation, donation_id)
    form = CancelForm()
    try:
        lifecycle.cancel_donation(
            db.session, donation, form.reason.data or "", by_user=current_user
        )
    except DomainError as e:
        flash_domain_error(e)
    else:
        flash(_("寄附を取り消しました。在庫を戻しました。"), "success")
    return redirect(
        (request.form.get("next_held") and url_for("staff.donations_held"))
        or url_for("staff.donation_detail", donation_id=donation_id),
        303,
    )


# --- import: upload → preview → apply, each a background job with progress ---------------
