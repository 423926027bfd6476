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
from portal.web.forms import FlaskForm, apply_domain_error, choices, flash_domain_error, nfkc
from portal.web.htmx import redirect, render
from portal.web.labels import (
    CRITERION_LABELS,
    PROPOSAL_FIELD_LABELS,
    PROPOSAL_STATE_CLASS,
    PROPOSAL_STATE_LABELS,
    SHARED_KIND_LABELS,
)

ROWS = 5

DETAIL_FIELDS = (
    "production_place",
    "processing_place",
    "mixing_reason",
    "qualifying_value_share",
    "operator_in_prefecture",
    "brand_outside_prefecture",
    "price_per_person_night",
    "lodging_cost_per_person_night",
    "disaster_designation",
    "value_added",
    "area_relevance",
    "shared_kind",
    "set_components",
    "disaster_name",
    "original_item",
    "voucher_scope",
)
YES_NO = ("operator_in_prefecture", "brand_outside_prefecture")


class ProposalForm(FlaskForm):
    criterion = SelectField(
        PROPOSAL_FIELD_LABELS["criterion"],
        choices=choices([("", _l("選んでください")), *CRITERION_LABELS.items()]),
    )
    name = StringField(PROPOSAL_FIELD_LABELS["name"], validators=[Optional(), Length(max=200)])
    description = TextAreaField(PROPOSAL_FIELD_LABELS["description"], validators=[Length(max=5000)])
    contents = TextAreaField(PROPOSAL_FIELD_LABELS["contents"], validators=[Length(max=2000)])
    allergens = StringField(PROPOSAL_FIELD_LABELS["allergens"], validators=[Length(max=300)])
    best_before = StringField(PROPOSAL_FIELD_LABELS["best_before"], validators=[Length(max=100)])
    temperature = SelectField(
        PROPOSAL_FIELD_LABELS["temperature"],
        choices=choices(
            [("", _l("選んでください")), *((k.value, v) for k, v in TEMPERATURE_LABELS.items())]
        ),
    )
    size = SelectField(
        PROPOSAL_FIELD_LABELS["size"],
        coerce=int,
        choices=choices([(s, f"{s}") for s in GIFT_SIZES]),
    )
    required_amount = IntegerField(
        PROPOSAL_FIELD_LABELS["required_amount"],
        filters=[nfkc],
        validators=[Optional(), NumberRange(1)],
    )
    procurement_cost = IntegerField(
        PROPOSAL_FIELD_LABELS["procurement_cost"],
        filters=[nfkc],
        validators=[Optional(), NumberRange(0)],
    )
    shipping_fee = IntegerField(
        PROPOSAL_FIELD_LABELS["shipping_fee"],
        filters=[nfkc],
        validators=[Optional(), NumberRange(0)],
    )
    capacity_per_month = IntegerField(
        PROPOSAL_FIELD_LABELS["capacity_per_month"],
        filters=[nfkc],
        validators=[Optional(), NumberRange(0)],
    )
    season_from = DateField(PROPOSAL_FIELD_LABELS["season_from"], validators=[Optional()])
    season_until = DateField(PROPOSAL_FIELD_LABELS["season_until"], validators=[Optional()])
    service_place = StringField(
        PROPOSAL_FIELD_LABELS["service_place"], validators=[Length(max=300)]
    )
    production_place = StringField(
        PROPOSAL_FIELD_LABELS["production_place"], validators=[Length(max=300)]
    )
    processing_place = StringField(
        PROPOSAL_FIELD_LABELS["processing_place"], validators=[Length(max=300)]
    )
    mixing_reason = TextAreaField(
        PROPOSAL_FIELD_LABELS["mixing_reason"], validators=[Length(max=2000)]
    )
    qualifying_value_share = IntegerField(
        PROPOSAL_FIELD_LABELS["qualifying_value_share"],
        filters=[nfkc],
        validators=[Optional(), NumberRange(0, 100)],
    )
    operator_in_prefecture = SelectField(
        PROPOSAL_FIELD_LABELS["operator_in_prefecture"],
        choices=choices([("", _l("選んでください")), ("yes", _l("はい")), ("no", _l("いいえ"))]),
        default="",
    )
    brand_outside_prefecture = SelectField(
        PROPOSAL_FIELD_LABELS["brand_outside_prefecture"],
        choices=choices([("", _l("選んでください")), ("yes", _l("はい")), ("no", _l("いいえ"))]),
        default="",
    )
    price_per_person_night = IntegerField(
        PROPOSAL_FIELD_LABELS["price_per_person_night"],
        filters=[nfkc],
        validators=[Optional(), NumberRange(0)],
    )
    lodging_cost_per_person_night = IntegerField(
        PROPOSAL_FIELD_LABELS["lodging_cost_per_person_night"],
        filters=[nfkc],
        validators=[Optional(), NumberRange(0)],
    )
    disaster_designation = TextAreaField(
        PROPOSAL_FIELD_LABELS["disaster_designation"], validators=[Length(max=1000)]
    )
    value_added = TextAreaField(PROPOSAL_FIELD_LABELS["value_added"], validators=[Length(max=2000)])
    area_relevance = TextAreaField(
        PROPOSAL_FIELD_LABELS["area_relevance"], validators=[Length(max=2000)]
    )
    shared_kind = SelectField(
        PROPOSAL_FIELD_LABELS["shared_kind"],
        choices=choices([("", _l("選んでください")), *SHARED_KIND_LABELS.items()]),
        default="",
    )
    set_components = TextAreaField(
        PROPOSAL_FIELD_LABELS["set_components"], validators=[Length(max=2000)]
    )
    disaster_name = StringField(
        PROPOSAL_FIELD_LABELS["disaster_name"], validators=[Length(max=200)]
    )
    original_item = StringField(
        PROPOSAL_FIELD_LABELS["original_item"], validators=[Length(max=200)]
    )
    voucher_scope = TextAreaField(
        PROPOSAL_FIELD_LABELS["voucher_scope"], validators=[Length(max=2000)]
    )


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
        if name in YES_NO:
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
        "temperature": form.temperature.data or "",
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
    form.temperature.data = p.temperature.value if p.temperature else ""
    for name in DETAIL_FIELDS:
        value = (p.origin_details or {}).get(name)
        if name in YES_NO:
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
        "labels": PROPOSAL_FIELD_LABELS,
        "state_labels": PROPOSAL_STATE_LABELS,
        "events": events_for(db.session, uc.SUBJECT, p.id) if p else [],
        "editable": p is None or p.state in EDITABLE_STATES,
    }


def _domain_values(form: ProposalForm, materials: list, steps: list) -> dict[str, Any]:
    values = form_values(form, MultiDict())
    values["materials"], values["steps"] = materials, steps
    values["temperature"] = (
        TemperatureBand(values["temperature"]) if values["temperature"] else None
    )
    values["size"] = int(values["size"])
    return values


def proposals() -> str:
    rows = db.session.scalars(
        sa.select(Proposal)
        .where(Proposal.supplier_id == current_user.supplier_id)
        .order_by(Proposal.updated_at.desc())
    ).all()
    return render(
        "supplier/proposals.html",
        proposals=[(p, last_comment(p)) for p in rows],
        state_labels=PROPOSAL_STATE_LABELS,
        state_class=PROPOSAL_STATE_CLASS,
        criterion_labels=CRITERION_LABELS,
    )


def proposal_new() -> Response | str:
    form = ProposalForm()
    if request.method == "GET":
        form.criterion.data = request.args.get("criterion", "")
    if request.method == "POST" and not _switching_criterion() and form.validate():
        values = form_values(form, request.form)
        try:
            p = uc.create_draft(db.session, values, by_user=current_user)
        except DomainError as err:
            apply_domain_error(form, err)
        else:
            flash(_("下書きを保存しました。"), "success")
            return redirect(url_for("supplier.proposal_detail", proposal_id=p.id))
    materials = _rows(request.form, "materials", ("material", "origin"))
    steps = _rows(request.form, "steps", ("step", "place"))
    return render("supplier/proposal_form.html", **_ctx(form, None, materials, steps))


def _switching_criterion() -> bool:
    """「この基準で入力する」 without JavaScript: draw the form for the new criterion again
    with everything typed so far, and save nothing."""
    return request.form.get("action") == "criterion"


def proposal_check() -> str:
    """Live checks while typing (htmx): nothing is saved, the findings are redrawn — or, with
    ?part=criterion, the part of the form that depends on the chosen criterion."""
    form = ProposalForm()
    form.validate()
    p = None
    if request.form.get("proposal_id", "").isdigit():
        p = _load(int(request.form["proposal_id"]))
    materials = _rows(request.form, "materials", ("material", "origin"))
    steps = _rows(request.form, "steps", ("step", "place"))
    if request.args.get("part") == "criterion":
        for f in form:
            f.errors = []  # a half-filled draft is not wrong yet: no errors while switching
        return render("supplier/_proposal_criterion.html", **_ctx(form, p, materials, steps))
    return render("supplier/_proposal_findings.html", **_ctx(form, p, materials, steps))


def proposal_detail(proposal_id: int) -> Response | str:
    p = _load(proposal_id)
    form = ProposalForm()
    if request.method == "GET":
        fill_form(form, p)
        materials, steps = list(p.materials or []), list(p.steps or [])
    else:
        materials = _rows(request.form, "materials", ("material", "origin"))
        steps = _rows(request.form, "steps", ("step", "place"))
        if not _switching_criterion() and form.validate():
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
        flash(_("ファイルを追加しました。"), "success")
    except DomainError as err:
        flash_domain_error(err)
    return redirect(url_for("supplier.proposal_detail", proposal_id=p.id))
