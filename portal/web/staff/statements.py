"""Staff: monthly statements — the month's list (disputes first), correct a line, CSV export."""

from __future__ import annotations

from flask import Response, abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.core.roles import can_correct_statements, is_operator
from portal.extensions import db
from portal.statements import service as uc
from portal.statements.models import Statement, StatementLine
from portal.web.forms import FlaskForm, apply_domain_error
from portal.web.guards import requires
from portal.web.htmx import redirect, render
from portal.web.labels import STATEMENT_STATE_LABELS


class CorrectForm(FlaskForm):
    count = IntegerField(_l("発送数"), validators=[InputRequired(), NumberRange(min=0)])
    unit_cost = IntegerField(
        _l("調達費用（単価）"), validators=[InputRequired(), NumberRange(min=0)]
    )
    unit_shipping = IntegerField(
        _l("送料（単価）"), validators=[InputRequired(), NumberRange(min=0)]
    )
    note = StringField(_l("修正の理由"), validators=[DataRequired(), Length(max=1000)])


def _previous_month() -> str:
    today = today_jst()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def _month() -> str:
    try:
        return uc.normalise_month(request.args.get("month") or _previous_month())
    except DomainError:
        return _previous_month()


def statements() -> str:
    month = _month()
    return render(
        "staff/statements.html",
        month=month,
        statements=uc.month_statements(db.session, month),
        disputed=uc.disputed_statements(db.session),
        states=STATEMENT_STATE_LABELS,
    )


def statements_csv() -> Response:
    month = _month()
    data = uc.statements_csv(db.session, month, by_user=current_user)
    response = make_response(data)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="statements-{month}.csv"'
    return response


def _statement(statement_id: int) -> Statement:
    statement = uc.get_statement(db.session, statement_id)
    if statement is None:
        abort(404)
    return statement


def _detail(st: Statement, form: CorrectForm | None = None, line_id: int | None = None):
    forms = {
        line.id: CorrectForm(
            formdata=None, count=line.count, unit_cost=line.unit_cost,
            unit_shipping=line.unit_shipping,
        )
        for line in st.lines
    }  # fmt: skip
    if form is not None and line_id is not None:
        forms[line_id] = form
    return render(
        "staff/statement.html",
        st=st,
        states=STATEMENT_STATE_LABELS,
        forms=forms,
        can_correct=is_operator(current_user) and not st.is_locked,
        failed_line=line_id,
    )


def statement_detail(statement_id: int) -> str:
    return _detail(_statement(statement_id))


@requires(can_correct_statements)
def statement_correct(statement_id: int, line_id: int) -> Response | tuple[str, int]:
    st = _statement(statement_id)
    line = next((ln for ln in st.lines if ln.id == line_id), None)
    if not isinstance(line, StatementLine):
        abort(404)
    form = CorrectForm()
    if form.validate_on_submit():
        try:
            uc.correct_line(
                db.session, st, line, count=form.count.data, unit_cost=form.unit_cost.data,
                unit_shipping=form.unit_shipping.data, note=form.note.data, by_user=current_user,
            )  # fmt: skip
            flash(_("明細を修正しました。事業者にもう一度確定してもらいます。"), "success")
            return redirect(url_for("staff.statement_detail", statement_id=st.id))
        except DomainError as err:
            apply_domain_error(form, err)
    return _detail(st, form, line.id), 422
