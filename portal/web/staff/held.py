"""Staff: the 在庫超過 queue — lines held for stock, released or substituted with the donor's consent."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import (
    DateField,
    IntegerField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.core.portals import Portal
from portal.core.roles import can_handle_donations
from portal.donations import lifecycle
from portal.donations.models import DonationLine, LineHold
from portal.donations.substitution import (
    ConsentChannel,
    substitute_candidates,
    substitute_line,
)
from portal.extensions import db
from portal.gifts.models import Gift
from portal.gifts.stock import (
    GiftAllocation,
    listings_to_close,
    move_allocation,
)
from portal.web import audit_trail
from portal.web.forms import FlaskForm, apply_domain_error, choices, flash_domain_error, nfkc
from portal.web.guards import requires
from portal.web.htmx import render
from portal.web.labels import PORTAL_LABELS
from portal.web.staff.donations import CancelForm
from portal.web.staff.labels import (
    CLOSE_REASONS,
    CONSENT_LABELS,
    HOLD_LABELS,
)


class MoveForm(FlaskForm):
    from_portal = SelectField(
        _l("移動元"), choices=choices([(p.value, PORTAL_LABELS[p]) for p in Portal])
    )
    quantity = IntegerField(
        _l("数量"), filters=[nfkc], default=1, validators=[DataRequired(), NumberRange(min=1)]
    )


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
    audit_trail.record_list("donation", "保留中の寄附", [ln.donation.donation_no for ln in lines])
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
    audit_trail.record("view", "donation", line.donation_id)
    return render(
        "staff/donation_substitute.html",
        line=line,
        form=form,
        candidates=substitute_candidates(db.session, line),
        holds=HOLD_LABELS,
        portals=PORTAL_LABELS,
    )
