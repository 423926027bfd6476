"""Staff: the monthly cycle the city pays against — the contract table, city-paid advertising,
the city invoice, gift articles, promotion activities and the monthly business report.

Operator staff enter and issue; city staff read everything and inspect the report (accept or
send it back). Mail to the city goes after the commit (uow.after_commit).
"""

from __future__ import annotations

from flask import Response, abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.core.roles import can_inspect_monthly_report, can_prepare_monthly
from portal.extensions import db
from portal.monthly import contract, documents, invoice, records, report
from portal.monthly.contract import ROUNDING_LABELS
from portal.monthly.labels import EVENT_LABELS, PORTAL_NAMES, REPORT_STATES
from portal.monthly.models import SECTIONS, Rounding
from portal.statements.service import normalise_month
from portal.web import uow
from portal.web.forms import FlaskForm, apply_domain_error, choices, flash_domain_error
from portal.web.guards import requires
from portal.web.htmx import redirect, render


def _previous_month() -> str:
    today = today_jst()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


def _month(value: str | None = None) -> str:
    try:
        return normalise_month(value or request.args.get("month") or _previous_month())
    except DomainError:
        abort(404)


def _portal_choices() -> list:
    return choices([("", _l("指定なし"))] + [(p.value, label) for p, label in PORTAL_NAMES.items()])


def _download(data: bytes, name: str, mime: str) -> Response:
    response = make_response(data)
    response.headers["Content-Type"] = mime
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- contract table -------------------------------------------------------------------


class RateForm(FlaskForm):
    valid_from = DateField(_l("適用開始日"), validators=[DataRequired()])
    base_rate = StringField(_l("基本業務委託料率（返礼品あり・%）"), validators=[DataRequired()])
    no_gift_rate = StringField(_l("返礼品なしの寄附の率（%）"), validators=[DataRequired()])
    crowdfunding_rate = StringField(
        _l("クラウドファンディングの率（%）"), validators=[DataRequired()]
    )
    mailing_unit_price = IntegerField(
        _l("受領証明書等送付 1通の単価（円）"), validators=[InputRequired(), NumberRange(min=0)]
    )
    mailing_in_base = BooleanField(_l("送付業務は基本業務委託料に含めて請求する"))
    tax_rate_percent = IntegerField(
        _l("消費税率（%・0 は税込）"), validators=[InputRequired(), NumberRange(min=0, max=100)]
    )
    tax_rounding = SelectField(
        _l("消費税の端数処理"),
        choices=choices([(r.value, label) for r, label in ROUNDING_LABELS.items()]),
    )
    note = StringField(_l("メモ（見積書の番号など）"), validators=[Length(max=300)])


@requires(can_prepare_monthly, methods=["POST"])
def contract_rates() -> Response | str | tuple[str, int]:
    form = RateForm()
    if request.method == "GET":
        form.tax_rate_percent.data = 10
        form.mailing_unit_price.data = 0
    if form.validate_on_submit():
        try:
            contract.add_rate(
                db.session, valid_from=form.valid_from.data,
                base_rate_bp=contract.parse_percent(form.base_rate.data, "base_rate"),
                no_gift_rate_bp=contract.parse_percent(form.no_gift_rate.data, "no_gift_rate"),
                crowdfunding_rate_bp=contract.parse_percent(
                    form.crowdfunding_rate.data, "crowdfunding_rate"
                ),
                mailing_unit_price=form.mailing_unit_price.data,
                mailing_in_base=form.mailing_in_base.data,
                tax_rate_percent=form.tax_rate_percent.data,
                tax_rounding=Rounding(form.tax_rounding.data), note=form.note.data or "",
                by_user=current_user,
            )  # fmt: skip
            flash(_("契約単価を登録しました。"), "success")
            return redirect(url_for("staff.contract_rates"))
        except DomainError as err:
            apply_domain_error(form, err)
    page = render(
        "staff/monthly/contract.html", form=form, rates=contract.rates(db.session),
        percent=contract.percent_text, rounding=ROUNDING_LABELS,
    )  # fmt: skip
    return (page, 422) if request.method == "POST" else page


# --- city-paid advertising ------------------------------------------------------------


class AdForm(FlaskForm):
    paid_on = DateField(_l("市の支払日"), validators=[DataRequired()])
    amount = IntegerField(_l("金額（円・税込）"), validators=[InputRequired(), NumberRange(min=1)])
    description = StringField(_l("内容"), validators=[DataRequired(), Length(max=300)])
    portal = SelectField(_l("ポータル"))
    evidence_ref = StringField(_l("証拠（請求書番号など）"), validators=[Length(max=200)])
    evidence = FileField(_l("証拠書類（PDF・PNG・JPEG）"))


@requires(can_prepare_monthly, methods=["POST"])
def advertisements() -> Response | str | tuple[str, int]:
    form = AdForm()
    form.portal.choices = _portal_choices()
    if form.validate_on_submit():
        upload = form.evidence.data
        data = upload.read() if upload else None
        try:
            records.add_advertisement(
                db.session, paid_on=form.paid_on.data, amount=form.amount.data,
                description=form.description.data, portal=form.portal.data or None,
                evidence_ref=form.evidence_ref.data or "",
                evidence_name=upload.filename if upload else "",
                evidence_type=upload.mimetype if upload else "", evidence_data=data,
                by_user=current_user,
            )  # fmt: skip
            flash(
                _("市が支払った広告費を登録しました。次に発行する請求書から控除します。"), "success"
            )
            return redirect(url_for("staff.advertisements"))
        except DomainError as err:
            apply_domain_error(form, err)
    page = render(
        "staff/monthly/advertisements.html", form=form, ads=records.advertisements(db.session),
        portals=PORTAL_NAMES,
    )  # fmt: skip
    return (page, 422) if request.method == "POST" else page


def advertisement_evidence(ad_id: int) -> Response:
    from portal.monthly.models import CityAdvertisement

    ad = db.session.get(CityAdvertisement, ad_id)
    if ad is None or not ad.evidence_data:
        abort(404)
    response = _download(ad.evidence_data, f"evidence-{ad.id}", ad.evidence_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- invoice --------------------------------------------------------------------------


class CreditForm(FlaskForm):
    reason = StringField(_l("赤伝の理由"), validators=[DataRequired(), Length(max=300)])


def _line_url(line) -> str | None:
    kind, ref = line.ref_type, line.ref_id
    if kind == "statement_line":
        return url_for("staff.statement_detail", statement_id=int(ref.split(":")[0]))
    if kind == "receipt_batch":
        return url_for("staff.receipt_batch", batch_id=int(ref))
    if kind == "city_advertisement":
        return url_for("staff.advertisements") + f"#ad-{ref}"
    if kind == "contract_rate":
        return url_for("staff.contract_rates") + f"#rate-{ref}"
    if kind == "donations":
        return f"#donations-{ref.split(':')[1]}"
    return None


def invoices() -> str:
    month = _month()
    draft, error = None, None
    try:
        draft = invoice.build(db.session, month)
    except DomainError as err:
        error = err.message
    donations = {g: [] for g in invoice.GROUP_LABELS}
    for d in invoice.month_donations(db.session, month):
        donations[invoice.donation_group(d)].append(d)
    return render(
        "staff/monthly/invoices.html", month=month, draft=draft, error=error,
        current=invoice.current_invoice(db.session, month),
        issued=invoice.month_invoices(db.session, month), sections=invoice.SECTION_LABELS,
        line_url=_line_url, donations=donations, group_labels=invoice.GROUP_LABELS,
        credit_form=CreditForm(formdata=None),
    )  # fmt: skip


@requires(can_prepare_monthly)
def invoice_issue() -> Response:
    month = _month(request.form.get("month"))
    try:
        inv = invoice.issue(db.session, month, by_user=current_user)
        flash(_("請求書 %(number)s を発行しました。", number=inv.number), "success")
    except DomainError as err:
        flash_domain_error(err)
    return redirect(url_for("staff.invoices", month=month))


@requires(can_prepare_monthly)
def invoice_credit(invoice_id: int) -> Response:
    inv = invoice.get_invoice(db.session, invoice_id) or abort(404)
    form = CreditForm()
    if not form.validate_on_submit():
        flash(_("赤伝を発行する理由を入力してください。"), "error")
        return redirect(url_for("staff.invoices", month=inv.month))
    try:
        credit = invoice.credit_note(db.session, inv, reason=form.reason.data, by_user=current_user)
        flash(
            _(
                "赤伝 %(number)s を発行しました。訂正した請求書を発行できます。",
                number=credit.number,
            ),
            "success",
        )
    except DomainError as err:
        flash_domain_error(err)
    return redirect(url_for("staff.invoices", month=inv.month))


def invoice_pdf(invoice_id: int) -> Response:
    inv = invoice.get_invoice(db.session, invoice_id) or abort(404)
    return _download(documents.invoice_pdf(inv), f"invoice-{inv.number}.pdf", "application/pdf")


def invoice_xlsx(invoice_id: int) -> Response:
    inv = invoice.get_invoice(db.session, invoice_id) or abort(404)
    return _download(documents.invoice_xlsx(inv), f"invoice-{inv.number}.xlsx", XLSX)


# --- gift articles and promotion ------------------------------------------------------


class ArticleForm(FlaskForm):
    title = StringField(_l("題名"), validators=[DataRequired(), Length(max=200)])
    portal = SelectField(_l("ポータル"))
    published_on = DateField(_l("掲載日"), validators=[DataRequired()])
    url = StringField(_l("URL"), validators=[Length(max=500)])


@requires(can_prepare_monthly, methods=["POST"])
def gift_articles() -> Response | str | tuple[str, int]:
    form = ArticleForm()
    form.portal.choices = _portal_choices()
    if request.method == "GET":
        form.published_on.data = today_jst()
    if form.validate_on_submit():
        try:
            records.add_article(
                db.session, title=form.title.data, published_on=form.published_on.data,
                portal=form.portal.data or None, url=form.url.data or "", by_user=current_user,
            )  # fmt: skip
            flash(_("紹介記事を記録しました。"), "success")
            return redirect(url_for("staff.gift_articles"))
        except DomainError as err:
            apply_domain_error(form, err)
    month = _month()
    page = render(
        "staff/monthly/articles.html", form=form, month=month,
        articles=records.articles_in(db.session, month), portals=PORTAL_NAMES,
    )  # fmt: skip
    return (page, 422) if request.method == "POST" else page


class PromotionForm(FlaskForm):
    what = StringField(_l("内容"), validators=[DataRequired(), Length(max=200)])
    done_on = DateField(_l("実施日"), validators=[DataRequired()])
    medium = StringField(_l("媒体"), validators=[DataRequired(), Length(max=100)])
    cost = IntegerField(_l("費用（円）"), validators=[InputRequired(), NumberRange(min=0)])
    reach = IntegerField(
        _l("到達数（表示・配布など）"), validators=[Optional(), NumberRange(min=0)]
    )
    donations_count = IntegerField(
        _l("効果: 寄附件数"), validators=[Optional(), NumberRange(min=0)]
    )
    donations_amount = IntegerField(
        _l("効果: 寄附金額（円）"), validators=[Optional(), NumberRange(min=0)]
    )
    effect = TextAreaField(_l("効果（所見）"), validators=[Length(max=5000)])


@requires(can_prepare_monthly, methods=["POST"])
def promotions() -> Response | str | tuple[str, int]:
    form = PromotionForm()
    if request.method == "GET":
        form.done_on.data = today_jst()
        form.cost.data = 0
    if form.validate_on_submit():
        try:
            records.add_promotion(
                db.session, what=form.what.data, done_on=form.done_on.data,
                medium=form.medium.data, cost=form.cost.data, reach=form.reach.data,
                donations_count=form.donations_count.data,
                donations_amount=form.donations_amount.data, effect=form.effect.data or "",
                by_user=current_user,
            )  # fmt: skip
            flash(_("情報発信の記録を追加しました。"), "success")
            return redirect(url_for("staff.promotions"))
        except DomainError as err:
            apply_domain_error(form, err)
    month = _month()
    page = render(
        "staff/monthly/promotions.html", form=form, month=month,
        activities=records.promotions_in(db.session, month),
    )  # fmt: skip
    return (page, 422) if request.method == "POST" else page


# --- the monthly report ---------------------------------------------------------------


class CommentForm(FlaskForm):
    body = TextAreaField(_l("コメント"), validators=[Length(max=4000)])


class DecisionForm(FlaskForm):
    comment = TextAreaField(_l("検査のコメント"), validators=[Length(max=4000)])


def monthly_reports() -> str:
    today = today_jst()
    due_month = report.report_month_due(today)
    return render(
        "staff/monthly/reports.html", reports=report.reports(db.session), states=REPORT_STATES,
        due_month=due_month, due_on=report.due_date(due_month), due=report.get_report(db.session, due_month),
        months=_recent_months(today), due_date=report.due_date,
    )  # fmt: skip


def _recent_months(today) -> list[str]:
    out, year, month = [], today.year, today.month
    for _i in range(6):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


def monthly_report(month: str) -> str:
    month = _month(month)
    rep = report.get_report(db.session, month)
    ctx = documents.report_context(report.figures(db.session, month), rep)
    forms = {
        s: CommentForm(formdata=None, prefix=s, body=rep.comment_for(s) if rep else "")
        for s in SECTIONS
    }
    return render(
        "staff/monthly/report.html", month=month, due_on=report.due_date(month),
        history=report.history(db.session, rep) if rep else [], forms=forms,
        decision_form=DecisionForm(formdata=None), event_labels=EVENT_LABELS, may_edit=bool(
            rep and not rep.is_locked and can_prepare_monthly(current_user)
        ),
        may_decide=bool(rep and rep.state == "submitted" and can_inspect_monthly_report(current_user)),
        **ctx,
    )  # fmt: skip


def _report_or_404(month: str):
    rep = report.get_report(db.session, _month(month))
    if rep is None:
        abort(404)
    return rep


@requires(can_prepare_monthly)
def monthly_report_open(month: str) -> Response:
    month = _month(month)
    try:
        report.open_report(db.session, month, by_user=current_user)
        flash(_("%(month)s の業務報告書を作成しました。", month=month), "success")
    except DomainError as err:
        flash_domain_error(err)
    return redirect(url_for("staff.monthly_report", month=month))


@requires(can_prepare_monthly)
def monthly_report_comment(month: str) -> Response:
    rep = _report_or_404(month)
    section = request.form.get("section", "")
    form = CommentForm(prefix=section if section in SECTIONS else "x")
    if form.validate_on_submit():
        try:
            report.set_comment(db.session, rep, section, form.body.data or "", by_user=current_user)
            flash(_("コメントを保存しました。"), "success")
        except DomainError as err:
            flash_domain_error(err)
    else:
        flash(_("コメントは4000文字以内で入力してください。"), "error")
    return redirect(url_for("staff.monthly_report", month=rep.month) + f"#section-{section}")


@requires(can_prepare_monthly)
def monthly_report_submit(month: str) -> Response:
    rep = _report_or_404(month)
    try:
        report.submit(db.session, rep, by_user=current_user)
    except DomainError as err:
        flash_domain_error(err)
        return redirect(url_for("staff.monthly_report", month=rep.month))
    recipients, month = report.city_recipients(db.session), rep.month
    link = url_for("staff.monthly_report", month=month, _external=True)
    uow.after_commit(lambda: report.notify_city(recipients, month, link))
    flash(_("業務報告書を提出しました。市の職員にお知らせしました。"), "success")
    return redirect(url_for("staff.monthly_report", month=rep.month))


@requires(can_inspect_monthly_report)
def monthly_report_accept(month: str) -> Response:
    rep = _report_or_404(month)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            report.accept(db.session, rep, by_user=current_user, comment=form.comment.data or "")
            flash(_("検査済にしました。"), "success")
        except DomainError as err:
            flash_domain_error(err)
    return redirect(url_for("staff.monthly_report", month=rep.month))


@requires(can_inspect_monthly_report)
def monthly_report_return(month: str) -> Response:
    rep = _report_or_404(month)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            report.send_back(db.session, rep, by_user=current_user, comment=form.comment.data or "")
            flash(_("差戻しました。運営事務局が修正して再提出します。"), "success")
        except DomainError as err:
            flash_domain_error(err)
    return redirect(url_for("staff.monthly_report", month=rep.month))


def monthly_report_pdf(month: str) -> Response:
    month = _month(month)
    rep = report.get_report(db.session, month)
    data = documents.report_pdf(report.figures(db.session, month), rep)
    return _download(data, f"monthly-report-{month}.pdf", "application/pdf")


def monthly_report_xlsx(month: str) -> Response:
    month = _month(month)
    rep = report.get_report(db.session, month)
    data = documents.report_xlsx(report.figures(db.session, month), rep)
    return _download(data, f"monthly-report-{month}.xlsx", XLSX)
