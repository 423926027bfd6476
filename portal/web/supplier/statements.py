"""Supplier: monthly statements (相互確認) — confirm, or dispute a line with a comment."""

from __future__ import annotations

from flask import abort, flash, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from portal.core.audit import audit
from portal.core.errors import DomainError
from portal.documents.payment_advice import advice_filename, render_advice
from portal.extensions import db
from portal.payments.service import supplier_payments
from portal.statements import service as uc
from portal.statements.models import Statement, StatementLine
from portal.web.forms import FlaskForm, flash_domain_error
from portal.web.htmx import redirect, render
from portal.web.labels import LINE_KIND_LABELS, RESEND_CAUSE_LABELS, STATEMENT_STATE_LABELS


class ConfirmForm(FlaskForm):
    pass


class DisputeForm(FlaskForm):
    comment = TextAreaField(
        _l("どこが違いますか"),
        validators=[
            DataRequired(_l("どこが違うかを入力してください。")),
            Length(max=uc.COMMENT_MAX),
        ],
    )


def _own(statement_id: int) -> Statement:
    statement = uc.own_statement(db.session, current_user.supplier_id, statement_id)
    if statement is None:
        abort(404)
    return statement


def _line(statement: Statement, line_id: int) -> StatementLine:
    for line in statement.lines:
        if line.id == line_id:
            return line
    abort(404)


def statements() -> str:
    return render(
        "supplier/statements.html",
        statements=uc.supplier_statements(db.session, current_user.supplier_id),
        states=STATEMENT_STATE_LABELS,
        payments=supplier_payments(db.session, current_user.supplier_id),
    )


def payment_advice(line_id: int) -> Response:
    """The supplier's own 支払通知書 of a paid run (another supplier's is not found)."""
    line = next(
        (ln for ln in supplier_payments(db.session, current_user.supplier_id) if ln.id == line_id),
        None,
    )
    if line is None:
        abort(404)
    pdf = render_advice(db.session, line.run, line)
    audit(
        db.session, actor=current_user, action="payment_advice.download",
        subject_type="payment_line", subject_id=line.id,
    )  # fmt: skip
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{advice_filename(line.run, line)}"'
    )
    return response


def _detail(
    statement: Statement, dispute_form: DisputeForm | None = None, line_id: int | None = None
):
    return render(
        "supplier/statement.html",
        st=statement,
        states=STATEMENT_STATE_LABELS,
        confirm_form=ConfirmForm(formdata=None),
        dispute_form=dispute_form or DisputeForm(formdata=None),
        failed_line=line_id,
        kinds=LINE_KIND_LABELS,
        causes=RESEND_CAUSE_LABELS,
    )


def statement_detail(statement_id: int) -> str:
    return _detail(_own(statement_id))


def statement_confirm(statement_id: int) -> Response | str:
    statement = _own(statement_id)
    if ConfirmForm().validate_on_submit():
        try:
            uc.confirm(db.session, statement, by_user=current_user)
            flash(_("%(month)s の明細を確定しました。", month=statement.month), "success")
        except DomainError as err:
            flash_domain_error(err)
    return redirect(url_for("supplier.statement_detail", statement_id=statement.id))


def statement_dispute(statement_id: int, line_id: int) -> Response | tuple[str, int]:
    statement = _own(statement_id)
    line = _line(statement, line_id)
    form = DisputeForm()
    if form.validate_on_submit():
        try:
            uc.dispute(db.session, statement, line, comment=form.comment.data, by_user=current_user)
            flash(_("市の担当者に確認をお願いしました。"), "success")
            return redirect(url_for("supplier.statement_detail", statement_id=statement.id))
        except DomainError as err:
            db.session.rollback()
            form.comment.errors = [*form.comment.errors, str(err.message)]
    return _detail(statement, form, line.id), 422
