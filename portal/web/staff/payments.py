"""Staff: payment runs — list and make a month's run, its detail (suppliers, carriers, the
statement lines behind each), mark it paid, download the 全銀 file and the advice PDFs (both
audited: bank accounts are personal data)."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import DateField, StringField
from wtforms.validators import DataRequired

from portal.core.audit import audit
from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.core.roles import can_handle_payments
from portal.documents.payment_advice import advice_filename, render_advice
from portal.extensions import db
from portal.payments import service as uc
from portal.payments import zengin
from portal.payments.cli import default_transfer_day
from portal.payments.models import PaymentLine, PaymentRun
from portal.statements.models import StatementState
from portal.statements.service import month_statements, previous_month
from portal.web.forms import FlaskForm, apply_domain_error, flash_domain_error, nfkc
from portal.web.guards import requires
from portal.web.htmx import redirect, render
from portal.web.labels import LINE_KIND_LABELS, RESEND_CAUSE_LABELS, RUN_STATE_LABELS


class BuildForm(FlaskForm):
    month = StringField(_l("対象月"), filters=[nfkc], validators=[DataRequired()])
    transfer_on = DateField(_l("振込指定日"), validators=[DataRequired()])


class PaidForm(FlaskForm):
    paid_on = DateField(_l("支払日"), validators=[DataRequired()])


def _build_form(formdata: object = None) -> BuildForm:
    month = previous_month(today_jst())
    if formdata is None:
        return BuildForm(formdata=None, month=month, transfer_on=default_transfer_day(month))
    return BuildForm()


def _list(form: BuildForm | None = None) -> str:
    return render(
        "staff/payments.html",
        runs=uc.runs(db.session),
        form=form or _build_form(),
        states=RUN_STATE_LABELS,
    )


def payment_runs() -> str:
    return _list()


@requires(can_handle_payments, methods=["POST"])
def payment_run_build() -> Response | tuple[str, int]:
    form = _build_form(request.form)
    if form.validate_on_submit():
        try:
            run = uc.build_run(
                db.session, form.month.data or "", transfer_on=form.transfer_on.data,
                by_user=current_user,
            )  # fmt: skip
        except DomainError as err:
            apply_domain_error(form, err)
        else:
            flash(
                _("支払データを作成しました。内容を確かめてから振込データを出力してください。"),
                "success",
            )
            return redirect(url_for("staff.payment_run_detail", run_id=run.id))
    return _list(form), 422


def _run(run_id: int) -> PaymentRun:
    run = uc.get_run(db.session, run_id)
    if run is None:
        abort(404)
    return run


def _detail(run: PaymentRun, paid_form: PaidForm | None = None) -> str:
    waiting = [
        st for st in month_statements(db.session, run.month)
        if st.state != StatementState.CONFIRMED
    ]  # fmt: skip
    behind = {ln.id: uc.lines_paid_by(db.session, ln) for ln in run.supplier_lines}
    missing = [ln for ln in run.supplier_lines if ln.amount > 0 and not ln.has_bank_account]
    return render(
        "staff/payment_run.html",
        run=run,
        states=RUN_STATE_LABELS,
        causes=RESEND_CAUSE_LABELS,
        kinds=LINE_KIND_LABELS,
        behind=behind,
        waiting=waiting,
        missing=missing,
        paid_form=paid_form or PaidForm(formdata=None, paid_on=run.transfer_on),
        build_form=BuildForm(formdata=None, month=run.month, transfer_on=run.transfer_on),
    )


def payment_run_detail(run_id: int) -> str:
    return _detail(_run(run_id))


@requires(can_handle_payments)
def payment_run_paid(run_id: int) -> Response | tuple[str, int]:
    run = _run(run_id)
    form = PaidForm()
    if form.validate_on_submit():
        try:
            uc.mark_paid(db.session, run, paid_on=form.paid_on.data, by_user=current_user)
        except DomainError as err:
            apply_domain_error(form, err)
        else:
            flash(_("支払済みにしました。この支払の明細は今後変更できません。"), "success")
            return redirect(url_for("staff.payment_run_detail", run_id=run.id))
    return _detail(run, form), 422


@requires(can_handle_payments)
def payment_run_file(run_id: int) -> Response:
    run = _run(run_id)
    try:
        raw = uc.transfer_file(
            db.session, run, zengin.remitter_from_config(current_app.config), by_user=current_user
        )
    except DomainError as err:
        flash_domain_error(err)
        return redirect(url_for("staff.payment_run_detail", run_id=run.id))
    response = Response(raw, mimetype="text/plain")
    response.headers["Content-Type"] = "text/plain; charset=shift_jis"
    response.headers["Content-Disposition"] = f'attachment; filename="{uc.transfer_filename(run)}"'
    return response


def _line(run: PaymentRun, line_id: int) -> PaymentLine:
    line = next((ln for ln in run.supplier_lines if ln.id == line_id), None)
    if line is None:
        abort(404)
    return line


def payment_advice(run_id: int, line_id: int) -> Response:
    run = _run(run_id)
    line = _line(run, line_id)
    pdf = render_advice(db.session, run, line)
    audit(
        db.session, actor=current_user, action="payment_advice.download",
        subject_type="payment_line", subject_id=line.id,
    )  # fmt: skip
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{advice_filename(run, line)}"'
    return response
