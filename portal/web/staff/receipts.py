"""Staff: receipts — due / overdue / waiting, issue as a job with progress, batches (print
file, manifest, per-donation PDF, mailed), returned mail and address checks, one-stop intake.

Operator staff act (can_issue_receipts); city staff read. Lists show numbers, dates and amounts
only; a page that shows a donor's name or address writes an audit row.
"""

from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa
from flask import abort, current_app, flash, make_response, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import DateField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.core.audit import audit
from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.core.jobs import JobRun, JobState
from portal.core.roles import can_issue_receipts
from portal.core.spreadsheet import csv_bytes
from portal.donations import snapshot as figure_snapshot
from portal.donations.models import Donation, DonationState
from portal.donors import notify
from portal.extensions import db
from portal.receipts import batches, onestop, service, yearend
from portal.receipts.models import (
    AddressCheck,
    BatchStatus,
    OnestopState,
    Receipt,
    ReceiptBatch,
    ReceiptStatus,
)
from portal.web import audit_trail, uow
from portal.web.forms import FlaskForm, apply_domain_error, choices, flash_domain_error, nfkc
from portal.web.guards import requires
from portal.web.htmx import redirect as hx_redirect
from portal.web.htmx import render
from portal.web.staff.labels import (
    BATCH_LABELS,
    JOB_LABELS,
    RECEIPT_KIND_LABELS,
    RECEIPT_STATUS_LABELS,
)

LIST_LIMIT = 200
OVERVIEW_LIMIT = 50  # oldest first; the counts above tell the rest


def _receipt_rules() -> dict[str, object]:
    return {"can_issue_receipts": can_issue_receipts}


def _audit_view(subject_type: str, subject_id: object, action: str = "view") -> None:
    audit(
        db.session,
        actor=current_user,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        ip=request.remote_addr or "",
    )


class IssueForm(FlaskForm):
    until = DateField(_l("この日までに期限が来るもの"), validators=[DataRequired()])


class MailedForm(FlaskForm):
    mailed_on = DateField(_l("発送日"), validators=[DataRequired()])


class ReturnedForm(FlaskForm):
    ref = StringField(
        _l("証明書番号または寄附番号"), filters=[nfkc], validators=[DataRequired(), Length(max=20)]
    )
    kind = RadioField(
        _l("番号の種類"),
        choices=choices(
            [("auto", _l("自動判定")), ("receipt", _l("証明書番号")), ("donation", _l("寄附番号"))]
        ),
        default="auto",
    )
    returned_on = DateField(_l("返戻日"), validators=[DataRequired()])
    note = StringField(_l("メモ（返戻理由など）"), validators=[Optional(), Length(max=300)])


class AddressForm(FlaskForm):
    mail_name = StringField(_l("宛名"), validators=[Optional(), Length(max=100)])
    mail_postal_code = StringField(
        _l("郵便番号"), filters=[nfkc], validators=[DataRequired(), Length(max=10)]
    )
    mail_address = TextAreaField(_l("送付先住所"), validators=[DataRequired(), Length(max=300)])


class ScanForm(FlaskForm):
    code = StringField(
        _l("QRコードまたは寄附番号"), filters=[nfkc], validators=[DataRequired(), Length(max=40)]
    )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class OnestopForm(FlaskForm):
    received_on = DateField(_l("受付日"), validators=[DataRequired()])
    missing = MultiCheckboxField(
        _l("不備のある項目（なければ空欄のまま）"),
        choices=choices(list(onestop.MISSING_LABELS.items())),
        validators=[Optional()],
    )
    note = StringField(_l("メモ"), validators=[Optional(), Length(max=300)])


# --- overview: due, overdue, waiting, issue -----------------------------------------------


def _latest_issue_run() -> JobRun | None:
    return db.session.scalar(
        sa.select(JobRun).where(JobRun.kind == batches.JOB_KIND).order_by(JobRun.id.desc()).limit(1)
    )


def receipts() -> str:
    today = today_jst()
    cutoff = service.overdue_cutoff(today)
    unissued = db.session.scalars(service.unissued_stmt().limit(OVERVIEW_LIMIT)).all()
    # Both counts in one pass over the paid donations (an anti-join over every one of them,
    # seconds at 1,000,000; the dashboard's snapshot counts them the same way).
    counts = figure_snapshot.receipt_counts(db.session, today)
    unissued_count, overdue_count = counts["receipts_unissued"], counts["receipts_overdue"]
    waiting = db.session.scalars(service.reprint_stmt().limit(OVERVIEW_LIMIT)).all()
    waiting_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(service.reprint_stmt().subquery())
    )
    unmailed = db.session.scalar(
        sa.select(sa.func.count()).where(Receipt.status == ReceiptStatus.ISSUED)
    )
    recent = db.session.scalars(
        sa.select(ReceiptBatch).order_by(ReceiptBatch.id.desc()).limit(5)
    ).all()
    audit_trail.record_list(
        "donation", "受領証明書の未発行・再発行待ち", [d.donation_no for d in unissued]
        + [r.donation.donation_no for r in waiting],
    )  # fmt: skip
    return render(
        "staff/receipts/index.html",
        unissued=unissued,
        unissued_count=unissued_count,
        overdue_count=overdue_count,
        cutoff=cutoff,
        waiting=waiting,
        waiting_count=waiting_count,
        unmailed=unmailed,
        recent=recent,
        run=batches.running_issue(db.session) or _latest_issue_run(),
        form=IssueForm(until=today),
        can_issue=can_issue_receipts(current_user),
        due_on=service.due_on_for,
        kinds=RECEIPT_KIND_LABELS,
        batch_labels=BATCH_LABELS,
        job_labels=JOB_LABELS,
        open_cases=len(service.open_cases(db.session)),
        incomplete=len(onestop.incomplete_returns(db.session)),
    )


@requires(can_issue_receipts)
def receipts_issue() -> Response:
    form = IssueForm()
    if not form.validate_on_submit():
        flash(_("発行の基準日を入力してください。"), "error")
        return hx_redirect(url_for("staff.receipts"))
    running = batches.running_issue(db.session)
    if running is not None:  # a double click, or a colleague was faster
        return hx_redirect(url_for("staff.receipts_job", run_id=running.id))
    run = batches.start_issue(db.session, until=form.until.data, by_user=current_user)
    run_id = run.id
    uow.after_commit(lambda: batches.issue_receipts_job(run_id))
    return hx_redirect(url_for("staff.receipts_job", run_id=run_id))


def receipts_job(run_id: int) -> str:
    run = db.get_or_404(JobRun, run_id)
    if run.kind != batches.JOB_KIND:
        abort(404)
    batch = (
        db.session.get(ReceiptBatch, run.result.get("batch_id"))
        if run.result.get("batch_id")
        else db.session.scalar(sa.select(ReceiptBatch).where(ReceiptBatch.job_run_id == run.id))
    )
    return render(
        "staff/receipts/job.html",
        "staff/receipts/_job.html",
        run=run,
        batch=batch,
        job_labels=JOB_LABELS,
        finished=run.state in (JobState.DONE, JobState.FAILED),
    )


# --- batches ------------------------------------------------------------------------------


def receipt_batches() -> str:
    rows = db.session.scalars(
        sa.select(ReceiptBatch).order_by(ReceiptBatch.id.desc()).limit(LIST_LIMIT)
    ).all()
    return render("staff/receipts/batches.html", batches=rows, batch_labels=BATCH_LABELS)


class CorrectForm(FlaskForm):
    donation_id = StringField(validators=[DataRequired()])
    field = StringField(validators=[DataRequired()])
    value = StringField(_l("印刷する表記"), validators=[DataRequired(), Length(max=300)])


class ReleaseForm(FlaskForm):
    force = RadioField(
        _l("印刷のしかた"),
        choices=choices(
            [
                ("", _l("直した表記で印刷する")),
                ("yes", _l("表示できない文字があっても、このまま印刷する")),
            ]
        ),
        default="",
        validate_choice=False,
    )


def receipt_batch(batch_id: int) -> str:
    batch = db.get_or_404(ReceiptBatch, batch_id)
    held = batch.status == BatchStatus.HELD
    if held and batch.unprintable:
        _audit_view("receipt_batch", batch.id)  # the held list shows names and addresses
    return render(
        "staff/receipts/batch.html",
        batch=batch,
        rows=batches.batch_receipts(db.session, batch),
        batch_labels=BATCH_LABELS,
        kinds=RECEIPT_KIND_LABELS,
        statuses=RECEIPT_STATUS_LABELS,
        form=MailedForm(mailed_on=today_jst()),
        can_issue=can_issue_receipts(current_user),
        correct_form=CorrectForm(),
        release_form=ReleaseForm(),
        field_labels=PRINTED_FIELD_LABELS,
    )


PRINTED_FIELD_LABELS = {
    "donor_name": _l("寄附者氏名"),
    "donor_kana": _l("フリガナ"),
    "address": _l("住所"),
    "mail_name": _l("送付先の宛名"),
    "mail_address": _l("送付先住所"),
}


@requires(can_issue_receipts)
def receipt_batch_correct(batch_id: int) -> Response:
    """Correct one held set's name or address for printing, then check the batch again."""
    batch = db.get_or_404(ReceiptBatch, batch_id)
    form = CorrectForm()
    if not form.validate_on_submit() or not (form.donation_id.data or "").isdigit():
        flash(_("直す表記を入力してください。"), "error")
    else:
        try:
            left = batches.correct_for_print(
                db.session,
                batch,
                donation_id=int(form.donation_id.data),
                field=form.field.data,
                value=form.value.data,
                by_user=current_user,
            )
        except DomainError as e:
            flash_domain_error(e)
        else:
            if left:
                flash(
                    _("直しました。印刷できない表記があと%(n)s件あります。", n=len(left)), "success"
                )
            else:
                flash(_("直しました。すべての表記を印刷できます。"), "success")
    return redirect(url_for("staff.receipt_batch", batch_id=batch_id), 303)


@requires(can_issue_receipts)
def receipt_batch_release(batch_id: int) -> Response:
    """Print a held batch: queue its render job."""
    batch = db.get_or_404(ReceiptBatch, batch_id)
    form = ReleaseForm()
    if not form.validate_on_submit():
        flash(_("もう一度お試しください。"), "error")
        return redirect(url_for("staff.receipt_batch", batch_id=batch_id), 303)
    try:
        batches.release_held(
            db.session, batch, force=form.force.data == "yes", by_user=current_user
        )
    except DomainError as e:
        flash_domain_error(e)
        return redirect(url_for("staff.receipt_batch", batch_id=batch_id), 303)
    run = batches.start_render(db.session, batch, by_user=current_user)
    run_id = run.id
    uow.after_commit(lambda: batches.render_batch_job(run_id))
    flash(_("印刷ファイルの作成を始めました。"), "success")
    return redirect(url_for("staff.receipt_batch", batch_id=batch_id), 303)


def _batch_file(batch: ReceiptBatch, suffix: str = "") -> Path:
    if batch.status not in (BatchStatus.READY, BatchStatus.MAILED) or not batch.pdf_path:
        abort(404)
    path = service.document_dir() / batch.pdf_path
    if suffix:
        path = path.with_name(f"{batch.label}{suffix}")
    if not path.is_file():
        abort(404)
    return path


def receipt_batch_pdf(batch_id: int) -> Response:
    batch = db.get_or_404(ReceiptBatch, batch_id)
    path = _batch_file(batch)
    _audit_view("receipt_batch", batch.id, action="export")
    return send_file(
        path, mimetype="application/pdf", as_attachment=True, download_name=f"{batch.label}.pdf"
    )


def receipt_batch_manifest(batch_id: int) -> Response:
    batch = db.get_or_404(ReceiptBatch, batch_id)
    path = _batch_file(batch, "-manifest.csv")
    return send_file(
        path, mimetype="text/csv", as_attachment=True, download_name=f"{batch.label}-manifest.csv"
    )


@requires(can_issue_receipts)
def receipt_batch_mailed(batch_id: int) -> Response:
    batch = db.get_or_404(ReceiptBatch, batch_id)
    form = MailedForm()
    if not form.validate_on_submit():
        flash(_("発送日を入力してください。"), "error")
    else:
        try:
            count = service.mark_batch_mailed(
                db.session, batch, form.mailed_on.data, by_user=current_user
            )
        except DomainError as e:
            flash_domain_error(e)
        else:
            flash(_("%(n)s件を発送済にしました。", n=count), "success")
    return redirect(url_for("staff.receipt_batch", batch_id=batch_id), 303)


def receipt_pdf(receipt_id: int) -> Response:
    """One donor's set as printed (personal data: audited)."""
    receipt = db.get_or_404(Receipt, receipt_id)
    pdf = service.donation_pdf(db.session, receipt.donation)
    if pdf is None:
        abort(404)
    _audit_view("donation", receipt.donation_id, action="download")
    from io import BytesIO

    return send_file(
        BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=False,
        download_name=f"{receipt.number}.pdf",
    )


# --- returned mail and address checks -----------------------------------------------------


@requires(can_issue_receipts)
def receipts_returned() -> Response | str:
    form = ReturnedForm()
    if request.method == "GET":
        form.returned_on.data = today_jst()
    if form.validate_on_submit():
        try:
            receipt = service.resolve_receipt(db.session, form.ref.data, form.kind.data)
            case = service.record_returned(
                db.session,
                receipt,
                returned_on=form.returned_on.data,
                by_user=current_user,
                note=form.note.data or "",
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(
                _(
                    "証明書 %(number)s を返戻として登録し、住所確認を開きました。",
                    number=receipt.number,
                ),
                "success",
            )
            return redirect(url_for("staff.address_check", case_id=case.id), 303)
    return render("staff/receipts/returned.html", form=form)


def address_checks() -> str:
    cases = service.open_cases(db.session)
    audit_trail.record_list("receipt", "住所確認の一覧", [c.receipt.number for c in cases])
    return render("staff/receipts/address_checks.html", cases=cases)


@requires(can_issue_receipts, methods=["POST"])
def address_check(case_id: int) -> Response | str:
    case = db.get_or_404(AddressCheck, case_id)
    donation = case.donation
    form = AddressForm(
        data=None
        if request.method == "POST"
        else {
            "mail_name": donation.mail_name or donation.donor_name,
            "mail_postal_code": donation.mail_postal_code or donation.postal_code,
            "mail_address": donation.mail_address or donation.address,
        }
    )
    if request.method == "POST" and form.validate_on_submit():
        try:
            service.fix_address(
                db.session,
                case,
                mail_name=form.mail_name.data or "",
                mail_postal_code=form.mail_postal_code.data,
                mail_address=form.mail_address.data,
                by_user=current_user,
                ip=request.remote_addr or "",
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("送付先を更新しました。次回の発行で再送されます。"), "success")
            return redirect(url_for("staff.address_checks"), 303)
    _audit_view("donation", donation.id)
    return render(
        "staff/receipts/address_check.html",
        case=case,
        donation=donation,
        form=form,
        can_issue=can_issue_receipts(current_user),
    )


# --- one-stop forms back --------------------------------------------------------------------


@requires(can_issue_receipts)
def onestop_intake() -> Response | str:
    """One focused input a barcode/QR scanner types into (it ends with Enter)."""
    form = ScanForm()
    if form.validate_on_submit():
        try:
            donation = onestop.find_donation(db.session, form.code.data)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            return redirect(url_for("staff.onestop_record", donation_id=donation.id), 303)
    return render(
        "staff/receipts/onestop_intake.html",
        form=form,
        incomplete=len(onestop.incomplete_returns(db.session)),
    )


@requires(can_issue_receipts)
def onestop_record(donation_id: int) -> Response | str:
    donation = db.get_or_404(Donation, donation_id)
    existing = onestop.return_for(db.session, donation)
    form = OnestopForm()
    change_form = OnestopChangeForm(formdata=None, change_received_on=today_jst())
    if request.method == "GET":
        form.received_on.data = today_jst()
        if existing is not None:
            form.missing.data = list(existing.missing)
    if form.validate_on_submit():
        try:
            row, changed = onestop.register_return(
                db.session,
                donation,
                received_on=form.received_on.data,
                missing=list(form.missing.data or []),
                note=form.note.data or "",
                by_user=current_user,
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            if changed:
                uow.after_commit(notify.send_notices_now)
            if row.state == OnestopState.COMPLETE:
                flash(_("%(no)s：受理として登録しました。", no=donation.donation_no), "success")
            else:
                flash(_("%(no)s：不備ありとして登録しました。", no=donation.donation_no), "success")
            return redirect(url_for("staff.onestop_intake"), 303)
    _audit_view("donation", donation.id)
    return render(
        "staff/receipts/onestop_record.html",
        donation=donation,
        existing=existing,
        form=form,
        change_form=change_form,
        deadline=onestop.deadline(onestop.donation_year(donation)),
        states=onestop.STATE_LABELS,
        missing_labels=onestop.MISSING_LABELS,
        cancelled=donation.state == DonationState.CANCELLED,
    )


class OnestopChangeForm(FlaskForm):
    change_received_on = DateField(_l("変更届出書の受付日"), validators=[DataRequired()])


@requires(can_issue_receipts)
def onestop_change(donation_id: int) -> Response | str:
    """A returned 申告特例申請事項変更届出書, registered on the one-stop record."""
    donation = db.get_or_404(Donation, donation_id)
    form = OnestopChangeForm()
    if form.validate_on_submit():
        try:
            onestop.register_change(
                db.session,
                donation,
                received_on=form.change_received_on.data,
                by_user=current_user,
            )
        except DomainError as e:
            flash(str(e), "error")
        else:
            flash(_("%(no)s：変更届出書の受付を登録しました。", no=donation.donation_no), "success")
    else:
        flash(_("変更届出書の受付日を入力してください。"), "error")
    return redirect(url_for("staff.onestop_record", donation_id=donation.id), 303)


def onestop_incomplete() -> str:
    rows = onestop.incomplete_returns(db.session)
    audit_trail.record_list(
        "donation", "ワンストップ申請書の不備", [r.donation.donation_no for r in rows]
    )
    return render(
        "staff/receipts/onestop_incomplete.html",
        rows=rows,
        missing_labels=onestop.MISSING_LABELS,
        can_issue=can_issue_receipts(current_user),
    )


# --- the year-end list for the city ----------------------------------------------------------


def _yearend_year() -> int:
    today = today_jst()
    default = today.year - 1 if today.month <= 3 else today.year
    raw = request.args.get("year", "")
    return int(raw) if raw.isdigit() and 2008 <= int(raw) <= today.year else default


def onestop_yearend() -> str:
    """Per residence municipality: how many accepted one-stop applicants, donations and yen
    (no names on the page); the CSV and the PDF carry the personal data (audited)."""
    year = _yearend_year()
    data = yearend.yearend_list(db.session, year)
    return render(
        "staff/receipts/onestop_yearend.html",
        data=data,
        year=year,
        years=list(range(today_jst().year, today_jst().year - 5, -1)),
        before_deadline=today_jst() <= data.deadline,
        missing_labels=onestop.MISSING_LABELS,
    )


def onestop_yearend_csv() -> Response:
    year = _yearend_year()
    data = yearend.yearend_list(db.session, year)
    body = csv_bytes(yearend.CSV_HEADER, yearend.csv_rows(data))  # formulas neutralised
    _audit_view("onestop_yearend", year, action="export")
    name = f"onestop-{year}-by-municipality.csv"
    response = make_response(body)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f"attachment; filename={name}"
    return response


def onestop_yearend_pdf() -> Response:
    year = _yearend_year()
    data = yearend.yearend_list(db.session, year)
    pdf = yearend.render_pdf(data, city_name=current_app.config.get("CITY_NAME", ""))
    _audit_view("onestop_yearend", year, action="export")
    return send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"onestop-{year}-by-municipality.pdf",
    )
