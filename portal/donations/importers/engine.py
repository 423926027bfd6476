"""The import engine: decode, read rows, group gift lines into donations, parse, apply.

What differs between portals (encoding, header names, value wording, date formats) lives in
mappings/<portal>.json so staff can correct it without code. Donations are keyed by
(portal, portal order no): re-importing changes nothing, a later export can update the payment
state, and a donation already shipped or cancelled is never overwritten (a conflict).
The file is streamed and applied in chunks (see `import_file`); each donation is whole or
not at all.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, aliased

from portal.core.errors import DomainError
from portal.core.portals import Portal
from portal.core.spreadsheet import csv_writer
from portal.core.timeline import record_event
from portal.crowdfunding.projects import ProjectResolver, gift_less_error
from portal.donations import normalise as norm
from portal.donations.bulk import create_donations
from portal.donations.lifecycle import (
    UPDATABLE_FIELDS,
    DonationData,
    LineData,
    cancel_donation,
    create_donation,
    mark_paid,
    received_on_for,
)
from portal.donations.models import (
    Donation,
    DonationEvent,
    DonationState,
    PaymentMethod,
    PaymentState,
)
from portal.gifts.listings import resolver
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
    "email": norm.email,
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
_NOT_AMOUNT = re.compile(r"[,円¥￥\s]")
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
    # Fields that arrive as `項目名:選択肢` lines inside one cell (楽天's 「項目・選択肢」):
    # 項目名 → field. The cell's column maps to "options" in `columns`.
    options: dict[str, str] = field(default_factory=dict)
    # Wordings of the payment_state column that mean the order was cancelled at the portal:
    # a donation not yet shipped is cancelled (cancel_donation) with this reason.
    cancelled_states: list[str] = field(default_factory=list)
    # 災害支援: a donation is disaster relief when its disaster_relief column (a flag) says so,
    # or when its purpose (the file's wording or the mapped one) or project contains one of
    # these words — most portals carry relief only as a 使い道 / project wording.
    disaster_relief_words: list[str] = field(default_factory=list)
    # Which version this is: 0 = the shipped JSON, N = staff's stored version N (stored.py).
    version: int = 0


def load_mapping(portal: str) -> Mapping:
    if portal not in PORTALS:
        raise DomainError(_l("取込形式 %(portal)s はありません。", portal=portal), field="portal")
    raw = json.loads((MAPPING_DIR / f"{portal}.json").read_text(encoding="utf-8"))
    raw.pop("_comment", None)
    return Mapping(portal=portal, **raw)


def effective_mapping(session: Session, portal: str) -> Mapping:
    """The mapping an import uses: staff's latest stored version of it, else the shipped JSON
    (load_mapping). Stored versions live in importers/stored.py, which builds on this module."""
    from portal.donations.importers import stored

    if portal not in PORTALS:
        return load_mapping(portal)  # the same translated refusal
    return stored.effective_mapping(session, portal)


_BRACKETS = re.compile(r"[()\[\]{}<>「」『』【】〔〕〈〉《》]")
_REQUIRED_MARK = re.compile(r"^[(\[【<]必須[)\]】>]|[(\[【<]必須[)\]】>]$")
_HEADER_NOISE = re.compile(r"[\s:：]")


def header_key(name: str) -> str:
    """What a header (or an option's 項目名) is matched by: NFKC (full-width digits, colons and
    brackets become ASCII), a 「（必須）」 mark and surrounding spaces dropped, brackets, colons and
    inner spaces ignored. 「注文者郵便番号１」, 「注文者住所：都道府県」 and 「（必須）注文番号」
    match 注文者郵便番号1, 注文者住所都道府県 and 注文番号."""
    text = norm.nfkc((name or "").lstrip("\ufeff"))
    text = _REQUIRED_MARK.sub("", text.strip()).strip()
    return _HEADER_NOISE.sub("", _BRACKETS.sub("", text))


@dataclass
class Rejected:
    line: int
    reason: Any  # lazy translated string
    row: list[str]


@dataclass
class ImportResult:
    header: list[str] = field(default_factory=list)
    mapping_version: int = 0  # the mapping used: 0 = the shipped default
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (order no, donation no)
    rejected: list[Rejected] = field(default_factory=list)
    # Item IDs that are neither a listing on this portal nor a gift code → rows that use them.
    unknown_ids: dict[str, int] = field(default_factory=dict)
    # Project wordings no crowdfunding project (portal ID or title) names → rows that use them.
    unknown_projects: dict[str, int] = field(default_factory=dict)
    warning_count: int = 0

    def summary(self) -> str:
        return (
            f"new={self.new} updated={self.updated} unchanged={self.unchanged} "
            f"rejected={len(self.rejected)} conflicts={len(self.conflicts)}"
        )


@dataclass
class RowWarning:
    """A row accepted as it is that looks damaged: `kind` "question" (a ? inside a name or an
    address — what Excel writes for a character Shift_JIS lacks, e.g. 𠮷) or "normalised" (the
    text stored differs from the text in the file by more than spaces)."""

    line: int
    kind: str
    column: str
    value: str
    stored: str


@dataclass
class Preview:
    """One donation a dry run would create ("new") or change ("updated")."""

    line: int
    action: str
    data: DonationData
    donation_no: str = ""
    warnings: list[RowWarning] = field(default_factory=list)


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


def read_rows(text: str | TextIO) -> Iterator[tuple[int, list[str]]]:
    """(first physical line of the record, cells); quoted newlines stay inside their cell."""
    reader = csv.reader(io.StringIO(text, newline="") if isinstance(text, str) else text)
    start = 1
    for row in reader:
        line, start = start, reader.line_num + 1
        # some cell is not blank (the first one, nearly always: no need to join 100 cells)
        if (row and row[0].strip()) or "".join(row).strip():
            yield line, row


# --- parsing -----------------------------------------------------------------------------


class Parser:
    def __init__(self, mapping: Mapping, header: list[str]) -> None:
        self.m = mapping
        self.header = [h.strip().lstrip("\ufeff") for h in header]
        self.index: dict[str, list[int]] = {}
        columns = {header_key(k): v for k, v in mapping.columns.items()}
        for i, name in enumerate(self.header):
            target = columns.get(header_key(name))
            if target:
                self.index.setdefault(target, []).append(i)
        self.options = {header_key(k): v for k, v in mapping.options.items()}
        self.option_names = {v: k for k, v in mapping.options.items()}
        self.flags = {norm.nfkc(k): v for k, v in {**DEFAULT_FLAGS, **mapping.flags}.items()}
        self.cancelled_states = {norm.nfkc(s) for s in mapping.cancelled_states}
        self.relief_words = tuple(w for w in map(norm.nfkc, mapping.disaster_relief_words) if w)
        self.known_codes: set[str] | None = None  # set by import_file: picks among gift_codes
        self.listings: dict[str, str] = {}  # set by import_file: this portal's item ID → code
        # The per-row hot path (an import parses ~100k rows): each row's mapped cells are read
        # once into a dict (`cells`), and what a file repeats on most rows (dates, amounts,
        # methods, flags, gift codes …) is normalised once per distinct text (`_small`,
        # `_dates`, `_ints`, `_flag_values`; bounded, an export has few distinct values).
        self._single = [(f, idx[0]) for f, idx in self.index.items() if len(idx) == 1]
        self._multi = [
            (f, idx, mapping.joins.get(f, " ")) for f, idx in self.index.items() if len(idx) > 1
        ]
        self._width = 1 + max((i for idx in self.index.values() for i in idx), default=-1)
        self._row: list[str] | None = None
        self._cells: dict[str, str] = {}
        self._empty = {fld: fn("") for fld, fn in TEXT_FIELDS.items()}
        self._dates: dict[str, date] = {}
        self._ints: dict[str, int] = {}
        self._flag_values: dict[str, bool] = {}
        self._nfkc: dict[str, str] = {}
        self._relief_purposes: dict[str, bool] = {}
        self._options_cache: dict[str, list[tuple[str, str, str]]] = {}
        self._methods: dict[str, PaymentMethod] = {}
        self._portal = Portal(mapping.portal)
        missing = [f for f in REQUIRED if f not in self.index]
        if missing:
            wanted = {v: k for k, v in mapping.columns.items()}
            raise RowError(
                _l(
                    "見出し行に必要な列「%(column)s」がありません。",
                    column=wanted.get(missing[0], missing[0]),
                )
            )

    def cells(self, row: list[str]) -> dict[str, str]:
        """Every mapped field's text in one row, stripped (multi-column fields joined); the
        last row's dict is kept, so asking again for the same row costs nothing."""
        if row is self._row:
            return self._cells
        n = len(row)
        if n >= self._width:
            cells = {f: row[i].strip() for f, i in self._single}
        else:
            cells = {f: row[i].strip() if i < n else "" for f, i in self._single}
        for f, idx, sep in self._multi:  # filter(None, …): the non-blank parts, at C speed
            if n >= self._width:
                cells[f] = sep.join(filter(None, [row[i].strip() for i in idx]))
            else:
                cells[f] = sep.join(filter(None, [row[i].strip() for i in idx if i < n]))
        self._row, self._cells = row, cells
        return cells

    def raw(self, row: list[str], fld: str) -> str:
        return self.cells(row).get(fld, "")

    def _raw_direct(self, row: list[str], fld: str) -> str:
        """One field of a row without building (or replacing) the row's cells."""
        idx = self.index.get(fld)
        if not idx:
            return ""
        cells = [row[i] if i < len(row) else "" for i in idx]
        return self.m.joins.get(fld, " ").join(c.strip() for c in cells if c.strip())

    def order_key(self, row: list[str]) -> str:
        """The row's order number, as `_groups` compares consecutive rows by it."""
        idx = self.index["portal_order_no"]
        if len(idx) == 1:
            i = idx[0]
            return norm.nfkc(row[i].strip()) if i < len(row) else ""
        return norm.nfkc(self._raw_direct(row, "portal_order_no"))

    def _small(self, text: str) -> str:
        """NFKC of a cell whose values repeat across rows (methods, states, codes …)."""
        got = self._nfkc.get(text)
        if got is None:
            got = norm.nfkc(text)
            if len(self._nfkc) < 10_000:
                self._nfkc[text] = got
        return got

    def _relief(self, purpose: str, mapped: str) -> bool:
        """Whether a purpose wording (the file's or the mapped one) names disaster relief."""
        known = self._relief_purposes.get(purpose)
        if known is None:
            known = any(w in t for w in self.relief_words for t in (purpose, mapped) if t)
            if len(self._relief_purposes) < 1_000:
                self._relief_purposes[purpose] = known
        return known

    def column(self, fld: str) -> str:
        idx = self.index.get(fld)
        if idx:
            return self.header[idx[0]]
        return self.option_names.get(fld, fld)

    def option_values(self, rows: list[tuple[int, list[str]]]) -> dict[str, str]:
        """The mapped 項目 of the options cell (`項目名:選択肢` per line), first row that has
        each; an unmapped 項目 is ignored (a shop may add its own)."""
        found: dict[str, str] = {}
        if "options" not in self.index:
            return found
        for _, row in rows:
            for fld, name, value in self._option_lines(self._raw_direct(row, "options")):
                if fld not in found:
                    found[fld] = value
                    self.option_names[fld] = name  # errors name the file's wording
        return found

    def _option_lines(self, text: str) -> list[tuple[str, str, str]]:
        """(field, the file's 項目名, 選択肢) of each mapped line of one options cell. A shop's
        cells combine a few fixed choices, so each distinct cell text is read once (bounded)."""
        known = self._options_cache.get(text)
        if known is not None:
            return known
        lines = []
        for line in text.splitlines():
            name, sep, value = self._small(line).partition(":")
            fld = self.options.get(header_key(name)) if sep else None
            if fld:
                lines.append((fld, name.strip(), value.strip()))
        if len(self._options_cache) < 1_000:
            self._options_cache[text] = lines
        return lines

    def value(self, row: list[str], fld: str, options: dict[str, str]) -> str:
        """A field's text: its own column when the file has one, else its option line."""
        return self._value(self.cells(row), fld, options)

    def _value(self, cells: dict[str, str], fld: str, options: dict[str, str]) -> str:
        got = cells.get(fld)
        return options.get(fld, "") if got is None else got

    def _date(self, text: str, fld: str) -> date | None:
        if not text:
            return None
        known = self._dates.get(text)
        if known is not None:
            return known
        value = norm.nfkc(text)
        if not value:
            return None
        for fmt in self.m.date_formats:
            try:
                parsed = datetime.strptime(value, fmt).date()
            except ValueError:
                continue
            if len(self._dates) < 10_000:  # an export has few distinct dates; strptime is slow
                self._dates[text] = parsed
            return parsed
        raise RowError(
            _l(
                "「%(column)s」の日付「%(value)s」を読めません。",
                column=self.column(fld),
                value=value,
            )
        )

    def date(self, row: list[str], fld: str) -> date | None:
        return self._date(self.raw(row, fld), fld)

    def integer(self, row: list[str], fld: str, default: int | None = None) -> int:
        return self._int(self.raw(row, fld), fld, default)

    def _int(self, text: str, fld: str, default: int | None = None) -> int:
        known = self._ints.get(text)
        if known is not None:
            return known
        value = norm.nfkc(text)
        if not value.isdigit():
            value = _NOT_AMOUNT.sub("", value)
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
        if len(self._ints) < 10_000:
            self._ints[text] = int(value)
        return int(value)

    def flag(self, row: list[str], fld: str, default: bool, options: dict[str, str]) -> bool:
        return self._flag(self.value(row, fld, options), fld, default)

    def _flag(self, text: str, fld: str, default: bool) -> bool:
        known = self._flag_values.get(text)
        if known is not None:
            return known
        value = norm.nfkc(text)
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
        if len(self._flag_values) < 1_000:
            self._flag_values[text] = self.flags[value]
        return self.flags[value]

    def parse(self, rows: list[tuple[int, list[str]]]) -> DonationData:
        """One donation from its rows (one per gift line; the amount repeats, not summed)."""
        _, first = rows[0]
        options = self.option_values(rows)
        c = self.cells(first)
        for fld in REQUIRED:
            if not c.get(fld):
                raise RowError(_l("必須の列「%(column)s」が空です。", column=self.column(fld)))
        method_text = self._small(c["payment_method"])
        method = self.m.payment_methods.get(method_text)
        if method is None:
            raise RowError(_l("決済方法「%(value)s」は対応表にありません。", value=method_text))
        paid_on = self._date(c.get("paid_on", ""), "paid_on")
        state_text = self._small(c.get("payment_state", ""))
        cancelled = state_text in self.cancelled_states
        if cancelled:
            state = PaymentState.UNPAID
        elif state_text:
            if state_text not in self.m.payment_states:
                raise RowError(_l("入金状況「%(value)s」は対応表にありません。", value=state_text))
            state = PaymentState(self.m.payment_states[state_text])
        else:
            state = PaymentState.PAID if paid_on else PaymentState.UNPAID
        if state == PaymentState.UNPAID:
            paid_on = None
        elif paid_on is None and method != PaymentMethod.CARD.value:
            # A status says paid but no paid date is given (楽天): the date the portal
            # confirmed the order, i.e. received the transfer. Card payments keep the
            # application date (received_on_for), never a later confirmation date.
            paid_on = self._date(c.get("settled_on", ""), "settled_on")
        amount = self._int(c["amount"], "amount")
        v = {**options, **c} if options else c  # a field's own column wins over its option
        purpose = self._small(v.get("purpose", ""))
        mapped_purpose = self.m.purposes.get(purpose, purpose)
        texts: dict[str, Any] = {}
        for fld, fn in TEXT_FIELDS.items():
            text = v.get(fld, "")
            texts[fld] = fn(text) if text else self._empty[fld]
        payment_method = self._methods.get(method)
        if payment_method is None:  # an enum call per row costs more than this lookup
            payment_method = self._methods[method] = PaymentMethod(method)
        data = DonationData(
            portal=self._portal,
            portal_order_no=norm.nfkc(c["portal_order_no"]),
            amount=amount,
            applied_on=self._date(c["applied_on"], "applied_on"),  # type: ignore[arg-type]
            payment_method=payment_method,
            payment_state=state,
            paid_on=paid_on,
            purpose=mapped_purpose,
            onestop_requested=self._flag(
                v.get("onestop_requested", ""), "onestop_requested", False
            ),
            receipt_wanted=self._flag(v.get("receipt_wanted", ""), "receipt_wanted", True),
            publish_name=self._flag(v.get("publish_name", ""), "publish_name", False),
            disaster_relief=self._flag(v.get("disaster_relief", ""), "disaster_relief", False),
            cancelled_at_portal=state_text if cancelled else "",
            **texts,
        )
        if not data.disaster_relief and self.relief_words:
            data.disaster_relief = self._relief(purpose, mapped_purpose) or (
                bool(data.project) and any(w in data.project for w in self.relief_words)
            )
        if not data.email and norm.nfkc(v.get("email", "")):
            # norm.email gives "" for what is not one plain address (a line break, two of them)
            raise RowError(
                _l("メールアドレスの形式が正しくありません（改行や複数のアドレスは使えません）。")
            )
        if state == PaymentState.PAID and data.paid_on is None:
            data.paid_on = received_on_for(data.payment_method, None, data.applied_on)
        for _line_no, row in rows:
            rc = self.cells(row)
            if self._int(rc["amount"], "amount") != amount:
                raise RowError(_l("同じ寄附の行で寄附金額が異なります。"))
            code = self.gift_code(row)
            if not code:
                continue
            data.lines.append(
                LineData(
                    gift_code=code,
                    quantity=self._int(rc.get("quantity", ""), "quantity", default=1),
                    desired_date=self._date(rc.get("desired_date", ""), "desired_date"),
                    desired_time=self._small(rc.get("desired_time", ""))[:20],
                    noshi=self._small(rc.get("noshi", ""))[:50],
                )
            )
        return data

    def gift_code(self, row: list[str]) -> str:
        """The line's gift: gift_code, else gift_code_alt (楽天: 商品管理番号, then 商品番号).
        Each is first looked up among this portal's listings (さとふる's numeric お礼品ID,
        チョイス's 管理コード), then among our gift codes; unknown, the first one given."""
        codes = [c for c in (self._small(self.raw(row, f)) for f in GIFT_CODE_FIELDS) if c]
        if self.listings:
            for code in codes:
                if code in self.listings:
                    return self.listings[code]
        if self.known_codes is not None:
            for code in codes:
                if code in self.known_codes:
                    return code
        return codes[0] if codes else ""

    def warnings(self, rows: list[tuple[int, list[str]]], data: DonationData) -> list[RowWarning]:
        """What looks damaged in an accepted donation's names and addresses (the preview)."""
        line, first = rows[0]
        found = []
        for fld in CHECKED_FIELDS:
            value = self.raw(first, fld)
            if not value:
                continue
            stored = getattr(data, fld)
            if "?" in value or "？" in value:
                found.append(RowWarning(line, "question", self.column(fld), value, stored))
            elif _SPACES.sub("", value) != _SPACES.sub("", stored):
                found.append(RowWarning(line, "normalised", self.column(fld), value, stored))
        return found


GIFT_CODE_FIELDS = ("gift_code", "gift_code_alt")
CHECKED_FIELDS = (
    "donor_name",
    "donor_kana",
    "address",
    "delivery_name",
    "delivery_address",
    "mail_name",
    "mail_address",
)
_SPACES = re.compile(r"\s+")


# --- applying ----------------------------------------------------------------------------


def _groups(
    rows: Iterator[tuple[int, list[str]]], parser: Parser
) -> Iterator[list[tuple[int, list[str]]]]:
    """Consecutive rows with the same order number are one donation's gift lines."""
    group: list[tuple[int, list[str]]] = []
    key = None
    for line, row in rows:
        k = parser.order_key(row)
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


Source = bytes | Path | BinaryIO


def _open(source: Source) -> BinaryIO:
    """A seekable binary stream (an open file passed in is read and closed)."""
    if isinstance(source, bytes | bytearray):
        return io.BytesIO(source)
    if isinstance(source, Path):
        return source.open("rb")
    return source


def open_text(raw: BinaryIO, encoding: str) -> TextIO:
    """A text stream over the file, decoded incrementally (the file is never read whole).

    UTF-8 with BOM is recognised by its BOM; otherwise the first 64 KiB decide between the
    mapping's encoding and the other one (a multi-byte character cut at the end is fine)."""
    head = raw.read(65536)
    raw.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    for enc in dict.fromkeys([encoding, "utf-8", "cp932"]):
        try:
            codecs.getincrementaldecoder(enc)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return io.TextIOWrapper(raw, encoding=enc, newline="")
    raise RowError(_l("文字コードを判別できません（UTF-8 または Shift_JIS で保存してください）。"))


@dataclass
class Progress:
    """Where an import is: bytes read of the file, and the counts so far."""

    done_bytes: int
    total_bytes: int
    result: ImportResult


def import_file(
    session: Session,
    portal: str,
    source: Source,
    *,
    dry_run: bool = False,
    by_user: User | None = None,
    commit: Callable[[], None] | None = None,
    batch: int = 1000,
    progress: Callable[[Progress], None] | None = None,
    mapping: Mapping | None = None,
    preview: Callable[[Preview], None] | None = None,
) -> ImportResult:
    """Import one export file, streamed and applied in chunks of `batch` donations.

    Each chunk: one query finds which order numbers exist (those are updated one by one, as
    they are few), the new donations are written in bulk (portal.donations.bulk) inside a
    savepoint, and on a database error the chunk is redone donation by donation, each in its
    own savepoint. `commit` (CLI, jobs) is called after every chunk, so a crash loses at most
    the unfinished chunk — never part of a donation. `progress` is called after every chunk.
    `preview` (dry runs only) is called, in file order, with each donation that would be
    created or updated and what looks damaged in it; unknown item IDs are counted in
    `result.unknown_ids` either way. The mapping is the portal's effective one (staff's latest
    stored version, else the shipped default) unless one is given."""
    if mapping is None:
        mapping = effective_mapping(session, portal)
    # The cyclic GC's full collections walk every object of the process (the app, its
    # metadata, catalogues …), and a chunk's many live objects trigger a dozen of them per
    # 50k donations: a third of the import's CPU time. Frozen objects are left out of those
    # walks; unfreeze gives them back to the collector afterwards (nothing is leaked: what the
    # import frees goes by reference counting, and new cycles are collected as usual).
    with _quiet_gc():
        return _import_file(
            session,
            mapping,
            source,
            dry_run=dry_run,
            by_user=by_user,
            commit=commit,
            batch=batch,
            progress=progress,
            portal=portal,
            preview=preview,
        )


_GC_LOCK = threading.Lock()
_GC_USERS = 0
_GC_SAVED: tuple[int, ...] = ()


@contextmanager
def _quiet_gc() -> Iterator[None]:
    """Freeze the objects that exist (the cyclic GC's full collections leave them out) and
    collect the young generation less often, for as long as any import runs in this process;
    the last import to finish restores both."""
    global _GC_USERS, _GC_SAVED
    with _GC_LOCK:
        if _GC_USERS == 0:
            _GC_SAVED = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(20_000, *_GC_SAVED[1:])
        _GC_USERS += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_USERS -= 1
            if _GC_USERS == 0:
                gc.unfreeze()
                gc.set_threshold(*_GC_SAVED)


def _import_file(
    session: Session,
    mapping: Mapping,
    source: Source,
    *,
    dry_run: bool,
    by_user: User | None,
    commit: Callable[[], None] | None,
    batch: int,
    progress: Callable[[Progress], None] | None,
    portal: str,
    preview: Callable[[Preview], None] | None,
) -> ImportResult:
    result = ImportResult(mapping_version=mapping.version)
    raw = _open(source)
    try:
        total_bytes = raw.seek(0, io.SEEK_END)
        raw.seek(0)
        try:
            text = open_text(raw, mapping.encoding)
        except RowError as exc:
            result.rejected.append(Rejected(line=1, reason=exc.reason, row=[]))
            return result
        rows = read_rows(text)
        try:
            _, header = next(rows)
        except StopIteration:
            return result
        except UnicodeDecodeError:
            result.rejected.append(Rejected(line=1, reason=DECODE_ERROR, row=[]))
            return result
        result.header = header
        try:
            parser = Parser(mapping, header)
        except RowError as exc:
            result.rejected.append(Rejected(line=1, reason=exc.reason, row=header))
            return result
        gifts = {g.code: g for g in session.scalars(sa.select(Gift))}
        parser.known_codes = set(gifts)
        parser.listings = resolver(session, portal) if portal in LISTED_PORTALS else {}
        projects = ProjectResolver(session, portal)
        if not dry_run:
            preview = None
        chunk: list[tuple[list[tuple[int, list[str]]], DonationData]] = []
        keys: set[str] = set()
        parsed_warnings: dict[int, list[RowWarning]] = {}

        def report(
            group: list[tuple[int, list[str]]],
            parsed: DonationData,
            action: str,
            donation_no: str = "",
        ) -> None:
            if preview is not None:
                warned = parsed_warnings.pop(id(parsed), [])
                preview(Preview(group[0][0], action, parsed, donation_no, warned))

        def flush() -> None:
            if chunk:
                _apply_chunk(
                    session,
                    chunk,
                    result,
                    gifts,
                    dry_run=dry_run,
                    by_user=by_user,
                    report=report if preview is not None else None,
                )
                parsed_warnings.clear()
                chunk.clear()
                keys.clear()
                if commit is not None and not dry_run:
                    commit()
            if progress is not None:
                progress(Progress(raw.tell(), total_bytes, result))

        groups = _groups(rows, parser)
        while True:
            try:
                group = next(groups)
            except StopIteration:
                break
            except UnicodeDecodeError:
                line = (chunk[-1][0][-1][0] + 1) if chunk else 2
                result.rejected.append(Rejected(line=line, reason=DECODE_ERROR, row=[]))
                break
            try:
                parsed = parser.parse(group)
            except RowError as exc:
                _reject(result, group, exc.reason, _bad_line(parser, group))
                continue
            missing = [ln.gift_code for ln in parsed.lines if ln.gift_code not in gifts]
            if missing:
                for code in missing:
                    result.unknown_ids[code] = result.unknown_ids.get(code, 0) + 1
                _reject(result, group, _unknown_reason(portal, missing[0]))
                continue
            if parsed.project:
                # A row naming a project must find it: rejected (kept in the rejected rows for
                # a re-upload) rather than imported as an ordinary donation billed at the
                # wrong rate. The preview lists each unknown wording once with its row count.
                project = projects.resolve(parsed.project)
                if project is None:
                    result.unknown_projects[parsed.project] = (
                        result.unknown_projects.get(parsed.project, 0) + 1
                    )
                    _reject(result, group, _unknown_project_reason(parsed.project))
                    continue
                if project.gift_less and parsed.lines:
                    _reject(result, group, gift_less_error().message)
                    continue
                parsed.project_id = project.id
            if preview is not None:
                warned = parser.warnings(group, parsed)
                result.warning_count += len(warned)
                if warned:
                    parsed_warnings[id(parsed)] = warned
            if parsed.portal_order_no in keys:  # the same order again: after this chunk
                flush()
            chunk.append((group, parsed))
            keys.add(parsed.portal_order_no)
            if len(chunk) >= batch:
                flush()
        flush()
    finally:
        raw.close()
    return result


DECODE_ERROR = _l("文字コードを判別できません（UTF-8 または Shift_JIS で保存してください）。")
# Portals whose files name a gift by the portal's own listing ID (the city's channels use codes).
LISTED_PORTALS = ("choice", "rakuten", "furunavi", "jal", "satofull")


def _unknown_reason(portal: str, code: str) -> Any:
    if portal in LISTED_PORTALS:
        return _l(
            "ID %(code)s はこのポータルの掲載IDにも返礼品コードにもありません（取り込み前の確認で返礼品に対応付けられます）。",
            code=code,
        )
    return _l("返礼品コード %(code)s は登録されていません。", code=code)


def _unknown_project_reason(name: str) -> Any:
    return _l(
        "プロジェクト「%(name)s」はクラウドファンディングのプロジェクトにありません（プロジェクトを登録するか、ポータルのプロジェクトIDを登録してから取り込み直してください）。",
        name=name,
    )


def _apply_chunk(
    session: Session,
    chunk: list[tuple[list[tuple[int, list[str]]], DonationData]],
    result: ImportResult,
    gifts: dict[str, Gift],
    *,
    dry_run: bool,
    by_user: User | None,
    report: Callable[..., None] | None = None,
) -> None:
    portal = chunk[0][1].portal
    existing = {
        d.portal_order_no: d
        for d in session.scalars(
            _existing_query(session, portal, [p.portal_order_no for _, p in chunk])
        )
    }
    news: list[tuple[list[tuple[int, list[str]]], DonationData]] = []
    for group, parsed in chunk:
        donation = existing.get(parsed.portal_order_no)
        if donation is None:
            result.new += 1
            news.append((group, parsed))
            if report is not None:
                report(group, parsed, "new")
            continue
        try:
            if parsed.cancelled_at_portal:
                outcome = _cancel(session, donation, parsed, dry_run=dry_run, by_user=by_user)
            else:
                outcome = _update(session, donation, parsed, dry_run=dry_run, by_user=by_user)
        except (DomainError, sa.exc.DBAPIError) as exc:
            _reject(result, group, _reason(exc))
            continue
        if outcome == "conflict":
            result.conflicts.append((parsed.portal_order_no, donation.donation_no))
        else:
            setattr(result, outcome, getattr(result, outcome) + 1)
            if report is not None and outcome == "updated":
                report(group, parsed, "updated", donation.donation_no)
    if dry_run or not news:
        return
    try:
        with session.begin_nested():
            ids = create_donations(session, [p for _, p in news], by_user=by_user)
            for donation_id, (_, parsed) in zip(ids, news, strict=True):
                if parsed.cancelled_at_portal:  # few: cancelled through the use case
                    donation = session.get(Donation, donation_id)
                    assert donation is not None
                    _cancel(session, donation, parsed, dry_run=False, by_user=by_user)
        return
    except (DomainError, sa.exc.DBAPIError):
        pass  # one bad donation (or a racing importer): redo this chunk one by one
    for group, parsed in news:
        try:
            with session.begin_nested():
                donation = create_donation(session, parsed, gifts=gifts, by_user=by_user)
                if parsed.cancelled_at_portal:
                    _cancel(session, donation, parsed, dry_run=False, by_user=by_user)
        except (DomainError, sa.exc.DBAPIError) as exc:
            result.new -= 1
            _reject(result, group, _reason(exc))


def _existing_query(session: Session, portal: Portal, keys: list[str]) -> sa.Select:
    """The chunk's donations that exist already, in one query.

    PostgreSQL: for each key a LATERAL subquery, which can only run as a nested loop, so every
    key is one index probe (on portal_order_no) whatever the statistics say.
    A plain `IN (…1000 keys)` was planned, on a table whose statistics lagged behind a big
    import, as an index scan on portal alone with the list as a filter; a join from the list of
    keys was planned, on the same lagging statistics (a few rows for the portal), as a hash join
    over every donation of the portal: both grow with the table, so a long import went
    quadratic (100,000 donations: 30 ms a chunk at the end, 3.4 s in all)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY

        k = (
            sa.func.unnest(sa.cast(sa.bindparam("keys", keys), ARRAY(sa.String)))
            .table_valued("no")
            .render_derived(name="k")
        )
        found = (
            sa.select(Donation)
            .where(Donation.portal == portal, Donation.portal_order_no == k.c.no)
            .limit(1)
            .lateral("d")
        )
        existing = aliased(Donation, found)
        return sa.select(existing).select_from(k).join(found, sa.true())
    return sa.select(Donation).where(Donation.portal == portal, Donation.portal_order_no.in_(keys))


def _reason(exc: Exception) -> Any:
    if isinstance(exc, DomainError):
        return exc.message
    return _l("データベースに保存できませんでした。")


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


def _cancel(
    session: Session, donation: Donation, data: DonationData, *, dry_run: bool, by_user: User | None
) -> str:
    """The portal says the order was cancelled: cancel the donation unless it has shipped (a
    conflict staff must settle) or is cancelled already (unchanged)."""
    if donation.state == DonationState.CANCELLED:
        return "unchanged"
    if donation.is_shipped:
        return "conflict"
    if dry_run:
        return "updated"
    with session.begin_nested():
        reason = f"{PORTAL_STATUS_REASON}「{data.cancelled_at_portal}」"
        cancel_donation(session, donation, reason, by_user=by_user)
        session.flush()
    return "updated"


# Stored as the donation's cancel reason (data, in the city's language, like a staff note).
PORTAL_STATUS_REASON = "ポータルの受注ステータス"


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
            DonationEvent.UPDATED,
            by_user=by_user,
            fields=sorted([*changes, *(["payment_state"] if becomes_paid else [])]),
        )
    return "updated"


def rejected_csv(result: ImportResult) -> bytes:
    """The rejected rows with the original header and a reason column at the end (extra columns
    are ignored on re-upload), UTF-8 with BOM so spreadsheet software opens it."""
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow([*result.header, "取込エラー行", "取込エラー理由"])
    for r in result.rejected:
        writer.writerow([*r.row, r.line, str(r.reason)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
