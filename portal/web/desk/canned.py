"""Canned replies (定型文) the desk inserts into a reply."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Response,
    make_response,
    render_template,
    request,
    url_for,
)

from portal.core.errors import DomainError
from portal.core.roles import can_work_support_desk
from portal.extensions import db
from portal.support import canned as canned_uc
from portal.support.models import (
    CannedReply,
)
from portal.web import htmx
from portal.web.chat_forms import (
    CannedForm,
)
from portal.web.forms import apply_domain_error
from portal.web.guards import requires


@requires(can_work_support_desk)
def canned() -> Response | str:
    form = CannedForm()
    if form.validate_on_submit():
        try:
            canned_uc.add_canned_reply(db.session, form.title.data or "", form.body.data or "")
            return htmx.redirect(url_for("support.canned"))
        except DomainError as e:
            apply_domain_error(form, e)
    rows = db.session.scalars(sa.select(CannedReply).order_by(CannedReply.title)).all()
    status = 422 if request.method == "POST" else 200
    return make_response(render_template("support/canned.html", form=form, rows=rows), status)


@requires(can_work_support_desk)
def canned_delete(reply_id: int) -> Response:
    canned_uc.delete_canned_reply(db.session, reply_id)
    return htmx.redirect(url_for("support.canned"))
