"""Staff: the consultation log with suppliers (list for a period, add an entry)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.accounts.models import Supplier
from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.core.roles import can_record_consultations
from portal.extensions import db
from portal.gifts import consultations as uc
from portal.web.forms import FlaskForm, apply_domain_error, choices
from portal.web.guards import requires
from portal.web.htmx import redirect, render
from portal.web.staff.labels import KIND_LABELS


class ConsultationForm(FlaskForm):
    held_on = DateField(_l("日付"), validators=[DataRequired()])
    supplier_id = SelectField(_l("事業者"), coerce=int, validators=[DataRequired()])
    kind = SelectField(_l("方法"), choices=choices([(k.value, v) for k, v in KIND_LABELS.items()]))
    topic = StringField(_l("件名"), validators=[DataRequired(), Length(max=200)])
    outcome = TextAreaField(_l("結果"), validators=[Length(max=5000)])
    next_step = TextAreaField(_l("次の対応"), validators=[Length(max=5000)])


@requires(can_record_consultations, methods=["POST"])
def consultations() -> Response | str:
    form = ConsultationForm()
    suppliers = db.session.scalars(sa.select(Supplier).order_by(Supplier.code)).all()
    form.supplier_id.choices = choices([(s.id, f"{s.code} {s.name}") for s in suppliers])
    if request.method == "GET":
        form.held_on.data = today_jst()
    if form.validate_on_submit():
        try:
            uc.record_consultation(
                db.session,
                supplier_id=form.supplier_id.data,
                held_on=form.held_on.data,
                kind=form.kind.data,
                topic=form.topic.data or "",
                outcome=form.outcome.data or "",
                next_step=form.next_step.data or "",
                by_user=current_user,
            )
            flash(_("相談記録を追加しました。"), "success")
            return redirect(url_for("staff.consultations"))
        except DomainError as err:
            apply_domain_error(form, err)
    return render(
        "staff/consultations.html",
        form=form,
        entries=uc.consultations(db.session)[:200],
        kind_labels=KIND_LABELS,
    )
