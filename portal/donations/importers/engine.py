"""The import engine: decode, read rows, group gift lines into donations, parse, apply.

What differs between portals (encoding, header names, value wording, date formats) lives in
mappings/<portal>.json so staff can correct it without code. Donations are keyed by
(portal, portal order no): re-importing changes nothing, a later export can update the payment
state, and a donation already shipped or cancelled is never overwritten (a conflict).
Each donation is applied inside its own savepoint: whole or not at all.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.core.errors import DomainError
from portal.core.timeline import record_event
from portal.donations import normalise as norm
from portal.donations.lifecycle import (
    UPDATABLE_FIELDS,
    DonationData,
    LineData,
    create_donation,
    mark_paid,
    received_on_for,
)
from portal.donations.models import (
    Donation,
    DonationState,
    PaymentMethod,
    PaymentState,
    Portal,
)
from portal.gifts.models import Gift

if TYPE_CHECKING:
    from portal.accounts.models import User

MAPPING_DIR = Path(__file__).parent / "mappings"
PORTALS = ("standard", "choice", "rakuten", "furunavi", "jal", "satofull")
REQUIRED = ("portal_order_no", "applied_on", "payment_method", "amount", "donor_name")
TEXT_FIELDS = {
    "donor_name": norm.name,
    "donor_kana": norm.kana,
    "postal_code": norm.postal_code,
    "address": norm.address,
    "phone": norm.phone,
    "email": lambda v: norm.nfkc(v).lower(),
    "delivery_name": norm.name,
    "delivery_postal_code": norm.postal_code,
    "delivery_address": norm.address,
    "delivery_phone": norm.phone,
    "mail_name": norm.name,
    "mail_postal_code": norm.postal_code,
    "mail_address": norm.address,
    "message": lambda v: (v or "").replace("\r\n", "\n").strip(),
    "project": norm.nfkc,
}
FLAG_FIELDS = ("onestop_requested", "receipt_wanted", "publish_name", "disaster_relief")
DEFAULT_FLAGS = {"する": True, "しない": False, "要": True, "不要": False, "1": True, "0": False}


@dataclass
class Mapping:
    portal: str
    encoding: str
    columns: dict[str, str]
    joins: dict[str, str] = field(default_factory=dict)
    payment_methods: dict[str, str] = field(default_factory=dict)
    payment_states: dict[str, str] = field(default_factory=dict)
    flags: dict[str, bool] = field(default_factory=dict)
    purposes: dict[str, str] = field(default_factory=dict)
    date_formats: list[str] = field(default_factory=lambda: ["%Y/%m/%d", "%Y-%m-%d"])


def load_mapping(portal: str) -> Mapping:
    if portal not in PORTALS:
        raise DomainError(_l("取込形式 %(portal)s はありません。", portal=portal), field="portal")
    raw = json.loads((MAPPING_DIR / f"{portal}.json").read_text(encoding="utf-8"))
    raw.pop("_comment", None)
    return Mapping(portal=portal, **raw)


@dataclass
class Rejected:
    line: int
    reason: Any  # lazy translated string
    row: list[str]


@dataclass
class ImportResult:
    header: list[str] = field(default_factory=list)
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (order no, donation no)
    rejected: list[Rejected] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"new={self.new} updated={self.updated} unchanged={self.unchanged} "
            f"rejected={len(self.rejected)} conflicts={len(self.conflicts)}"
        )


class RowError(Exception):
    def __init__(self, reason: Any) -> None:
        super().__init__(str(reason))
        self.reason = reason


# --- reading -----------------------------------------------------------------------------


def decode(data: bytes, encoding: str) -> str:
    """UTF-8 with BOM is recognised by its BOM; otherwise the mapping's encoding, then the other."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    for enc in dict.fromkeys([encoding, "utf-8", "cp932"]):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise RowError(_l("文字コードを判別できません（UTF-8 または Shift_JIS で保存してください）。"))


def read_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first physical line of the record, cells); quoted newlines stay inside their cell."""
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    for row in reader:
        line, start = start, reader.line_num + 1
        if any(cell.strip() for cell in row):
            yield line, row


# --- parsing -----------------------------------------------------------------------------


class Parser:
    def __init__(self, mapping: Mapping, header: list[str]) -> None:
        self.m = mapping
        self.header = [h.strip().lstrip("\ufeff") for h in header]
        self.index: dict[str, list[int]] = {}
        for i, name in enumerate(self.header):
            target = mapping.columns.get(name)
            if target:
                self.index.setdefault(target, []).append(i)
        self.flags = {**DEFAULT_FLAGS, **mapping.flags}
        missing = [f for f in REQUIRED if f not in self.index]
        if missing:
            wanted = {v: k for k, v in mapping.columns.items()}
            raise RowError(
                _l(
                    "見出し行に必要な列「%(column)s」がありません。",
                    column=wanted.get(missing[0], missing[0]),
                )
            )

    def raw(self, row: list[str], fld: str) -> str:
        idx = self.index.get(fld)
        if not idx:
            return ""
        cells = [row[i] if i < len(row) else "" for i in idx]
        return self.m.joins.get(fld, " ").join(c.strip() for c in cells if c.strip())

    def column(self, fld: str) -> str:
        idx = self.index.get(fld)
        return self.header[idx[0]] if idx else fld

    def date(self, row: list[str], fld: str) -> date | None:
        value = norm.nfkc(self.raw(row, fld))
        if not value:
            return None
        for fmt in self.m.date_formats:
            try:
                return datetime.strptime(value, fmt).date()
            except ValueError:
                continue
        raise RowError(
            _l(
                "「%(column)s」の日付「%(value)s」を読めません。",
                column=self.column(fld),
                value=value,
            )
        )

    def integer(self, row: list[str], fld: str, default: int | None = None) -> int:
        value = re.sub(r"[,円¥￥\s]", "", norm.nfkc(self.raw(row, fld)))
        if not value and default is not None:
            return default
        if not value.isdigit() or int(value) <= 0:
            raise RowError(
                _l(
                    "「%(column)s」の数値「%(value)s」を読めません。",
                    column=self.column(fld),
                    value=value,
                )
            )
        return int(value)

    def flag(self, row: list[str], fld: str, default: bool) -> bool:
        value = norm.nfkc(self.raw(row, fld))
        if not value:
            return default
        if value not in self.flags:
            raise RowError(
                _l(
                    "「%(column)s」の値「%(value)s」を読めません。",
                    column=self.column(fld),
                    value=value,
                )
            )
        return self.flags[value]

    def parse(self, rows: list[tuple[int, list[str]]]) -> DonationData:
        """One donation from its rows (one per gift line; the amount repeats, not summed)."""
        _, first = rows[0]
        for fld in REQUIRED:
            if not self.raw(first, fld):
                raise RowError(_l("必須の列「%(column)s」が空です。", column=self.column(fld)))
        method_text = norm.nfkc(self.raw(first, "payment_method"))
        method = self.m.payment_methods.get(method_text)
        if method is None:
            raise RowError(_l("決済方法「%(value)s」は対応表にありません。", value=method_text))
        paid_on = self.date(first, "paid_on")
        state_text = norm.nfkc(self.raw(first, "payment_state"))
        if state_text:
            if state_text not in self.m.payment_states:
                raise RowError(_l("入金状況「%(value)s」は対応表にありません。", value=state_text))
            state = PaymentState(self.m.payment_states[state_text])
        else:
            state = PaymentState.PAID if paid_on else PaymentState.UNPAID
        if state == PaymentState.UNPAID:
            paid_on = None
        amount = self.integer(first, "amount")
        purpose = norm.nfkc(self.raw(first, "purpose"))
        data = DonationData(
            portal=Portal(self.m.portal),
            portal_order_no=norm.nfkc(self.raw(first, "portal_order_no")),
            donor_name="",
            amount=amount,
            applied_on=self.date(first, "applied_on"),  # type: ignore[arg-type]
            payment_method=PaymentMethod(method),
            payment_state=state,
            paid_on=paid_on,
            purpose=self.m.purposes.get(purpose, purpose),
            onestop_requested=self.flag(first, "onestop_requested", False),
            receipt_wanted=self.flag(first, "receipt_wanted", True),
            publish_name=self.flag(first, "publish_name", False),
            disaster_relief=self.flag(first, "disaster_relief", False),
        )
        for fld, fn in TEXT_FIELDS.items():
            setattr(data, fld, fn(self.raw(first, fld)))
        if state == PaymentState.PAID and data.paid_on is None:
            data.paid_on = received_on_for(data.payment_method, None, data.applied_on)
        for _line_no, row in rows:
            if self.integer(row, "amount") != amount:
                raise RowError(_l("同じ寄附の行で寄附金額が異なります。"))
            code = norm.nfkc(self.raw(row, "gift_code"))
            if not code:
                continue
            data.lines.append(
                LineData(
                    gift_code=code,
                    quantity=self.integer(row, "quantity", default=1),
                    desired_date=self.date(row, "desired_date"),
                    desired_time=norm.nfkc(self.raw(row, "desired_time"))[:20],
                    noshi=norm.nfkc(self.raw(row, "noshi"))[:50],
                )
            )
        return data


# --- applying ----------------------------------------------------------------------------


def _groups(
    rows: Iterator[tuple[int, list[str]]], parser: Parser
) -> Iterator[list[tuple[int, list[str]]]]:
    """Consecutive rows with the same order number are one donation's gift lines."""
    group: list[tuple[int, list[str]]] = []
    key = None
    for line, row in rows:
        k = norm.nfkc(parser.raw(row, "portal_order_no"))
        if group and (k != key or not k):
            yield group
            group = []
        group.append((line, row))
        key = k
    if group:
        yield group


def _diff(donation: Donation, data: DonationData) -> dict[str, Any]:
    return {
        f: getattr(data, f) for f in UPDATABLE_FIELDS if getattr(donation, f) != getattr(data, f)
    }


def _reject(
    result: ImportResult,
    group: list[tuple[int, list[str]]],
    reason: Any,
    bad_line: int | None = None,
) -> None:
    for line, row in group:
        why = (
            reason
            if bad_line in (None, line)
            else _l(
                "同じ寄附の別の行（%(line)s行目）に誤りがあるため取り込みませんでした。",
                line=bad_line,
            )
        )
        result.rejected.append(Rejected(line=line, reason=why, row=row))


def import_file(
    session: Session,
    portal: str,
    data: bytes,
    *,
    dry_run: bool = False,
    by_user: User | None = None,
    commit: Callable[[], None] | None = None,
    batch: int = 200,
) -> ImportResult:
    """Import one export file. `commit` (CLI, jobs) is called every `batch` donations so a
    long file makes progress; each donation is whole either way (savepoint per donation)."""
    mapping = load_mapping(portal)
    result = ImportResult()
    try:
        text = decode(data, mapping.encoding)
    except RowError as exc:
        result.rejected.append(Rejected(line=1, reason=exc.reason, row=[]))
        return result
    rows = read_rows(text)
    try:
        _, header = next(rows)
    except StopIteration:
        return result
    result.header = header
    try:
        parser = Parser(mapping, header)
    except RowError as exc:
        result.rejected.append(Rejected(line=1, reason=exc.reason, row=header))
        return result
    gifts = {g.code: g for g in session.scalars(sa.select(Gift))}
    done = 0
    for group in _groups(rows, parser):
        try:
            parsed = parser.parse(group)
        except RowError as exc:
            _reject(result, group, exc.reason, _bad_line(parser, group))
            continue
        missing = [ln.gift_code for ln in parsed.lines if ln.gift_code not in gifts]
        if missing:
            _reject(
                result, group, _l("返礼品コード %(code)s は登録されていません。", code=missing[0])
            )
            continue
        existing = session.scalar(
            sa.select(Donation).where(
                Donation.portal == parsed.portal, Donation.portal_order_no == parsed.portal_order_no
            )
        )
        try:
            if existing is None:
                result.new += 1
                if not dry_run:
                    with session.begin_nested():
                        create_donation(session, parsed, gifts=gifts, by_user=by_user)
            else:
                outcome = _update(session, existing, parsed, dry_run=dry_run, by_user=by_user)
                if outcome == "conflict":
                    result.conflicts.append((parsed.portal_order_no, existing.donation_no))
                else:
                    setattr(result, outcome, getattr(result, outcome) + 1)
        except (DomainError, sa.exc.IntegrityError) as exc:
            if existing is None:
                result.new -= 1
            reason = (
                exc.message
                if isinstance(exc, DomainError)
                else _l("データベースに保存できませんでした。")
            )
            _reject(result, group, reason)
            continue
        done += 1
        if commit is not None and not dry_run and done % batch == 0:
            commit()
    return result


def _bad_line(parser: Parser, group: list[tuple[int, list[str]]]) -> int | None:
    """Which row of a multi-row donation is at fault (so the others say why they were held)."""
    if len(group) == 1:
        return None
    for line, row in group:
        try:
            parser.parse([(line, row)])
        except RowError:
            return line
    return None


def _update(
    session: Session, donation: Donation, data: DonationData, *, dry_run: bool, by_user: User | None
) -> str:
    changes = _diff(donation, data)
    if not changes:
        return "unchanged"
    if donation.state == DonationState.CANCELLED or donation.is_shipped:
        return "conflict"
    if (
        donation.payment_state == PaymentState.PAID
        and changes.get("payment_state") == PaymentState.UNPAID
    ):
        return "conflict"  # an export never takes a recorded payment back
    if dry_run:
        return "updated"
    with session.begin_nested():
        becomes_paid = changes.pop("payment_state", None) == PaymentState.PAID
        paid_on = changes.pop("paid_on", None)
        for key, value in changes.items():
            setattr(donation, key, value)
        if becomes_paid:
            mark_paid(session, donation, paid_on or data.applied_on, by_user=by_user)
        elif paid_on is not None:
            donation.paid_on = paid_on
            donation.received_on = received_on_for(
                donation.payment_method, paid_on, donation.applied_on
            )
        session.flush()
        record_event(
            session,
            "donation",
            donation.id,
            "donation.updated",
            by_user=by_user,
            fields=sorted([*changes, *(["payment_state"] if becomes_paid else [])]),
        )
    return "updated"


def rejected_csv(result: ImportResult) -> bytes:
    """The rejected rows with the original header and a reason column at the end (extra columns
    are ignored on re-upload), UTF-8 with BOM so spreadsheet software opens it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*result.header, "取込エラー行", "取込エラー理由"])
    for r in result.rejected:
        writer.writerow([*r.row, r.line, str(r.reason)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
