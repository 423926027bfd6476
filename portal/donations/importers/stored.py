"""Mappings staff can fix without a release: a stored, versioned mapping per portal.

The shipped JSON file (mappings/<portal>.json) is version 0, the default. Every save by staff is
a new row with the next version number — an edit, a "revert to the default" or a "restore
version N" alike — so every earlier version is kept, with who saved it, when, and what changed
(`changes`, computed against the version it replaced). The effective mapping of a portal is its
latest stored version, else the default.

A save names the version its form was based on; if someone else saved in between, the save is
refused (`Conflict`) instead of silently overwriting their change. Two saves racing for the same
version number are stopped by the unique (portal, version) index.
"""

from __future__ import annotations

import codecs
import copy
import io
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from portal.core.audit import audit
from portal.core.errors import Conflict, DomainError
from portal.core.models import utcnow
from portal.donations import normalise as norm
from portal.donations.importers.engine import (
    FLAG_FIELDS,
    MAPPING_DIR,
    PORTALS,
    REQUIRED,
    TEXT_FIELDS,
    Mapping,
    Parser,
    RowError,
    _groups,
    header_key,
    open_text,
    read_rows,
)
from portal.donations.models import PaymentMethod, PaymentState
from portal.extensions import Model

if TYPE_CHECKING:
    from portal.accounts.models import User

# Every field a column may feed (the engine's vocabulary), in the order the form shows them.
FIELDS: tuple[str, ...] = (
    *REQUIRED,
    "payment_state",
    "paid_on",
    "settled_on",
    "purpose",
    *FLAG_FIELDS,
    *TEXT_FIELDS,
    "gift_code",
    "gift_code_alt",
    "quantity",
    "desired_date",
    "desired_time",
    "noshi",
    "options",
)
FIELDS = tuple(dict.fromkeys(FIELDS))
# Fields an option line (項目名:選択肢, 楽天's 「項目・選択肢」) may carry.
OPTION_FIELDS: tuple[str, ...] = ("purpose", *FLAG_FIELDS, "message", "project")
FIELD_LABELS: dict[str, Any] = {
    "portal_order_no": _l("ポータルの受付番号"),
    "applied_on": _l("申込日"),
    "payment_method": _l("決済方法"),
    "amount": _l("寄附金額"),
    "donor_name": _l("寄附者氏名"),
    "payment_state": _l("入金状況・ステータス"),
    "paid_on": _l("入金日"),
    "settled_on": _l("確定日（入金日がないとき）"),
    "purpose": _l("使途"),
    "onestop_requested": _l("ワンストップ特例申請"),
    "receipt_wanted": _l("受領証明書の要否"),
    "publish_name": _l("氏名の公表"),
    "disaster_relief": _l("災害支援"),
    "donor_kana": _l("寄附者氏名（カナ）"),
    "postal_code": _l("郵便番号"),
    "address": _l("住所"),
    "phone": _l("電話番号"),
    "email": _l("メールアドレス"),
    "delivery_name": _l("送付先氏名"),
    "delivery_postal_code": _l("送付先郵便番号"),
    "delivery_address": _l("送付先住所"),
    "delivery_phone": _l("送付先電話番号"),
    "mail_name": _l("書類送付先氏名"),
    "mail_postal_code": _l("書類送付先郵便番号"),
    "mail_address": _l("書類送付先住所"),
    "message": _l("メッセージ"),
    "project": _l("プロジェクト"),
    "gift_code": _l("返礼品コード"),
    "gift_code_alt": _l("返礼品コード（予備）"),
    "quantity": _l("数量"),
    "desired_date": _l("配送希望日"),
    "desired_time": _l("配送時間帯"),
    "noshi": _l("のし"),
    "options": _l("項目・選択肢（1つのセルに「項目名:選択肢」）"),
}
SECTION_LABELS: dict[str, Any] = {
    "encoding": _l("文字コード"),
    "columns": _l("見出し"),
    "joins": _l("連結"),
    "payment_methods": _l("決済方法の表記"),
    "payment_states": _l("入金状況の表記"),
    "flags": _l("選択肢の表記（はい・いいえ）"),
    "purposes": _l("使途の表記"),
    "date_formats": _l("日付の形式"),
    "options": _l("項目・選択肢の項目名"),
    "cancelled_states": _l("キャンセルの表記"),
    "disaster_relief_words": _l("災害支援と読む語"),
}


def field_label(fld: str) -> Any:
    return FIELD_LABELS.get(fld, fld)


KEYS = (
    "encoding",
    "columns",
    "joins",
    "payment_methods",
    "payment_states",
    "flags",
    "purposes",
    "date_formats",
    "options",
    "cancelled_states",
    "disaster_relief_words",
)


class EditKind:
    EDIT = "edit"
    REVERT = "revert"
    RESTORE = "restore"
    JSON = "json"


class ImportMapping(Model):
    """One saved version of a portal's mapping (the shipped default is version 0, not stored)."""

    __tablename__ = "import_mapping"

    id: Mapped[int] = mapped_column(primary_key=True)
    portal: Mapped[str] = mapped_column(sa.String(32))
    version: Mapped[int]
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    # What changed against the version it replaced: [{"section", "key", "old", "new"}, …]
    changes: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    kind: Mapped[str] = mapped_column(sa.String(16), default=EditKind.EDIT)
    restored_from: Mapped[int | None]
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    by_user: Mapped[User | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("portal", "version"),)


# --- loading -----------------------------------------------------------------------------


def default_data(portal: str) -> dict[str, Any]:
    """The shipped JSON of a portal, without its comment."""
    _known(portal)
    raw = json.loads((MAPPING_DIR / f"{portal}.json").read_text(encoding="utf-8"))
    raw.pop("_comment", None)
    return raw


def default_comment(portal: str) -> str:
    _known(portal)
    raw = json.loads((MAPPING_DIR / f"{portal}.json").read_text(encoding="utf-8"))
    return str(raw.get("_comment", ""))


def latest(session: Session, portal: str) -> ImportMapping | None:
    return session.scalar(
        sa.select(ImportMapping)
        .where(ImportMapping.portal == portal)
        .order_by(ImportMapping.version.desc())
        .limit(1)
    )


def current(session: Session, portal: str) -> tuple[int, dict[str, Any]]:
    """(version, raw mapping) in effect: the latest stored version, else (0, the default)."""
    row = latest(session, portal)
    if row is None:
        return 0, default_data(portal)
    return row.version, copy.deepcopy(row.data)


def effective_mapping(session: Session, portal: str) -> Mapping:
    """The mapping an import of `portal` uses now; `Mapping.version` says which (0 = default)."""
    version, data = current(session, portal)
    mapping = build(portal, data)
    mapping.version = version
    return mapping


def history(session: Session, portal: str) -> list[ImportMapping]:
    return list(
        session.scalars(
            sa.select(ImportMapping)
            .where(ImportMapping.portal == portal)
            .order_by(ImportMapping.version.desc())
        )
    )


def _known(portal: str) -> None:
    if portal not in PORTALS:
        raise DomainError(_l("取込形式 %(portal)s はありません。", portal=portal), field="portal")


# --- validation --------------------------------------------------------------------------


class MappingInvalid(DomainError):
    """The mapping breaks a rule; `problems` lists every one (translated strings)."""

    def __init__(self, problems: list[Any], *, field: str | None = None) -> None:
        super().__init__(problems[0], field=field)
        self.problems = problems


def _str_dict(raw: dict[str, Any], key: str, problems: list[Any]) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        problems.append(
            _l("「%(key)s」は「表記: 値」の組の一覧にしてください。", key=SECTION_LABELS[key])
        )
        return {}
    if key != "flags" and any(not k.strip() for k in value):  # flags: "" = an empty cell
        problems.append(_l("「%(key)s」に空の表記があります。", key=SECTION_LABELS[key]))
    return value


def validate(portal: str, raw: Any) -> dict[str, Any]:
    """Check a raw mapping against the mapping schema; return it (without a comment) or raise
    MappingInvalid with every problem found, each in words staff can act on."""
    _known(portal)
    if not isinstance(raw, dict):
        raise MappingInvalid([_l("対応表はJSONのオブジェクト（{ … }）にしてください。")])
    raw = {k: v for k, v in raw.items() if k != "_comment"}
    problems: list[Any] = []
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        problems.append(_l("知らない項目「%(key)s」があります。", key="」「".join(unknown)))
    encoding = raw.get("encoding")
    try:
        if not isinstance(encoding, str):
            raise LookupError
        codecs.lookup(encoding)
    except LookupError:
        problems.append(_l("文字コード「%(value)s」は使えません。", value=encoding))
    columns = _str_dict(raw, "columns", problems)
    seen: dict[str, tuple[str, str]] = {}
    for header, fld in columns.items():
        if fld not in FIELDS:
            problems.append(
                _l(
                    "見出し「%(header)s」の項目「%(field)s」はありません。",
                    header=header,
                    field=fld,
                )
            )
            continue
        key = header_key(header)
        if key in seen and seen[key][1] != fld:
            problems.append(
                _l(
                    "見出し「%(a)s」と「%(b)s」は同じ見出しとして読まれますが、別の項目に対応しています。",
                    a=seen[key][0],
                    b=header,
                )
            )
        seen.setdefault(key, (header, fld))
    mapped = set(columns.values())
    options = _str_dict(raw, "options", problems)
    for name, fld in options.items():
        if fld not in OPTION_FIELDS:
            problems.append(
                _l(
                    "項目名「%(name)s」の項目「%(field)s」は選べません。",
                    name=name,
                    field=field_label(fld),
                )
            )
    if options and "options" not in mapped:
        problems.append(_l("項目名を使うには「項目・選択肢」の列の見出しが必要です。"))
    for fld in REQUIRED:
        if fld not in mapped:
            problems.append(
                _l("必須の項目「%(field)s」の見出しがありません。", field=field_label(fld))
            )
    for key, values in (
        ("payment_methods", {m.value for m in PaymentMethod}),
        ("payment_states", {s.value for s in PaymentState}),
    ):
        for wording, value in _str_dict(raw, key, problems).items():
            if value not in values:
                problems.append(
                    _l(
                        "「%(key)s」の「%(wording)s」の値「%(value)s」は使えません。",
                        key=SECTION_LABELS[key],
                        wording=wording,
                        value=value,
                    )
                )
    for wording, value in _str_dict(raw, "flags", problems).items():
        if not isinstance(value, bool):
            problems.append(_l("「%(wording)s」は true か false にしてください。", wording=wording))
    for wording, value in _str_dict(raw, "purposes", problems).items():
        if not isinstance(value, str) or not value.strip():
            problems.append(_l("使途の表記「%(wording)s」の使途が空です。", wording=wording))
    for fld, sep in _str_dict(raw, "joins", problems).items():
        if fld not in FIELDS or not isinstance(sep, str):
            problems.append(_l("連結の指定「%(field)s」は使えません。", field=fld))
    for key in ("date_formats", "cancelled_states", "disaster_relief_words"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            problems.append(
                _l("「%(key)s」は文字列の一覧にしてください。", key=SECTION_LABELS[key])
            )
    formats = raw.get("date_formats", ["%Y/%m/%d"])
    if not formats:
        problems.append(_l("日付の形式を1つ以上指定してください。"))
    elif isinstance(formats, list):
        for fmt in formats:
            if isinstance(fmt, str) and "%" not in fmt:
                problems.append(
                    _l("日付の形式「%(value)s」に %%Y などの指定がありません。", value=fmt)
                )
    states = set(
        raw.get("payment_states", {}) if isinstance(raw.get("payment_states"), dict) else ()
    )
    cancelled = raw.get("cancelled_states", [])
    if isinstance(cancelled, list):
        both = sorted(set(cancelled) & states)
        if both:
            problems.append(
                _l("「%(value)s」が入金状況とキャンセルの両方にあります。", value=both[0])
            )
    if problems:
        raise MappingInvalid(problems)
    return raw


def build(portal: str, raw: dict[str, Any]) -> Mapping:
    return Mapping(portal=portal, **copy.deepcopy(raw))


# --- what changed ------------------------------------------------------------------------


def changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """A readable list of differences: per section, each key added, removed or changed."""
    out: list[dict[str, Any]] = []
    for section in KEYS:
        a, b = old.get(section), new.get(section)
        if a == b:
            continue
        if isinstance(a, dict | type(None)) and isinstance(b, dict | type(None)) and (a or b):
            a, b = a or {}, b or {}
            for key in [*a, *(k for k in b if k not in a)]:
                if a.get(key) != b.get(key):
                    out.append(
                        {"section": section, "key": key, "old": a.get(key), "new": b.get(key)}
                    )
        elif isinstance(a, list | type(None)) and isinstance(b, list | type(None)):
            a, b = a or [], b or []
            for item in a:
                if item not in b:
                    out.append({"section": section, "key": item, "old": item, "new": None})
            for item in b:
                if item not in a:
                    out.append({"section": section, "key": item, "old": None, "new": item})
        else:
            out.append({"section": section, "key": "", "old": a, "new": b})
    return out


# --- saving ------------------------------------------------------------------------------


def save(
    session: Session,
    portal: str,
    raw: Any,
    *,
    based_on: int,
    by_user: User | None,
    kind: str = EditKind.EDIT,
    restored_from: int | None = None,
    note: str = "",
) -> ImportMapping | None:
    """Store `raw` as the next version of the portal's mapping. `based_on` is the version the
    form was loaded from: if another save came first, Conflict. Nothing changed: None."""
    data = validate(portal, raw)
    version, before = current(session, portal)
    if based_on != version:
        raise _stale(version)
    diff = changes(before, data)
    if not diff:  # nothing to store (an edit that changed nothing, a revert to what is in effect)
        return None
    row = ImportMapping(
        portal=portal,
        version=version + 1,
        data=data,
        changes=diff,
        kind=kind,
        restored_from=restored_from,
        note=note.strip()[:300],
        by_user_id=by_user.id if by_user is not None else None,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except sa.exc.IntegrityError:
        raise _stale(version + 1) from None
    audit(
        session,
        actor=by_user,
        action="update",
        subject_type="import_mapping",
        subject_id=f"{portal}:{row.version}",
        detail=f"{kind} changes={len(diff)}",
    )
    return row


def _stale(version: int) -> Conflict:
    return Conflict(
        _l(
            "この対応表は、開いている間に別の人が保存しました（現在は版 %(version)s）。"
            "ページを開き直し、最新の内容に変更をやり直してください。",
            version=version,
        )
    )


def revert_to_default(
    session: Session, portal: str, *, based_on: int, by_user: User | None
) -> ImportMapping | None:
    return save(
        session,
        portal,
        default_data(portal),
        based_on=based_on,
        by_user=by_user,
        kind=EditKind.REVERT,
    )


def restore_version(
    session: Session, portal: str, number: int, *, based_on: int, by_user: User | None
) -> ImportMapping | None:
    if number == 0:
        return revert_to_default(session, portal, based_on=based_on, by_user=by_user)
    row = session.scalar(
        sa.select(ImportMapping).where(
            ImportMapping.portal == portal, ImportMapping.version == number
        )
    )
    if row is None:
        raise DomainError(_l("版 %(version)s はありません。", version=number))
    return save(
        session,
        portal,
        row.data,
        based_on=based_on,
        by_user=by_user,
        kind=EditKind.RESTORE,
        restored_from=number,
    )


# --- a sample through a mapping ----------------------------------------------------------


@dataclass
class SampleRow:
    line: int
    order_no: str = ""
    name: str = ""
    amount: int | None = None
    purpose: str = ""
    purpose_raw: str = ""
    onestop: bool | None = None
    paid: bool | None = None
    cancelled: bool = False
    gifts: list[str] = field(default_factory=list)
    error: Any = None


@dataclass
class SamplePreview:
    columns: list[tuple[str, str | None]] = field(default_factory=list)  # (header, field)
    missing: list[str] = field(default_factory=list)  # required fields without a column
    error: Any = None  # the file could not be read / the header is refused
    rows: list[SampleRow] = field(default_factory=list)
    option_names: list[tuple[str, str | None]] = field(default_factory=list)  # (項目名, field)
    total_rows: int = 0

    @property
    def matched(self) -> int:
        return sum(1 for _, f in self.columns if f)


def preview_sample(
    mapping: Mapping, data: bytes, *, known_codes: set[str] | None = None, limit: int = 20
) -> SamplePreview:
    """Read a sample through a mapping without touching the database: which columns match
    which field, and the first `limit` donations as they would be parsed (or why not)."""
    out = SamplePreview()
    try:
        text = open_text(io.BytesIO(data), mapping.encoding)
        rows = read_rows(text)
        _, header = next(rows)
    except StopIteration:
        out.error = _l("サンプルのファイルが空です。")
        return out
    except (RowError, UnicodeDecodeError) as exc:
        out.error = getattr(exc, "reason", None) or _l(
            "文字コードを判別できません（UTF-8 または Shift_JIS で保存してください）。"
        )
        return out
    columns = {header_key(k): v for k, v in mapping.columns.items()}
    out.columns = [(h.strip().lstrip("\ufeff"), columns.get(header_key(h))) for h in header]
    found = {f for _, f in out.columns if f}
    out.missing = [f for f in REQUIRED if f not in found]
    try:
        parser = Parser(mapping, header)
    except RowError as exc:
        out.error = exc.reason
        return out
    parser.known_codes = known_codes
    option_seen: dict[str, str | None] = {}
    option_map = {header_key(k): v for k, v in mapping.options.items()}
    try:
        for group in _groups(rows, parser):
            out.total_rows += 1
            if len(out.rows) >= limit:
                continue
            if "options" in parser.index:
                for _, row in group:
                    for ln in parser.raw(row, "options").splitlines():
                        name, sep, _v = norm.nfkc(ln).partition(":")
                        if sep and name.strip() not in option_seen:
                            option_seen[name.strip()] = option_map.get(header_key(name))
            line = group[0][0]
            try:
                parsed = parser.parse(group)
            except RowError as exc:
                out.rows.append(
                    SampleRow(
                        line=line,
                        order_no=parser.raw(group[0][1], "portal_order_no"),
                        error=exc.reason,
                    )
                )
                continue
            options = parser.option_values(group)
            sample = SampleRow(
                line=line,
                order_no=parsed.portal_order_no,
                name=parsed.donor_name,
                amount=parsed.amount,
                purpose=parsed.purpose,
                purpose_raw=norm.nfkc(parser.value(group[0][1], "purpose", options)),
                onestop=parsed.onestop_requested,
                paid=parsed.payment_state == PaymentState.PAID,
                cancelled=bool(parsed.cancelled_at_portal),
                gifts=[f"{ln.gift_code}×{ln.quantity}" for ln in parsed.lines],
            )
            unknown = [
                ln.gift_code
                for ln in parsed.lines
                if known_codes is not None and ln.gift_code not in known_codes
            ]
            if unknown:
                sample.error = _l("返礼品コード %(code)s は登録されていません。", code=unknown[0])
            out.rows.append(sample)
    except UnicodeDecodeError:
        out.error = _l("文字コードを判別できません（UTF-8 または Shift_JIS で保存してください）。")
    out.option_names = sorted(option_seen.items())
    return out
