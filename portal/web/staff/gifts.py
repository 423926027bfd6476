"""Staff: gift catalogue — list, search, create, edit; the city sets required amounts."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional

from portal.accounts.models import Supplier
from portal.core.errors import DomainError
from portal.core.portals import Portal, portals_granting_points
from portal.core.roles import can_change_required_amount, can_edit_gifts
from portal.extensions import db
from portal.gifts import catalogue
from portal.gifts.listings import LISTING_PORTALS, ListingData, listings_of, set_listing
from portal.gifts.models import (
    GIFT_SIZES,
    TEMPERATURE_LABELS,
    Gift,
    GiftStatus,
    RequiredAmountChange,
    TemperatureBand,
)
from portal.web.forms import FlaskForm, apply_domain_error, choices, nfkc
from portal.web.guards import requires
from portal.web.htmx import render
from portal.web.labels import PORTAL_LABELS
from portal.web.staff.labels import STATUS_LABELS

PAGE_SIZE = 50


class GiftForm(FlaskForm):
    code = StringField(
        _l("返礼品コード"), filters=[nfkc], validators=[DataRequired(), Length(max=30)]
    )
    name = StringField(_l("返礼品名"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("説明"), validators=[Optional(), Length(max=5000)])
    supplier_id = SelectField(_l("事業者"), coerce=int, validators=[DataRequired()])
    required_amount = IntegerField(
        _l("必要寄附額（円）"), filters=[nfkc], validators=[DataRequired(), NumberRange(min=1)]
    )
    procurement_cost = IntegerField(
        _l("調達費用（円・税込）"), filters=[nfkc], validators=[DataRequired(), NumberRange(min=0)]
    )
    shipping_fee = IntegerField(
        _l("送料（円）"), filters=[nfkc], default=0, validators=[Optional(), NumberRange(min=0)]
    )
    size = SelectField(_l("サイズ"), coerce=int, choices=choices([(s, f"{s}") for s in GIFT_SIZES]))
    temperature = SelectField(
        _l("温度帯"),
        # No default: 常温 preselected let a frozen gift be saved as ambient.
        choices=choices(
            [("", _l("選んでください")), *((k.value, v) for k, v in TEMPERATURE_LABELS.items())]
        ),
        validators=[DataRequired(_l("温度帯を選んでください。"))],
    )
    status = SelectField(
        _l("状態"), choices=choices([(k.value, v) for k, v in STATUS_LABELS.items()])
    )
    limited_quantity = IntegerField(
        _l("数量限定（空欄は限定なし）"),
        filters=[nfkc],
        validators=[Optional(), NumberRange(min=1)],
    )
    accept_from = DateField(_l("受付開始日"), validators=[Optional()])
    accept_until = DateField(_l("受付終了日"), validators=[Optional()])
    ship_from = DateField(_l("発送開始日（季節の返礼品）"), validators=[Optional()])
    ship_until = DateField(_l("発送終了日"), validators=[Optional()])
    lead_days = IntegerField(
        _l("発送までの日数"),
        filters=[nfkc],
        default=14,
        validators=[DataRequired(), NumberRange(min=1, max=365)],
    )

    def to_data(self) -> catalogue.GiftData:
        return catalogue.GiftData(
            code=self.code.data or "",
            name=(self.name.data or "").strip(),
            description=self.description.data or "",
            supplier_id=self.supplier_id.data,
            required_amount=self.required_amount.data or 0,
            procurement_cost=self.procurement_cost.data or 0,
            shipping_fee=self.shipping_fee.data or 0,
            size=self.size.data,
            temperature=TemperatureBand(self.temperature.data),
            status=GiftStatus(self.status.data),
            limited_quantity=self.limited_quantity.data,
            accept_from=self.accept_from.data,
            accept_until=self.accept_until.data,
            ship_from=self.ship_from.data,
            ship_until=self.ship_until.data,
            lead_days=self.lead_days.data or 14,
        )


def _form(gift: Gift | None = None) -> GiftForm:
    form = GiftForm(obj=gift)
    if gift is not None and request.method == "GET":
        form.temperature.data = gift.temperature.value
        form.status.data = gift.status.value
    form.supplier_id.choices = choices(
        (s.id, f"{s.code} {s.name}")
        for s in db.session.scalars(sa.select(Supplier).order_by(Supplier.code))
    )
    return form


def gifts() -> str:
    q = request.args.get("q", "").strip()
    status_arg = request.args.get("status", "")
    status = GiftStatus(status_arg) if status_arg in {s.value for s in GiftStatus} else None
    over_limit = request.args.get("over_limit") == "1"
    after = request.args.get("after", "")
    stmt = catalogue.search_gifts(q=q, status=status, over_limit=over_limit)
    if after:
        stmt = stmt.where(Gift.code > after)
    rows = db.session.scalars(stmt.limit(PAGE_SIZE + 1)).all()
    next_after = rows[PAGE_SIZE - 1].code if len(rows) > PAGE_SIZE else None
    return render(
        "staff/gifts.html",
        "staff/_gift_rows.html",
        gifts=rows[:PAGE_SIZE],
        next_after=next_after,
        q=q,
        status=status_arg,
        over_limit=over_limit,
        points_portals=portals_granting_points(current_app.config["PORTALS_GRANTING_POINTS"]),
        portal_names=PORTAL_LABELS,
        statuses=STATUS_LABELS,
        temperatures=TEMPERATURE_LABELS,
        can_edit=can_edit_gifts(current_user),
    )


@requires(can_edit_gifts)
def gift_new() -> Response | str:
    form = _form()
    if form.validate_on_submit():
        try:
            gift = catalogue.create_gift(db.session, form.to_data(), by_user=current_user)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("返礼品「%(name)s」を登録しました。", name=gift.name), "success")
            return redirect(url_for("staff.gift_detail", gift_id=gift.id), 303)
    return render("staff/gift_form.html", form=form, gift=None, can_amount=True, can_edit=True)


class ListingForm(FlaskForm):
    """The gift's listing on one portal: the portal's item ID, its URL, チョイス's 管理コード.
    An empty ID removes the listing."""

    item_id = StringField(_l("掲載ID"), filters=[nfkc], validators=[Optional(), Length(max=64)])
    manage_code = StringField(
        _l("管理コード"), filters=[nfkc], validators=[Optional(), Length(max=64)]
    )
    url = StringField(
        _l("掲載ページのURL"),
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[Optional(), Length(max=500), URL(message=_l("URLの形式ではありません。"))],
    )


def _listing_forms(gift: Gift, posted: dict[str, ListingForm] | None = None) -> dict:
    current = listings_of(db.session, gift)
    forms = {}
    for portal in LISTING_PORTALS:
        if posted and portal.value in posted:
            forms[portal.value] = posted[portal.value]
            continue
        listing = current.get(portal.value)
        form = ListingForm(formdata=None)
        if listing is not None:
            form.item_id.data = listing.item_id
            form.manage_code.data = listing.manage_code
            form.url.data = listing.url
        forms[portal.value] = form
    return forms


def gift_detail(gift_id: int) -> str:
    return _detail(db.get_or_404(Gift, gift_id))


@requires(can_edit_gifts)
def gift_listing(gift_id: int, portal: str) -> Response | tuple[str, int]:
    """Save (or, with an empty ID, remove) the gift's listing on one portal; audited."""
    gift = db.get_or_404(Gift, gift_id)
    if portal not in {p.value for p in LISTING_PORTALS}:
        abort(404)
    form = ListingForm()
    if form.validate_on_submit():
        try:
            set_listing(
                db.session,
                gift,
                portal,
                ListingData(
                    item_id=form.item_id.data or "",
                    url=form.url.data or "",
                    manage_code=(form.manage_code.data or "") if portal == "choice" else "",
                ),
                by_user=current_user,
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(
                _("%(portal)s の掲載IDを保存しました。", portal=PORTAL_LABELS[Portal(portal)]),
                "success",
            )
            return redirect(url_for("staff.gift_detail", gift_id=gift.id) + "#listings", 303)
    return _detail(gift, {portal: form}), 422


def _detail(gift: Gift, posted: dict[str, ListingForm] | None = None) -> str:
    history = db.session.scalars(
        sa.select(RequiredAmountChange)
        .where(RequiredAmountChange.gift_id == gift.id)
        .order_by(RequiredAmountChange.changed_at.desc(), RequiredAmountChange.id.desc())
    ).all()
    return render(
        "staff/gift_detail.html",
        gift=gift,
        history=history,
        statuses=STATUS_LABELS,
        temperatures=TEMPERATURE_LABELS,
        can_edit=can_edit_gifts(current_user),
        can_amount=can_change_required_amount(current_user),
        amount_form=AmountForm(),
        listing_forms=_listing_forms(gift, posted),
        portals=PORTAL_LABELS,
    )


class AmountForm(FlaskForm):
    required_amount = IntegerField(
        _l("新しい必要寄附額（円）"),
        filters=[nfkc],
        validators=[DataRequired(), NumberRange(min=1)],
    )
    reason = StringField(_l("変更理由"), validators=[DataRequired(), Length(max=300)])
    list_gift = BooleanField(_l("この金額で掲載する"))


@requires(can_edit_gifts)
def gift_edit(gift_id: int) -> Response | str:
    """Operator staff edit everything but the amount (shown, not editable, here)."""
    gift = db.get_or_404(Gift, gift_id)
    form = _form(gift)
    if request.method == "POST":
        form.required_amount.data = gift.required_amount  # never taken from this form
    if form.validate_on_submit():
        try:
            catalogue.update_gift(db.session, gift, form.to_data(), by_user=current_user)
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("返礼品「%(name)s」を更新しました。", name=gift.name), "success")
            return redirect(url_for("staff.gift_detail", gift_id=gift.id), 303)
    return render("staff/gift_form.html", form=form, gift=gift, can_amount=False, can_edit=True)


@requires(can_change_required_amount)
def gift_amount(gift_id: int) -> Response | str:
    """City staff set the 必要寄附額; each change is kept with who, when and why."""
    gift = db.get_or_404(Gift, gift_id)
    form = AmountForm()
    if request.method == "GET":
        form.required_amount.data = gift.required_amount
    if form.validate_on_submit():
        try:
            catalogue.change_required_amount(
                db.session,
                gift,
                form.required_amount.data or 0,
                by_user=current_user,
                reason=form.reason.data or "",
                list_it=form.list_gift.data,
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            flash(_("必要寄附額を変更しました。"), "success")
            return redirect(url_for("staff.gift_detail", gift_id=gift.id), 303)
    return render("staff/gift_amount.html", form=form, gift=gift)
