"""Staff: open delivery problems (newest first), report one on any order, close with a resolution."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.core.roles import can_handle_deliveries
from portal.donations.models import Donation, DonationLine
from portal.extensions import db
from portal.shipping import problems as uc
from portal.shipping.models import Order
from portal.shipping.problems import PROBLEM_LABELS, DeliveryProblem
from portal.shipping.shipments import order_no, parse_order_no
from portal.web.forms import FlaskForm, apply_domain_error, choices, flash_domain_error, nfkc
from portal.web.guards import requires
from portal.web.htmx import redirect, render


class ResolveForm(FlaskForm):
    resolution = TextAreaField(
        _l("対応の内容"), validators=[DataRequired(), Length(max=uc.NOTE_MAX)]
    )


class StaffProblemForm(FlaskForm):
    number = StringField(_l("注文番号"), filters=[nfkc], validators=[DataRequired()])
    kind = SelectField(
        _l("種類"),
        choices=choices([(k.value, v) for k, v in PROBLEM_LABELS.items()]),
        validators=[InputRequired()],
    )
    expected_on = DateField(_l("新しいお届け予定日（遅れのとき）"), validators=[Optional()])
    note = TextAreaField(_l("くわしい内容"), validators=[Length(max=uc.NOTE_MAX)])


def _order_by_number(number: str) -> Order | None:
    parsed = parse_order_no(number)
    if parsed is None:
        return None
    donation_no, position = parsed
    return db.session.scalar(
        sa.select(Order)
        .join(DonationLine, DonationLine.id == Order.line_id)
        .join(Donation, Donation.id == DonationLine.donation_id)
        .where(Donation.donation_no == donation_no, DonationLine.position == position)
    )


def _page(form: StaffProblemForm | None = None) -> str:
    return render(
        "staff/deliveries.html",
        problems=uc.open_problems(db.session),
        labels=PROBLEM_LABELS,
        order_no=order_no,
        resolve_form=ResolveForm(formdata=None),
        form=form or StaffProblemForm(formdata=None),
    )


def deliveries() -> str:
    return _page()


@requires(can_handle_deliveries)
def deliveries_report() -> Response | str:
    form = StaffProblemForm()
    if form.validate_on_submit():
        order = _order_by_number(form.number.data)
        if order is None:
            form.number.errors = [_("この注文番号の注文はありません。")]
        else:
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
                flash(_("配送の問題を記録しました。"), "success")
                return redirect(url_for("staff.deliveries"))
            except DomainError as err:
                apply_domain_error(form, err)
    return _page(form)


@requires(can_handle_deliveries)
def delivery_resolve(problem_id: int) -> Response | str:
    problem = db.session.get(DeliveryProblem, problem_id)
    if problem is None:
        abort(404)
    form = ResolveForm()
    if form.validate_on_submit():
        try:
            uc.resolve_problem(
                db.session, problem, resolution=form.resolution.data, by_user=current_user
            )
            flash(_("対応済みにしました。"), "success")
        except DomainError as err:
            flash_domain_error(err)
    else:
        flash(_("対応の内容を入力してください。"), "error")
    return redirect(url_for("staff.deliveries"))
