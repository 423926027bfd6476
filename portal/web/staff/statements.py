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
from portal.core.roles import can_correct_statements, can_handle_payments, is_operator
from portal.extensions import db
from portal.payments.service import add_adjustment
from portal.shipping.carriers import CARRIER_LABELS
from portal.statements import service as uc
from portal.statements.models import Statement, StatementLine
from portal.web.forms import FlaskForm, apply_domain_error, nfkc
from portal.web.guards import requires
from portal.web.htmx import redirect, render
from portal.web.labels import LINE_KIND_LABELS, RESEND_CAUSE_LABELS, STATEMENT_STATE_LABELS


class CorrectForm(FlaskForm):
    count = IntegerField(_l("発送数"), validators=[InputRequired(), NumberRange(min=0)])
    unit_cost = IntegerField(
        _l("調達費用（単価）"), validators=[InputRequired(), NumberRange(min=0)]
    )
    unit_shipping = IntegerField(
        _l("送料（単価）"), validators=[InputRequired(), NumberRange(min=0)]
    )
    note = StringField(_l("修正の理由"), validators=[DataRequired(), Length(max=1000)])


class AdjustForm(FlaskForm):
    """A correction of a paid line: signed amounts on the supplier's next open statement."""

    cost_delta = IntegerField(
        _l("調達費用の訂正額（減額はマイナス）"), validators=[InputRequired()]
    )
    shipping_delta = IntegerField(
        _l("送料の訂正額（減額はマイナス）"), validators=[InputRequired()]
    )
    note = StringField(_l("訂正の理由"), validators=[DataRequired(), Length(max=1000)])


class GenerateForm(FlaskForm):
    month = StringField(_l("対象月"), filters=[nfkc], validators=[DataRequired()])


def _previous_month() -> str:
    return uc.previous_month(today_jst())


def _month() -> str:
    try:
        return uc.normalise_month(request.args.get("month") or _previous_month())
    except DomainError:
        return _previous_month()


def _list(month: str, form: GenerateForm | None = None) -> str:
    return render(
        "staff/statements.html",
        month=month,
        statements=uc.month_statements(db.session, month),
        disputed=uc.disputed_statements(db.session),
        states=STATEMENT_STATE_LABELS,
        generate_form=form or GenerateForm(formdata=None, month=month),
    )


def statements() -> str:
    return _list(_month())


@requires(can_handle_payments)
def statements_generate() -> Response | tuple[str, int]:
    """The month's statements now (the nightly job makes them too; both are idempotent)."""
    form = GenerateForm()
    if form.validate_on_submit():
        try:
            month = uc.normalise_month(form.month.data or "")
            created = uc.generate(db.session, month, by_user=current_user)
        except DomainError as err:
            apply_domain_error(form, err)
        else:
            if created:
                flash(_("%(n)s件の明細を作成しました。", n=len(created)), "success")
            else:
                flash(_("新しく作成する明細はありません（作成済みか、発送がありません）。"), "info")
            return redirect(url_for("staff.statements", month=month))
    return _list(_month(), form), 422


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


def _detail(
    st: Statement,
    form: CorrectForm | None = None,
    line_id: int | None = None,
    adjust_form: AdjustForm | None = None,
) -> str:
    forms = {
        line.id: CorrectForm(
            formdata=None, count=line.count, unit_cost=line.unit_cost,
            unit_shipping=line.unit_shipping,
        )
        for line in st.lines
    }  # fmt: skip
    adjust_forms = {line.id: AdjustForm(formdata=None) for line in st.lines if line.is_paid}
    if form is not None and line_id is not None:
        forms[line_id] = form
    if adjust_form is not None and line_id is not None:
        adjust_forms[line_id] = adjust_form
    return render(
        "staff/statement.html",
        st=st,
        states=STATEMENT_STATE_LABELS,
        forms=forms,
        adjust_forms=adjust_forms,
        can_correct=is_operator(current_user) and not st.is_locked,
        can_adjust=is_operator(current_user),
        failed_line=line_id,
        kinds=LINE_KIND_LABELS,
        causes=RESEND_CAUSE_LABELS,
        carriers=CARRIER_LABELS,
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


@requires(can_correct_statements)
def statement_adjust(statement_id: int, line_id: int) -> Response | tuple[str, int]:
    """A paid line is corrected by a new line on the supplier's next open statement."""
    st = _statement(statement_id)
    line = next((ln for ln in st.lines if ln.id == line_id), None)
    if not isinstance(line, StatementLine):
        abort(404)
    form = AdjustForm()
    if form.validate_on_submit():
        try:
            adjustment = add_adjustment(
                db.session, line, cost_delta=form.cost_delta.data or 0,
                shipping_delta=form.shipping_delta.data or 0, note=form.note.data or "",
                by_user=current_user,
            )  # fmt: skip
        except DomainError as err:
            apply_domain_error(form, err)
        else:
            flash(
                _("%(month)s の明細に訂正行を加えました。", month=adjustment.statement.month),
                "success",
            )
            return redirect(url_for("staff.statement_detail", statement_id=adjustment.statement_id))
    return _detail(st, None, line.id, form), 422
