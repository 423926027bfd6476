"""Staff: the queue of donor requests (receipt reissue, delivery and mailing address changes).

Operators decide (approve / correct / refuse with a reason); city staff read. Opening a case
shows the donor's personal data and is audited.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import StringField, TelField, TextAreaField
from wtforms.validators import Length, Optional

from portal.core.errors import DomainError
from portal.core.roles import can_handle_donations
from portal.donors import requests as donor_requests
from portal.donors.models import (
    KIND_LABELS,
    REASON_LABELS,
    STATUS_LABELS,
    DonorRequest,
    RequestKind,
    RequestStatus,
)
from portal.extensions import db
from portal.web import audit_trail, htmx, uow
from portal.web.forms import FlaskForm, apply_domain_error, nfkc
from portal.web.guards import requires

PAGE = 50
DECISIONS = {
    "approve": RequestStatus.APPROVED,
    "correct": RequestStatus.CORRECTED,
    "refuse": RequestStatus.REFUSED,
}


class DecisionForm(FlaskForm):
    name = StringField(_l("お名前"), validators=[Optional(), Length(max=100)])
    postal_code = StringField(
        _l("郵便番号"), filters=[nfkc], validators=[Optional(), Length(max=16)]
    )
    address = StringField(_l("住所"), validators=[Optional(), Length(max=300)])
    phone = TelField(_l("電話番号"), filters=[nfkc], validators=[Optional(), Length(max=20)])
    staff_note = TextAreaField(
        _l("寄附者へのご連絡（お断りの理由・修正した内容）"),
        validators=[Optional(), Length(max=2000)],
    )


def requests() -> str:
    st = request.args.get("status", "open")
    q = sa.select(DonorRequest).order_by(DonorRequest.created_at, DonorRequest.id)
    if st in {s.value for s in RequestStatus}:
        q = q.where(DonorRequest.status == RequestStatus(st))
    kind = request.args.get("kind", "")
    if kind in {k.value for k in RequestKind}:
        q = q.where(DonorRequest.kind == RequestKind(kind))
    rows = db.session.scalars(q.limit(PAGE)).all()
    audit_trail.record_list(
        "donor_request", "寄附者からの申請一覧", [r.donation.donation_no for r in rows]
    )
    counts = dict(
        db.session.execute(
            sa.select(DonorRequest.status, sa.func.count()).group_by(DonorRequest.status)
        ).all()
    )
    return render_template(
        "staff/requests.html",
        rows=rows,
        status=st,
        kind=kind,
        counts=counts,
        kinds=KIND_LABELS,
        statuses=STATUS_LABELS,
        reasons=REASON_LABELS,
    )


def _get(request_id: int) -> DonorRequest:
    req = db.session.get(DonorRequest, request_id)
    if req is None:
        abort(404)
    return req


def _page(req: DonorRequest, form: DecisionForm, code: int = 200) -> Response:
    audit_trail.record("view", "donation", req.donation_id, detail=f"donor_request={req.id}")
    html = render_template(
        "staff/request_detail.html",
        req=req,
        donation=req.donation,
        form=form,
        kinds=KIND_LABELS,
        statuses=STATUS_LABELS,
        reasons=REASON_LABELS,
        can_decide=can_handle_donations(current_user) and req.status == RequestStatus.OPEN,
        shipped=req.donation.is_shipped,
    )
    return make_response(html, code)


def request_detail(request_id: int) -> Response:
    req = _get(request_id)
    form = DecisionForm(
        formdata=None,
        name=req.name,
        postal_code=req.postal_code,
        address=req.address,
        phone=req.phone,
    )
    return _page(req, form)


@requires(can_handle_donations)
def request_decide(request_id: int) -> Response:
    req = _get(request_id)
    form = DecisionForm()
    decision = DECISIONS.get(request.form.get("decision", ""))
    if decision is None:
        abort(400)
    if form.validate_on_submit():
        try:
            donor_requests.decide(
                db.session,
                req,
                decision,
                by_user=current_user,
                staff_note=form.staff_note.data or "",
                details=donor_requests.Details(
                    name=form.name.data or "",
                    postal_code=form.postal_code.data or "",
                    address=form.address.data or "",
                    phone=form.phone.data or "",
                ),
            )
        except DomainError as e:
            apply_domain_error(form, e)
            req = _get(request_id)
        else:
            target = url_for("staff.request_detail", request_id=request_id)
            uow.after_commit(lambda: donor_requests.mail_request_status(request_id))
            flash(
                _("お申し込みを「%(status)s」にしました。", status=STATUS_LABELS[decision]),
                "success",
            )
            return htmx.redirect(target)
    return _page(req, form, 422)
