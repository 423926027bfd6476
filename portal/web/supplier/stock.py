"""Supplier: its own gifts' stock — totals, per-portal allocations, changes and the ledger."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from portal.core.errors import DomainError
from portal.core.portals import Portal
from portal.extensions import db
from portal.gifts import supplier_stock as uc
from portal.gifts.models import Gift
from portal.web.forms import FlaskForm, apply_domain_error, choices
from portal.web.htmx import redirect, render
from portal.web.labels import PORTAL_LABELS

REASON = _l("理由")


class ChangeForm(FlaskForm):
    """Add a harvest (mode=add) or set a counted value (mode=count) on one allocation."""

    mode = HiddenField(validators=[DataRequired()])
    portal = SelectField(
        _l("配分先"), choices=choices([(p.value, PORTAL_LABELS[p]) for p in Portal])
    )
    quantity = IntegerField(
        _l("数量"),
        validators=[
            InputRequired(_l("数量を入力してください。")),
            NumberRange(min=0, max=uc.MAX_UNITS),
        ],
    )
    reason = StringField(
        REASON, validators=[DataRequired(_l("理由を入力してください。")), Length(max=300)]
    )


class PauseForm(FlaskForm):
    paused = HiddenField(validators=[DataRequired()])
    reason = StringField(
        REASON, validators=[DataRequired(_l("理由を入力してください。")), Length(max=300)]
    )


def _own_gift(gift_id: int) -> Gift:
    gift = db.session.scalar(
        sa.select(Gift).where(Gift.id == gift_id, Gift.supplier_id == current_user.supplier_id)
    )
    if gift is None:
        abort(404)
    return gift


def _page(errors: dict[int, FlaskForm] | None = None, status: int = 200) -> tuple[str, int]:
    stocks = uc.stock_overview(db.session, current_user.supplier_id)
    names = {s.gift.id: s.gift.name for s in stocks}
    html = render(
        "supplier/stock.html",
        stocks=stocks,
        forms=errors or {},
        change_form=lambda mode: ChangeForm(formdata=None, mode=mode),
        pause_form=PauseForm(formdata=None),
        ledger=uc.ledger(db.session, list(names)),
        gift_names=names,
        portal_labels={p.value: PORTAL_LABELS[p] for p in Portal},
        ledger_labels=uc.LEDGER_LABELS,
    )
    return html, status


def stock() -> tuple[str, int]:
    return _page()


def stock_change(gift_id: int) -> Response | tuple[str, int]:
    gift = _own_gift(gift_id)
    form = ChangeForm()
    if form.validate_on_submit():
        try:
            action = uc.add_stock if form.mode.data == "add" else uc.set_counted
            after = action(
                db.session,
                gift,
                portal=form.portal.data,
                quantity=form.quantity.data,
                reason=form.reason.data,
                by_user=current_user,
            )
            flash(_("%(gift)s の在庫を %(n)s にしました。", gift=gift.name, n=after), "success")
            return redirect(url_for("supplier.stock"))
        except DomainError as err:
            apply_domain_error(form, err)
    return _page({gift.id: form}, 422)


def stock_pause(gift_id: int) -> Response | tuple[str, int]:
    gift = _own_gift(gift_id)
    form = PauseForm()
    if form.validate_on_submit():
        try:
            paused = form.paused.data == "1"
            uc.set_paused(
                db.session, gift, paused=paused, reason=form.reason.data, by_user=current_user
            )
            message = _("受付を止めました。") if paused else _("受付を再開しました。")
            flash(message, "success")
            return redirect(url_for("supplier.stock"))
        except DomainError as err:
            apply_domain_error(form, err)
    return _page({-gift.id: form}, 422)
