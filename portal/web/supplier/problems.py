"""Supplier: report a delivery problem on one of its own orders, and see its problems."""

from __future__ import annotations

from flask import flash, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import DateField, RadioField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.extensions import db
from portal.shipping import problems as uc
from portal.shipping.problems import PROBLEM_LABELS, ProblemKind
from portal.shipping.shipments import order_no
from portal.web.forms import FlaskForm, apply_domain_error, choices
from portal.web.htmx import redirect, render
from portal.web.supplier.scope import own_order


class ProblemForm(FlaskForm):
    kind = RadioField(
        _l("何がありましたか"),
        choices=choices([(k.value, v) for k, v in PROBLEM_LABELS.items()]),
        validators=[InputRequired(_l("種類を選んでください。"))],
    )
    expected_on = DateField(_l("新しいお届け予定日（遅れのとき）"), validators=[Optional()])
    note = TextAreaField(_l("くわしい内容"), validators=[Length(max=uc.NOTE_MAX)])


def report_problem(order_id: int) -> Response | str:
    order = own_order(order_id)  # another company's order: 404
    form = ProblemForm()
    if form.validate_on_submit():
        try:
            uc.report_problem(
                db.session,
                order,
                kind=form.kind.data,
                note=form.note.data or "",
                expected_on=form.expected_on.data,
                by_user=current_user,
                today=today_jst(),
            )
            flash(_("市の担当者に知らせました。寄附者にもお知らせします。"), "success")
            return redirect(url_for("supplier.order_detail", order_id=order.id))
        except DomainError as err:
            apply_domain_error(form, err)
    return render(
        "supplier/problem_form.html",
        form=form,
        order=order,
        number=order_no(order),
        history=uc.problems_for_order(db.session, order.id),
        labels=PROBLEM_LABELS,
        delay=ProblemKind.DELAY.value,
    )


def problems() -> str:
    return render(
        "supplier/problems.html",
        problems=uc.supplier_problems(db.session, current_user.supplier_id),
        labels=PROBLEM_LABELS,
        order_no=order_no,
    )
