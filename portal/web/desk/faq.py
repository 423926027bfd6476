"""Desk FAQ entries: the answers donors and suppliers are offered before they write."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Response,
    abort,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from portal.core.errors import DomainError
from portal.core.roles import can_work_support_desk
from portal.extensions import db
from portal.support import faq as faq_uc
from portal.support.models import (
    CATEGORY_LABELS,
    FaqEntry,
    FaqSearchMiss,
)
from portal.web import htmx
from portal.web.chat_forms import (
    FaqForm,
    parse_category,
)
from portal.web.forms import apply_domain_error
from portal.web.guards import requires


def faq_list() -> str:
    entries = db.session.scalars(sa.select(FaqEntry).order_by(FaqEntry.category, FaqEntry.id)).all()
    misses = db.session.scalars(
        sa.select(FaqSearchMiss).order_by(FaqSearchMiss.at.desc()).limit(20)
    ).all()
    return render_template(
        "support/faq.html",
        entries=entries,
        misses=misses,
        categories=CATEGORY_LABELS,
        can_work=can_work_support_desk(current_user),
    )


@requires(can_work_support_desk)
def faq_edit(entry_id: int | None) -> Response | str:
    entry = db.session.get(FaqEntry, entry_id) if entry_id else None
    if entry_id and entry is None:
        abort(404)
    form = FaqForm(obj=entry) if request.method == "GET" and entry else FaqForm()
    if request.method == "GET" and entry:
        form.category.data = entry.category.value if entry.category else ""
    if form.validate_on_submit():
        try:
            faq_uc.save_entry(
                db.session,
                entry_id,
                question=form.question.data or "",
                answer=form.answer.data or "",
                keywords=form.keywords.data or "",
                category=parse_category(form.category.data),
                active=bool(form.active.data),
            )
            return htmx.redirect(url_for("support.faq_list"))
        except DomainError as e:
            apply_domain_error(form, e)
    status = 422 if request.method == "POST" else 200
    return make_response(render_template("support/faq_form.html", form=form, entry=entry), status)


@requires(can_work_support_desk)
def faq_delete(entry_id: int) -> Response:
    faq_uc.delete_entry(db.session, entry_id)
    return htmx.redirect(url_for("support.faq_list"))
