"""Staff: the 5割 and 3割 watch [6(8)イ(イ)(ウ)] — the breakdown of the costs of raising
donations for the 年度 to date, its projection, the margins, the gifts a price change pushed to
the 3割 margin, the costs staff enter, and the workbook for the city's report to 総務省.

Every staff member reads it; operator staff and city staff enter costs; the city and the
operator's administrator set the margins (portal/core/roles.py). No personal data is shown.
"""

from __future__ import annotations

from flask import Response, abort, flash, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.core.portals import PORTAL_LABELS
from portal.core.roles import can_enter_costs, can_set_cost_margins
from portal.extensions import db
from portal.oversight import costs, export, ratios
from portal.oversight.categories import CATEGORY_LABELS, COST_KIND_LABELS, ITEMS, Category
from portal.oversight.models import CostEntry
from portal.web.forms import FlaskForm, apply_domain_error, choices, flash_domain_error
from portal.web.guards import requires
from portal.web.htmx import redirect, render

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
METHOD_LABELS = {
    ratios.Method.LAST_YEAR: _l("前年度の月別の形に今年度の伸びを掛けて推計"),
    ratios.Method.LINEAR: _l("前年度の実績がないため、経過日数からの直線で推計"),
}


class CostForm(FlaskForm):
    month = StringField(_l("月（2026-10 の形）"), validators=[DataRequired(), Length(max=7)])
    category = SelectField(_l("費用の種類"))
    portal = SelectField(_l("ポータル"))
    amount = IntegerField(
        _l("金額（円・税込）"),
        validators=[InputRequired(), NumberRange(min=1, max=costs.MAX_AMOUNT)],
    )
    note = StringField(_l("メモ"), validators=[Length(max=300)])


class MarginForm(FlaskForm):
    fifty_margin = StringField(_l("5割の警告（%）"), validators=[DataRequired(), Length(max=8)])
    thirty_margin = StringField(_l("3割の警告（%）"), validators=[DataRequired(), Length(max=8)])


def _cost_form(entry: CostEntry | None = None) -> CostForm:
    form = CostForm(obj=None)
    form.category.choices = choices([(k.value, label) for k, label in COST_KIND_LABELS.items()])
    form.portal.choices = choices(
        [("", _l("指定なし"))] + [(p.value, label) for p, label in PORTAL_LABELS.items()]
    )
    if request.method == "GET":
        if entry is not None:
            form.month.data, form.category.data = entry.month, entry.category.value
            form.portal.data = entry.portal.value if entry.portal else ""
            form.amount.data, form.note.data = entry.amount, entry.note
        else:
            today = today_jst()
            form.month.data = f"{today.year:04d}-{today.month:02d}"
    return form


def _margin_form(setting) -> MarginForm:
    form = MarginForm()
    if request.method == "GET" or not form.is_submitted():
        form.fifty_margin.data = _bp_text(setting.fifty_margin_bp)
        form.thirty_margin.data = _bp_text(setting.thirty_margin_bp)
    return form


def _bp_text(bp: int) -> str:
    return f"{bp // 100}" if bp % 100 == 0 else f"{bp / 100:g}"


def _page(cost_form: CostForm, margin_form: MarginForm | None = None) -> str:
    w = ratios.watch(db.session)
    b = w.breakdown
    months = ratios.months_between(b.start, b.today)
    return render(
        "staff/oversight.html",
        watch=w,
        methods=METHOD_LABELS,
        percent=ratios.percent,
        categories=list(Category),
        category_labels=CATEGORY_LABELS,
        items=ITEMS,
        drifts=ratios.drifted_gifts(db.session, w.thirty_margin_bp),
        entries=costs.entries(db.session, months[0], months[-1]),
        kind_labels=COST_KIND_LABELS,
        portals=PORTAL_LABELS,
        form=cost_form,
        margin_form=margin_form or _margin_form(ratios.settings(db.session)),
    )


@requires(can_enter_costs, methods=["POST"])
def oversight() -> Response | str | tuple[str, int]:
    form = _cost_form()
    if form.validate_on_submit():
        try:
            costs.add_entry(
                db.session, month=form.month.data or "", category=form.category.data,
                amount=form.amount.data, portal=form.portal.data or None,
                note=form.note.data or "", by_user=current_user,
            )  # fmt: skip
            flash(_("費用を登録しました。"), "success")
            return redirect(url_for("staff.oversight") + "#costs")
        except DomainError as err:
            apply_domain_error(form, err)
    page = _page(form)
    return (page, 422) if request.method == "POST" else page


def _entry(entry_id: int) -> CostEntry:
    return db.session.get(CostEntry, entry_id) or abort(404)


@requires(can_enter_costs)
def oversight_cost(entry_id: int) -> Response | str | tuple[str, int]:
    entry = _entry(entry_id)
    form = _cost_form(entry)
    if form.validate_on_submit():
        try:
            costs.update_entry(
                db.session, entry, month=form.month.data or "", category=form.category.data,
                amount=form.amount.data, portal=form.portal.data or None,
                note=form.note.data or "", by_user=current_user,
            )  # fmt: skip
            flash(_("費用を訂正しました。"), "success")
            return redirect(url_for("staff.oversight") + "#costs")
        except DomainError as err:
            apply_domain_error(form, err)
    page = render("staff/oversight_cost.html", form=form, entry=entry)
    return (page, 422) if request.method == "POST" else page


@requires(can_enter_costs)
def oversight_cost_delete(entry_id: int) -> Response:
    entry = _entry(entry_id)
    try:
        costs.delete_entry(db.session, entry, by_user=current_user)
        flash(_("費用を削除しました。"), "success")
    except DomainError as err:
        flash_domain_error(err)
    return redirect(url_for("staff.oversight") + "#costs")


@requires(can_set_cost_margins)
def oversight_margins() -> Response | str | tuple[str, int]:
    form = MarginForm()
    if form.validate_on_submit():
        try:
            costs.set_margins(
                db.session, fifty=form.fifty_margin.data, thirty=form.thirty_margin.data,
                by_user=current_user,
            )  # fmt: skip
            flash(_("警告の割合を変更しました。"), "success")
            return redirect(url_for("staff.oversight") + "#margins")
        except DomainError as err:
            apply_domain_error(form, err)
    return _page(_cost_form(), form), 422


def oversight_card() -> str:
    """The dashboards' card, fetched by htmx once the dashboard is shown: it builds the 年度's
    invoices month by month, so the dashboard itself stays one query. Its income comes from
    the worker's snapshot while fresh (portal/oversight/snapshot.py)."""
    return render_template("staff/_oversight_card.html", oversight=ratios.watch(db.session))


def oversight_xlsx() -> Response:
    """The workbook for the report: its income counted now, not the worker's snapshot (a
    document handed on, downloaded now and then: the card's few-minute lag has no place
    there)."""
    w = ratios.watch(db.session, live=True)
    data = export.workbook(w, ratios.drifted_gifts(db.session, w.thirty_margin_bp))
    response = make_response(data)
    response.headers["Content-Type"] = XLSX
    name = f"oversight-{w.breakdown.fiscal_year}-{w.breakdown.today.isoformat()}.xlsx"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
