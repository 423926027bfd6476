"""Staff: supplier companies and their users (invited by a single-use link)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from portal.accounts import suppliers as supplier_cases
from portal.accounts.models import Supplier, SupplierStatus, User
from portal.core.errors import DomainError
from portal.core.links import public_url
from portal.core.mail import send_mail
from portal.core.roles import can_manage_suppliers
from portal.extensions import db
from portal.web import uow
from portal.web.forms import FlaskForm, apply_domain_error, choices, nfkc
from portal.web.guards import requires
from portal.web.staff.labels import SUPPLIER_STATUS_LABELS


class SupplierForm(FlaskForm):
    code = StringField(
        _l("事業者コード"), filters=[nfkc], validators=[DataRequired(), Length(max=20)]
    )
    name = StringField(_l("事業者名"), validators=[DataRequired(), Length(max=200)])
    name_kana = StringField(_l("事業者名（フリガナ）"), validators=[Optional(), Length(max=200)])
    representative = StringField(_l("代表者"), validators=[Optional(), Length(max=100)])
    postal_code = StringField(
        _l("郵便番号"),
        filters=[nfkc],
        validators=[
            Optional(),
            Regexp(
                r"^\d{3}-?\d{4}$",
                message=_l("郵便番号は7桁の数字で入力してください（例：727-0011）。"),
            ),
        ],
    )
    address = StringField(_l("住所"), validators=[Optional(), Length(max=300)])
    phone = StringField(_l("電話番号"), filters=[nfkc], validators=[Optional(), Length(max=20)])
    email = EmailField(_l("メールアドレス"), validators=[Optional(), Email(), Length(max=254)])
    bank_name = StringField(_l("金融機関名"), validators=[Optional(), Length(max=100)])
    bank_branch = StringField(_l("支店名"), validators=[Optional(), Length(max=100)])
    bank_account_type = SelectField(
        _l("口座種別"), choices=choices([("普通", _l("普通")), ("当座", _l("当座"))])
    )
    bank_account_number = StringField(
        _l("口座番号"),
        filters=[nfkc],
        validators=[Optional(), Regexp(r"^\d{7}$", message=_l("口座番号は7桁の数字です。"))],
    )
    bank_account_holder = StringField(
        _l("口座名義（カナ）"), validators=[Optional(), Length(max=100)]
    )
    status = SelectField(
        _l("状態"), choices=choices([(k.value, v) for k, v in SUPPLIER_STATUS_LABELS.items()])
    )

    def to_data(self) -> supplier_cases.SupplierData:
        values = {
            name: (getattr(self, name).data or "")
            for name in supplier_cases.SupplierData.__dataclass_fields__
        }
        values["status"] = SupplierStatus(self.status.data)
        return supplier_cases.SupplierData(**values)


class InviteForm(FlaskForm):
    name = StringField(_l("氏名"), validators=[DataRequired(), Length(max=100)])
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(), Email(), Length(max=254)])


def suppliers() -> str:
    q = request.args.get("q", "").strip()
    stmt = sa.select(Supplier).order_by(Supplier.code)
    if q:
        stmt = stmt.where(sa.or_(Supplier.name.ilike(f"%{q}%"), Supplier.code.ilike(f"%{q}%")))
    return render_template(
        "staff/suppliers.html",
        suppliers=db.session.scalars(stmt).all(),
        q=q,
        statuses=SUPPLIER_STATUS_LABELS,
        can_manage=can_manage_suppliers(current_user),
    )


def _save(form: SupplierForm, supplier: Supplier | None) -> Response | None:
    if not form.validate_on_submit():
        return None
    try:
        saved = supplier_cases.save_supplier(
            db.session, form.to_data(), by_user=current_user, supplier=supplier
        )
    except DomainError as e:
        apply_domain_error(form, e)
        return None
    flash(_("事業者「%(name)s」を保存しました。", name=saved.name), "success")
    return redirect(url_for("staff.supplier_detail", supplier_id=saved.id), 303)


@requires(can_manage_suppliers)
def supplier_new() -> Response | str:
    form = SupplierForm()
    return _save(form, None) or render_template(
        "staff/supplier_form.html", form=form, supplier=None
    )


@requires(can_manage_suppliers)
def supplier_edit(supplier_id: int) -> Response | str:
    supplier = db.get_or_404(Supplier, supplier_id)
    form = SupplierForm(obj=supplier)
    if request.method == "GET":
        form.status.data = supplier.status.value
    return _save(form, supplier) or render_template(
        "staff/supplier_form.html", form=form, supplier=supplier
    )


def _detail_page(supplier: Supplier, invite_form: InviteForm) -> str:
    users = db.session.scalars(
        sa.select(User).where(User.supplier_id == supplier.id).order_by(User.email)
    ).all()
    return render_template(
        "staff/supplier_detail.html",
        supplier=supplier,
        users=users,
        statuses=SUPPLIER_STATUS_LABELS,
        invite_form=invite_form,
        can_manage=can_manage_suppliers(current_user),
    )


def supplier_detail(supplier_id: int) -> str:
    return _detail_page(db.get_or_404(Supplier, supplier_id), InviteForm())


@requires(can_manage_suppliers)
def supplier_invite(supplier_id: int) -> Response | str:
    supplier = db.get_or_404(Supplier, supplier_id)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user, token = supplier_cases.invite_supplier_user(
                db.session,
                supplier,
                form.email.data or "",
                form.name.data or "",
                by_user=current_user,
                hours=current_app.config["INVITATION_HOURS"],
            )
        except DomainError as e:
            apply_domain_error(form, e)
        else:
            link = public_url("auth.invitation", token=token)
            mail = (
                user.email,
                _(
                    "【%(city)sふるさと納税】事業者ポータルへの招待",
                    city=current_app.config["CITY_NAME"],
                ),
                render_template(
                    "mail/invitation.txt",
                    user=user,
                    supplier=supplier,
                    link=link,
                    hours=current_app.config["INVITATION_HOURS"],
                ),
            )
            uow.after_commit(lambda: send_mail(*mail))
            flash(
                _("%(email)s に招待メールを送りました（72時間有効）。", email=user.email), "success"
            )
            return redirect(url_for("staff.supplier_detail", supplier_id=supplier.id), 303)
    return _detail_page(supplier, form)
