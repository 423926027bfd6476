"""Supplier side of gift proposals (routes on supplier.bp): list, draft, live checks, files,
submit. Every query goes through proposals.get_for_supplier / own_proposals: a foreign id is 404.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from portal.core.errors import DomainError, NotFound
from portal.core.timeline import events_for
from portal.extensions import db
from portal.gifts import proposals as uc
from portal.gifts.models import GIFT_SIZES, TEMPERATURE_LABELS, TemperatureBand
from portal.gifts.proposal_models import (
    EDITABLE_STATES,
    Proposal,
    ProposalFileKind,
    ProposalState,
)
from portal.web.forms import FlaskForm, apply_domain_error, choices, nfkc
from portal.web.htmx import redirect, render
from portal.web.supplier import bp

ROWS = 5

STATE_LABELS = {
    ProposalState.DRAFT: _l("下書き"),
    ProposalState.SUBMITTED: _l("提出済"),
    ProposalState.UNDER_REVIEW: _l("審査中"),
    ProposalState.CHANGES_REQUESTED: _l("修正依頼"),
    ProposalState.RESUBMITTED: _l("再提出"),
    ProposalState.RECOMMENDED: _l("市の承認待ち"),
    ProposalState.APPROVED: _l("承認"),
    ProposalState.REJECTED: _l("不承認"),
}
# Status classes: text + colour, the alert colour where someone must act.
STATE_CLASS = {
    ProposalState.CHANGES_REQUESTED: "status--alert",
    ProposalState.REJECTED: "status--alert",
}
CRITERION_LABELS = {
    "1": _l("第1号 区域内で生産"),
    "2": _l("第2号 原材料の主要部分が区域内産"),
    "3": _l("第3号 主要な製造・加工が区域内"),
    "3i": _l("第3号イ 熟成肉・精米"),
    "3ro": _l("第3号ロ 企画立案のみ区域内（過半の付加価値）"),
    "4": _l("第4号 近隣産品と混在が避けられないもの"),
    "5": _l("第5号 市の広報のためのグッズ"),
    "6": _l("第6号 セット（地場産品7割以上）"),
    "7": _l("第7号 区域内で提供するサービス"),
    "7-2": _l("第7号の2・3 宿泊"),
    "7-4": _l("第7号の4 区域内で発電した電気"),
    "8": _l("第8号 共通返礼品"),
    "9": _l("第9号 災害時の代替品"),
    "voucher": _l("商品券・クーポン（地場産品のみ交換可）"),
}
FIELD_LABELS = {
    "name": _l("返礼品名"),
    "description": _l("説明"),
    "contents": _l("内容量"),
    "allergens": _l("アレルギー"),
    "best_before": _l("賞味期限"),
    "temperature": _l("温度帯"),
    "size": _l("サイズ"),
    "required_amount": _l("必要寄附額（円）"),
    "procurement_cost": _l("調達費用（円・税込）"),
    "shipping_fee": _l("送料（円）"),
    "capacity_per_month": _l("月あたりの提供可能数"),
    "season_from": _l("発送開始日（季節の返礼品）"),
    "season_until": _l("発送終了日"),
    "criterion": _l("該当する地場産品基準"),
    "materials": _l("原材料"),
    "steps": _l("製造・加工の工程"),
    "service_place": _l("サービスの提供場所"),
    "origin_details": _l("号ごとの情報"),
    "production_place": _l("生産地（住所）"),
    "processing_place": _l("加工地"),
    "mixing_reason": _l("混在が避けられない理由"),
    "qualifying_value_share": _l("地場産品部分の価額割合（%）"),
    "operator_in_prefecture": _l("宿泊事業者は広島県内のみで事業を行っていますか"),
    "price_per_person_night": _l("1人1泊あたりの料金（円）"),
    "disaster_name": _l("災害名"),
    "original_item": _l("本来の返礼品"),
    "voucher_scope": _l("使える品物・サービス"),
    "evidence": _l("証明書類（PDF）"),
    "photo": _l("写真"),
}
DETAIL_FIELDS = (
    "production_place",
    "processing_place",
    "mixing_reason",
    "qualifying_value_share",
    "operator_in_prefecture",
    "price_per_person_night",
    "disaster_name",
    "original_item",
    "voucher_scope",
)


class ProposalForm(FlaskForm):
    criterion = SelectField(
        FIELD_LABELS["criterion"],
        choices=choices([("", _l("選んでください")), *CRITERION_LABELS.items()]),
    )
    name = StringField(FIELD_LABELS["name"], validators=[Optional(), Length(max=200)])
    description = TextAreaField(FIELD_LABELS["description"], validators=[Length(max=5000)])
    contents = TextAreaField(FIELD_LABELS["contents"], validators=[Length(max=2000)])
    allergens = StringField(FIELD_LABELS["allergens"], validators=[Length(max=300)])
    best_before = StringField(FIELD_LABELS["best_before"], validators=[Length(max=100)])
    temperature = SelectField(
        FIELD_LABELS["temperature"],
        choices=choices([(k.value, v) for k, v in TEMPERATURE_LABELS.items()]),
    )
    size = SelectField(
        FIELD_LABELS["size"], coerce=int, choices=choices([(s, f"{s}") for s in GIFT_SIZES])
    )
    required_amount = IntegerField(
        FIELD_LABELS["required_amount"], filters=[nfkc], validators=[Optional(), NumberRange(1)]
    )
    procurement_cost = IntegerField(
        FIELD_LABELS["procurement_cost"], filters=[nfkc], validators=[Optional(), NumberRange(0)]
    )
    shipping_fee = IntegerField(
        FIELD_LABELS["shipping_fee"], filters=[nfkc], validators=[Optional(), NumberRange(0)]
    )
    capacity_per_month = IntegerField(
        FIELD_LABELS["capacity_per_month"], filters=[nfkc], validators=[Optional(), NumberRange(0)]
    )
    season_from = DateField(FIELD_LABELS["season_from"], validators=[Optional()])
    season_until = DateField(FIELD_LABELS["season_until"], validators=[Optional()])
    service_place = StringField(FIELD_LABELS["service_place"], validators=[Length(max=300)])
    production_place = StringField(FIELD_LABELS["production_place"], validators=[Length(max=300)])
    processing_place = StringField(FIELD_LABELS["processing_place"], validators=[Length(max=300)])
    mixing_reason = TextAreaField(FIELD_LABELS["mixing_reason"], validators=[Length(max=2000)])
    qualifying_value_share = IntegerField(
        FIELD_LABELS["qualifying_value_share"],
        filters=[nfkc],
        validators=[Optional(), NumberRange(0, 100)],
    )
    operator_in_prefecture = SelectField(
        FIELD_LABELS["operator_in_prefecture"],
        choices=choices([("", _l("選んでください")), ("yes", _l("はい")), ("no", _l("いいえ"))]),
        default="",
    )
    price_per_person_night = IntegerField(
        FIELD_LABELS["price_per_person_night"],
        filters=[nfkc],
        validators=[Optional(), NumberRange(0)],
    )
    disaster_name = StringField(FIELD_LABELS["disaster_name"], validators=[Length(max=200)])
    original_item = StringField(FIELD_LABELS["original_item"], validators=[Length(max=200)])
    voucher_scope = TextAreaField(FIELD_LABELS["voucher_scope"], validators=[Length(max=2000)])


def _rows(form: MultiDict[str, str], prefix: str, keys: tuple[str, str]) -> list[dict[str, Any]]:
    out = []
    for i in range(ROWS):
        a = form.get(f"{prefix}-{i}-{keys[0]}", "").strip()
        b = form.get(f"{prefix}-{i}-{keys[1]}", "").strip()
        share = nfkc(form.get(f"{prefix}-{i}-share", "")).strip()
        if not (a or b or share):
            continue
        try:
            number: float | None = float(share) if share else None
        except ValueError:
            number = None
        out.append({keys[0]: a, keys[1]: b, "share": number})
    return out


def form_values(form: ProposalForm, raw: MultiDict[str, str]) -> dict[str, Any]:
    """The form as plain values for the domain (only what the chosen 号 asks for is kept)."""
    details: dict[str, Any] = {}
    for name in DETAIL_FIELDS:
        value = getattr(form, name).data
        if name == "operator_in_prefecture":
            value = {"yes": True, "no": False}.get(value or "")
        if value not in (None, ""):
            details[name] = value
    return {
        "criterion": form.criterion.data or "",
        "name": form.name.data or "",
        "description": form.description.data or "",
        "contents": form.contents.data or "",
        "allergens": form.allergens.data or "",
        "best_before": form.best_before.data or "",
        "temperature": form.temperature.data or TemperatureBand.AMBIENT.value,
        "size": form.size.data or 60,
        "required_amount": form.required_amount.data,
        "procurement_cost": form.procurement_cost.data,
        "shipping_fee": form.shipping_fee.data,
        "capacity_per_month": form.capacity_per_month.data,
        "season_from": form.season_from.data,
        "season_until": form.season_until.data,
        "service_place": form.service_place.data or "",
        "materials": _rows(raw, "materials", ("material", "origin")),
        "steps": _rows(raw, "steps", ("step", "place")),
        "origin_details": details,
    }


def fill_form(form: ProposalForm, p: Proposal) -> None:
    for name in [
        "criterion",
        "name",
        "description",
        "contents",
        "allergens",
        "best_before",
        "size",
        "required_amount",
        "procurement_cost",
        "shipping_fee",
        "capacity_per_month",
        "season_from",
        "season_until",
        "service_place",
    ]:
        getattr(form, name).data = getattr(p, name)
    form.temperature.data = p.temperature.value
    for name in DETAIL_FIELDS:
        value = (p.origin_details or {}).get(name)
        if name == "operator_in_prefecture":
            value = {True: "yes", False: "no"}.get(value, "")  # type: ignore[call-overload]
        getattr(form, name).data = value


def needs(criterion: str) -> set[str]:
    crit = uc.criteria().get(criterion)
    return set(crit["required"]) if crit else set()


def last_comment(p: Proposal) -> str:
    for e in reversed(events_for(db.session, uc.SUBJECT, p.id)):
        if e.data.get("comment"):
            return str(e.data["comment"])
    return ""


def _load(proposal_id: int) -> Proposal:
    try:
        return uc.get_for_supplier(db.session, proposal_id, current_user)
    except NotFound:
        abort(404)


def _ctx(form: ProposalForm, p: Proposal | None, materials: list[Any], steps: list[Any]) -> dict:
    has_evidence = bool(p and any(f.kind == ProposalFileKind.EVIDENCE for f in p.files))
    transient = Proposal(**{k: v for k, v in _domain_values(form, materials, steps).items()})
    transient.files = []
    findings = uc.assess(transient, has_evidence=has_evidence)
    return {
        "form": form,
        "proposal": p,
        "needs": needs(form.criterion.data or ""),
        "criterion": uc.criteria().get(form.criterion.data or ""),
        "materials": materials + [{}] * (ROWS - len(materials)),
        "steps": steps + [{}] * (ROWS - len(steps)),
        "findings": findings,
        "labels": FIELD_LABELS,
        "state_labels": STATE_LABELS,
        "events": events_for(db.session, uc.SUBJECT, p.id) if p else [],
        "editable": p is None or p.state in EDITABLE_STATES,
    }


def _domain_values(form: ProposalForm, materials: list, steps: list) -> dict[str, Any]:
    values = form_values(form, MultiDict())
    values["materials"], values["steps"] = materials, steps
    values["temperature"] = TemperatureBand(values["temperature"])
    values["size"] = int(values["size"])
    return values


@bp.get("/proposals")
def proposals() -> str:
    rows = db.session.scalars(
        sa.select(Proposal)
        .where(Proposal.supplier_id == current_user.supplier_id)
        .order_by(Proposal.updated_at.desc())
    ).all()
    return render(
        "supplier/proposals.html",
        proposals=[(p, last_comment(p)) for p in rows],
        state_labels=STATE_LABELS,
        state_class=STATE_CLASS,
        criterion_labels=CRITERION_LABELS,
    )


@bp.route("/proposals/new", methods=["GET", "POST"])
def proposal_new() -> Response | str:
    form = ProposalForm()
    if request.method == "GET":
        form.criterion.data = request.args.get("criterion", "")
    if request.method == "POST" and form.validate():
        values = form_values(form, request.form)
        try:
            p = uc.create_draft(db.session, values, by_user=current_user)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            apply_domain_error(form, err)
        else:
            flash(_("下書きを保存しました。"), "success")
            return redirect(url_for("supplier.proposal_detail", proposal_id=p.id))
    materials = _rows(request.form, "materials", ("material", "origin"))
    steps = _rows(request.form, "steps", ("step", "place"))
    return render("supplier/proposal_form.html", **_ctx(form, None, materials, steps))


@bp.post("/proposals/check")
def proposal_check() -> str:
    """Live checks while typing (htmx): nothing is saved, the findings are redrawn."""
    form = ProposalForm()
    form.validate()
    p = None
    if request.form.get("proposal_id", "").isdigit():
        p = _load(int(request.form["proposal_id"]))
    materials = _rows(request.form, "materials", ("material", "origin"))
    steps = _rows(request.form, "steps", ("step", "place"))
    return render("supplier/_proposal_findings.html", **_ctx(form, p, materials, steps))


@bp.route("/proposals/<int:proposal_id>", methods=["GET", "POST"])
def proposal_detail(proposal_id: int) -> Response | str:
    p = _load(proposal_id)
    form = ProposalForm()
    if request.method == "GET":
        fill_form(form, p)
        materials, steps = list(p.materials or []), list(p.steps or [])
    else:
        materials = _rows(request.form, "materials", ("material", "origin"))
        steps = _rows(request.form, "steps", ("step", "place"))
        if form.validate():
            try:
                uc.update_draft(
                    db.session, p.id, form_values(form, request.form), by_user=current_user
                )
                if request.form.get("action") == "submit":
                    to = (
                        ProposalState.RESUBMITTED
                        if p.state == ProposalState.CHANGES_REQUESTED
                        else ProposalState.SUBMITTED
                    )
                    uc.transition(
                        db.session,
                        p.id,
                        to,
                        by_user=current_user,
                        comment=request.form.get("comment", ""),
                    )
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                p = _load(proposal_id)
                apply_domain_error(form, err)
            else:
                flash(
                    _("提出しました。審査の結果をお待ちください。")
                    if request.form.get("action") == "submit"
                    else _("下書きを保存しました。"),
                    "success",
                )
                return redirect(url_for("supplier.proposal_detail", proposal_id=p.id))
    return render("supplier/proposal_form.html", **_ctx(form, p, materials, steps))


@bp.post("/proposals/<int:proposal_id>/files")
def proposal_upload(proposal_id: int) -> Response:
    p = _load(proposal_id)
    upload = request.files.get("file")
    kind = request.form.get("kind", "photo")
    if upload is None or not upload.filename:
        flash(_("ファイルを選んでください。"), "error")
        return redirect(url_for("supplier.proposal_detail", proposal_id=p.id))
    data = upload.read(uc.EVIDENCE_MAX_BYTES + 1)
    attach = uc.attach_evidence if kind == "evidence" else uc.attach_photo
    try:
        attach(
            db.session,
            p.id,
            data,
            upload.filename,
            upload_dir=current_app.config["UPLOAD_DIR"],
            by_user=current_user,
        )
        db.session.commit()
        flash(_("ファイルを追加しました。"), "success")
    except DomainError as err:
        db.session.rollback()
        flash(str(err.message), "error")
    return redirect(url_for("supplier.proposal_detail", proposal_id=p.id))
