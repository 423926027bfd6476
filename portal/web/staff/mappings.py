"""Staff: import mappings (取込形式の対応表) — fix a portal's mapping without a release.

The page edits the fields staff actually need as a form (header names per field, 使途 wording,
choice wording, payment status wording, 楽天's 項目名), reads an uploaded sample through the
edited mapping before anything is saved (which columns match which field, the first rows as
they would be imported, and the errors), and lists every saved version with what changed.
An "advanced" JSON editor saves the whole mapping, validated against the same schema.
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import FileField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from portal.core.audit import audit
from portal.core.errors import DomainError
from portal.core.portals import Portal
from portal.core.roles import can_edit_import_mappings
from portal.donations.importers import PORTALS, stored
from portal.donations.models import PaymentMethod
from portal.extensions import db
from portal.gifts.models import Gift
from portal.web.forms import FlaskForm, apply_domain_error, choices, flash_domain_error
from portal.web.guards import requires
from portal.web.htmx import redirect, render
from portal.web.labels import PORTAL_LABELS

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
SAMPLE_ROWS = 20
ENCODINGS = (("cp932", "Shift_JIS (CP932)"), ("utf-8", "UTF-8"))
METHOD_LABELS = {
    PaymentMethod.CARD: _l("クレジットカード等（申込日に入金）"),
    PaymentMethod.BANK: _l("銀行振込"),
    PaymentMethod.POSTAL: _l("郵便振替"),
    PaymentMethod.CASH_REGISTERED: _l("現金書留"),
    PaymentMethod.PAYMENT_SLIP: _l("納付書"),
    PaymentMethod.OTHER: _l("その他（コンビニ払いなど）"),
}
KIND_LABELS = {
    stored.EditKind.EDIT: _l("編集"),
    stored.EditKind.JSON: _l("編集（JSON）"),
    stored.EditKind.REVERT: _l("既定に戻す"),
    stored.EditKind.RESTORE: _l("以前の版を復元"),
}


class _MappingFormBase(FlaskForm):
    version = HiddenField()
    sample_token = HiddenField()
    encoding = SelectField(_l("文字コード"), choices=choices(ENCODINGS))
    purposes = TextAreaField(_l("使途の表記 → 使途"))
    flags_yes = TextAreaField(_l("「はい」と読む表記"))
    flags_no = TextAreaField(_l("「いいえ」と読む表記"))
    state_paid = TextAreaField(_l("入金済と読む表記"))
    state_unpaid = TextAreaField(_l("未入金と読む表記"))
    state_cancelled = TextAreaField(_l("キャンセル（未発送なら寄附を取消）と読む表記"))
    date_formats = TextAreaField(_l("日付の形式"))
    note = StringField(_l("変更の理由（任意）"), validators=[Optional(), Length(max=300)])
    sample = FileField(_l("サンプルCSV"))


def _form_class() -> type[FlaskForm]:
    attrs: dict[str, Any] = {}
    for fld in stored.FIELDS:
        attrs[f"col_{fld}"] = TextAreaField(stored.FIELD_LABELS[fld])
    for fld in stored.OPTION_FIELDS:
        attrs[f"opt_{fld}"] = TextAreaField(stored.FIELD_LABELS[fld])
    for method in PaymentMethod:
        attrs[f"pm_{method.value}"] = TextAreaField(METHOD_LABELS[method])
    return type("MappingForm", (_MappingFormBase,), attrs)


MappingForm = _form_class()


class JsonForm(FlaskForm):
    version = HiddenField()
    raw = TextAreaField(_l("対応表（JSON）"))
    note = StringField(_l("変更の理由（任意）"), validators=[Optional(), Length(max=300)])


class VersionForm(FlaskForm):
    version = HiddenField()
    restore = HiddenField()


# --- form ↔ mapping ----------------------------------------------------------------------


def _lines(text: str | None) -> list[str]:
    return [ln.strip() for ln in (text or "").splitlines() if ln.strip()]


def _fill(form: Any, raw: dict[str, Any]) -> None:
    """Put a raw mapping into the form's fields."""
    form.encoding.data = raw.get("encoding", "utf-8")
    by_field: dict[str, list[str]] = {}
    for header, fld in raw.get("columns", {}).items():
        by_field.setdefault(fld, []).append(header)
    for fld in stored.FIELDS:
        form[f"col_{fld}"].data = "\n".join(by_field.get(fld, []))
    by_option: dict[str, list[str]] = {}
    for name, fld in raw.get("options", {}).items():
        by_option.setdefault(fld, []).append(name)
    for fld in stored.OPTION_FIELDS:
        form[f"opt_{fld}"].data = "\n".join(by_option.get(fld, []))
    methods: dict[str, list[str]] = {}
    for wording, method in raw.get("payment_methods", {}).items():
        methods.setdefault(method, []).append(wording)
    for method in PaymentMethod:
        form[f"pm_{method.value}"].data = "\n".join(methods.get(method.value, []))
    form.purposes.data = "\n".join(f"{k} = {v}" for k, v in raw.get("purposes", {}).items())
    flags = raw.get("flags", {})
    form.flags_yes.data = "\n".join(k for k, v in flags.items() if v is True)
    form.flags_no.data = "\n".join(k for k, v in flags.items() if v is False)
    states = raw.get("payment_states", {})
    form.state_paid.data = "\n".join(k for k, v in states.items() if v == "paid")
    form.state_unpaid.data = "\n".join(k for k, v in states.items() if v == "unpaid")
    form.state_cancelled.data = "\n".join(raw.get("cancelled_states", []))
    form.date_formats.data = "\n".join(raw.get("date_formats", []))


class FormProblem(DomainError):
    pass


def _read(form: Any, base: dict[str, Any]) -> dict[str, Any]:
    """The raw mapping the form describes; what the form does not show (joins) is kept from
    the version it was opened on. A wording listed twice is refused at its field."""
    shown_keys = set(stored.KEYS) - {"joins", "disaster_relief_words"}  # kept as they were
    raw = {k: v for k, v in base.items() if k not in shown_keys}
    raw["encoding"] = form.encoding.data
    columns: dict[str, str] = {}
    for fld in stored.FIELDS:
        for header in _lines(form[f"col_{fld}"].data):
            if header in columns and columns[header] != fld:
                raise FormProblem(
                    _l(
                        "見出し「%(header)s」が「%(a)s」と「%(b)s」の両方にあります。",
                        header=header,
                        a=stored.field_label(columns[header]),
                        b=stored.field_label(fld),
                    ),
                    field=f"col_{fld}",
                )
            columns[header] = fld
    raw["columns"] = columns

    def keep(key: str, value: Any) -> None:
        if value or key in base:
            raw[key] = value

    options: dict[str, str] = {}
    for fld in stored.OPTION_FIELDS:
        for name in _lines(form[f"opt_{fld}"].data):
            options[name] = fld
    keep("options", options)
    methods: dict[str, str] = {}
    for method in PaymentMethod:
        for wording in _lines(form[f"pm_{method.value}"].data):
            methods[wording] = method.value
    raw["payment_methods"] = methods
    purposes: dict[str, str] = {}
    for number, line in enumerate(_lines(form.purposes.data), start=1):
        wording, sep, purpose = _split(line)
        if not sep or not wording.strip() or not purpose.strip():
            raise FormProblem(
                _l(
                    "%(n)s行目「%(line)s」は「表記 = 使途」の形にしてください。",
                    n=number,
                    line=line,
                ),
                field="purposes",
            )
        purposes[wording.strip()] = purpose.strip()
    keep("purposes", purposes)
    flags: dict[str, bool] = {}
    for value, field in ((True, "flags_yes"), (False, "flags_no")):
        for wording in _lines(form[field].data):
            if wording in flags and flags[wording] != value:
                raise FormProblem(
                    _l("「%(wording)s」が「はい」と「いいえ」の両方にあります。", wording=wording),
                    field="flags_no",
                )
            flags[wording] = value
    keep("flags", flags)
    states: dict[str, str] = {}
    for value, field in (("paid", "state_paid"), ("unpaid", "state_unpaid")):
        for wording in _lines(form[field].data):
            if wording in states and states[wording] != value:
                raise FormProblem(
                    _l("「%(wording)s」が入金済と未入金の両方にあります。", wording=wording),
                    field="state_unpaid",
                )
            states[wording] = value
    keep("payment_states", states)
    keep("cancelled_states", _lines(form.state_cancelled.data))
    raw["date_formats"] = _lines(form.date_formats.data)
    return raw


def _split(line: str) -> tuple[str, str, str]:
    """「表記 = 使途」 (also ＝ or →)."""
    for sep in ("=", "＝", "→"):
        if sep in line:
            return line.partition(sep)
    return line, "", ""


# --- the sample --------------------------------------------------------------------------


def _sample_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "mapping-samples"


def _sample_path(token: str) -> Path | None:
    if not TOKEN_RE.match(token or ""):
        return None
    path = _sample_dir() / f"{token}.csv"
    return path if path.is_file() else None


def _take_sample(form: Any) -> bytes | None:
    """The uploaded sample (kept under a random token, so a second preview or the save need
    not upload it again), else the one uploaded earlier on this page."""
    upload = request.files.get(form.sample.name)
    if upload is not None and upload.filename:
        token = secrets.token_urlsafe(32)
        _sample_dir().mkdir(parents=True, exist_ok=True)
        upload.save(_sample_dir() / f"{token}.csv")
        form.sample_token.data = token
    path = _sample_path(form.sample_token.data or "")
    return path.read_bytes() if path is not None else None


# --- views -------------------------------------------------------------------------------


def _portal(portal: str) -> str:
    if portal not in PORTALS:
        abort(404)
    return portal


@requires(can_edit_import_mappings, methods=["POST"])
def import_mappings() -> str:
    """Every portal's mapping: which version is in effect, who saved it and when."""
    rows = []
    for portal in PORTALS:
        rows.append((portal, stored.latest(db.session, portal)))
    return render("staff/mappings.html", rows=rows, portals=PORTAL_LABELS)


@requires(can_edit_import_mappings, methods=["POST"])
def import_mapping(portal: str) -> Response | str:
    portal = _portal(portal)
    version, data = stored.current(db.session, portal)
    form = MappingForm()
    preview = None
    if request.method == "GET":
        _fill(form, data)
        form.version.data = str(version)
    elif form.validate_on_submit():
        action = request.form.get("action", "preview")
        try:
            raw = _read(form, data)
            if action == "save":
                row = stored.save(
                    db.session,
                    portal,
                    raw,
                    based_on=_int(form.version.data),
                    by_user=current_user,
                    note=form.note.data or "",
                )
                if row is None:
                    flash(_("変更はありません。"), "info")
                else:
                    flash(_("対応表を保存しました（版 %(v)s）。", v=row.version), "success")
                return redirect(url_for("staff.import_mapping", portal=portal))
            mapping = stored.build(portal, stored.validate(portal, raw))
            preview = _preview(form, portal, mapping)
        except stored.MappingInvalid as err:
            apply_domain_error(form, err)
            form.form_errors[:] = [*form.form_errors[:-1], *(str(p) for p in err.problems)]
        except DomainError as err:
            apply_domain_error(form, err)
    return _page(portal, form, version, data, preview)


def _preview(form: Any, portal: str, mapping: Any) -> stored.SamplePreview | None:
    sample = _take_sample(form)
    if sample is None:
        form.sample.errors = [_("確認するサンプルCSVを選んでください。")]
        return None
    codes = set(db.session.scalars(sa.select(Gift.code)))
    preview = stored.preview_sample(mapping, sample, known_codes=codes, limit=SAMPLE_ROWS)
    if preview.rows:  # donors' names and amounts are on the page: a view of personal data
        audit(
            db.session,
            actor=current_user,
            action="view",
            subject_type="import_sample",
            subject_id=portal,
            detail=f"mapping preview rows={len(preview.rows)}",
            ip=request.remote_addr or "",
        )
    return preview


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        abort(400)


def _page(
    portal: str,
    form: Any,
    version: int,
    data: dict[str, Any],
    preview: stored.SamplePreview | None,
    json_form: JsonForm | None = None,
) -> str:
    if json_form is None:
        json_form = JsonForm(formdata=None)
        json_form.raw.data = json.dumps(data, ensure_ascii=False, indent=2)
        json_form.version.data = str(version)
    history = stored.history(db.session, portal)
    sample_cols: dict[str, list[str]] = {}  # field → the sample's columns that feed it
    for header, fld in preview.columns if preview else []:
        if fld:
            sample_cols.setdefault(fld, []).append(header)
    for name, fld in preview.option_names if preview else []:
        if fld:
            sample_cols.setdefault(fld, []).append(_("「項目・選択肢」の%(name)s", name=name))
    return render(
        "staff/mapping_edit.html",
        portal=portal,
        portals=PORTAL_LABELS,
        form=form,
        json_form=json_form,
        version=version,
        is_default=data == stored.default_data(portal),
        comment=stored.default_comment(portal),
        preview=preview,
        sample_cols=sample_cols,
        history=history,
        field_labels=stored.FIELD_LABELS,
        section_labels=stored.SECTION_LABELS,
        kind_labels=KIND_LABELS,
        method_labels={m.value: v for m, v in METHOD_LABELS.items()},
        fields=stored.FIELDS,
        option_fields=stored.OPTION_FIELDS,
        methods=list(PaymentMethod),
        has_options=portal == Portal.RAKUTEN.value or bool(data.get("options")),
    )


@requires(can_edit_import_mappings)
def import_mapping_json(portal: str) -> Response | str:
    """The advanced editor: the whole mapping as JSON, validated like the form."""
    portal = _portal(portal)
    version, data = stored.current(db.session, portal)
    json_form = JsonForm()
    if json_form.validate_on_submit():
        try:
            try:
                raw = json.loads(json_form.raw.data or "")
            except json.JSONDecodeError as exc:
                raise stored.MappingInvalid(
                    [
                        _l(
                            "JSONとして読めません（%(line)s行目 %(col)s文字目）。",
                            line=exc.lineno,
                            col=exc.colno,
                        )
                    ]
                ) from None
            row = stored.save(
                db.session,
                portal,
                raw,
                based_on=_int(json_form.version.data),
                by_user=current_user,
                kind=stored.EditKind.JSON,
                note=json_form.note.data or "",
            )
            if row is None:
                flash(_("変更はありません。"), "info")
            else:
                flash(_("対応表を保存しました（版 %(v)s）。", v=row.version), "success")
            return redirect(url_for("staff.import_mapping", portal=portal))
        except stored.MappingInvalid as err:
            apply_domain_error(json_form, err)
            json_form.raw.errors = [str(p) for p in err.problems]
            json_form.form_errors.clear()
        except DomainError as err:
            apply_domain_error(json_form, err)
    form = MappingForm(formdata=None)
    _fill(form, data)
    form.version.data = str(version)
    return _page(portal, form, version, data, None, json_form=json_form)


@requires(can_edit_import_mappings)
def import_mapping_restore(portal: str) -> Response:
    """Revert to the shipped default (restore=0) or restore version N: a new version."""
    portal = _portal(portal)
    form = VersionForm()
    if form.validate_on_submit():
        number = _int(form.restore.data)
        try:
            row = stored.restore_version(
                db.session, portal, number, based_on=_int(form.version.data), by_user=current_user
            )
            if row is None:
                flash(_("変更はありません。"), "info")
            elif number == 0:
                flash(_("既定の対応表に戻しました（版 %(v)s）。", v=row.version), "success")
            else:
                flash(
                    _("版 %(n)s を復元しました（版 %(v)s）。", n=number, v=row.version), "success"
                )
        except DomainError as err:
            flash_domain_error(err)
    return redirect(url_for("staff.import_mapping", portal=portal))
