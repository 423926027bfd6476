"""Staff: stock and listings — what to close on which portal, thresholds, moves, pausing."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import (
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.core.portals import Portal
from portal.core.roles import can_handle_donations
from portal.extensions import db
from portal.gifts.models import Gift
from portal.gifts.stock import (
    move_allocation,
    pause_gift,
    set_thresholds,
    stock_alert_count,
    stock_overview,
)
from portal.web.forms import FlaskForm, choices, flash_domain_error, nfkc
from portal.web.guards import requires
from portal.web.htmx import render
from portal.web.labels import PORTAL_LABELS
from portal.web.staff.labels import CLOSE_REASONS


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
