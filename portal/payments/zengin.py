"""全銀協 総合振込 (general transfer) files, and Japan's bank and branch codes.

Record layout (fixed length, 120 bytes a record, JIS X 0201 single bytes — written here in
Shift-JIS/CP932, where half-width kana are one byte — each record followed by CRLF), as the
全銀協制定ファイルフォーマット【総合振込】 gives it (a bank's copy:
https://expydoc.com/doc/11700435/ ; the file structure header/data…/trailer/end as in
https://www.chushin.co.jp/biz_web/Contents_bizsol/manual/bsl3002.html):

- header (1): データ区分 N1 "1", 種別コード N2 "21", コード区分 N1 "0" (JIS), 振込依頼人コード
  N10, 振込依頼人名 C40, 振込指定日 N4 (MMDD), 仕向銀行番号 N4, 仕向銀行名 C15, 仕向支店番号 N3,
  仕向支店名 C15, 預金種目 N1, 口座番号 N7, ダミー C17.
- data (2): データ区分 N1 "2", 被仕向銀行番号 N4, 被仕向銀行名 C15, 被仕向支店番号 N3,
  被仕向支店名 C15, 手形交換所番号 N4 (0), 預金種目 N1, 口座番号 N7, 受取人名 C30, 振込金額 N10,
  新規コード N1, 顧客コード1 N10, 顧客コード2 N10, 振込指定区分 N1, 識別表示 C1, ダミー C7.
- trailer (8): データ区分 N1 "8", 合計件数 N6, 合計金額 N12, ダミー C101.
- end (9): データ区分 N1 "9", ダミー C119.

N fields are right-aligned and zero-filled; C fields left-aligned and space-filled, in
half-width katakana, upper-case letters, digits and a few symbols. Bank and branch names and
codes come from the `zengin-code` package (loaded on first use: it reads ~1,100 banks).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import jaconv
from flask_babel import lazy_gettext as _l

from portal.core.errors import DomainError

RECORD_LENGTH = 120
ENCODING = "cp932"
NEWLINE = b"\r\n"

# 預金種目 as the masters spell it → the file's code.
ACCOUNT_TYPES = {"普通": "1", "当座": "2", "貯蓄": "4", "その他": "9"}
ACCOUNT_TYPE_LABELS = {
    "普通": _l("普通"),
    "当座": _l("当座"),
    "貯蓄": _l("貯蓄"),
    "その他": _l("その他"),
}

_SMALL = str.maketrans("ｧｨｩｪｫｬｭｮｯ", "ｱｲｳｴｵﾔﾕﾖﾂ")
# What a 全銀 C field may hold (half-width): digits, A–Z, kana, ﾞﾟ, space and ( ) - . / ,
_ALLOWED = re.compile(r"[0-9A-Zｱ-ﾝﾞﾟ ()\-./,｢｣\\]*")


def to_zengin_kana(text: str) -> str:
    """'ヤマダ　タロウ' / 'ﾔﾏﾀﾞ ﾀﾛｳ' / 'やまだ たろう' → 'ﾔﾏﾀﾞ ﾀﾛｳ' (small kana made large,
    ー as -); DomainError if a character cannot be carried."""
    text = jaconv.hira2kata(unicodedata.normalize("NFKC", text or "").strip())
    text = jaconv.z2h(text, kana=True, ascii=True, digit=True).upper()
    text = text.replace("ｰ", "-").replace("‐", "-").replace("−", "-")
    text = re.sub(r"\s+", " ", text).translate(_SMALL)
    if not _ALLOWED.fullmatch(text):
        bad = "".join(sorted({c for c in text if not _ALLOWED.fullmatch(c)}))
        raise DomainError(
            _l(
                "口座名義に使えない文字があります（%(chars)s）。カタカナで入力してください。",
                chars=bad,
            ),
            field="bank_account_holder",
        )
    return text


@dataclass(frozen=True)
class BankBranch:
    bank_code: str
    bank_name: str
    bank_kana: str  # half-width
    branch_code: str
    branch_name: str
    branch_kana: str  # half-width


@functools.cache
def _banks() -> dict[str, Any]:
    from zengin_code import Bank  # ~0.5 s: loaded once, when a code is first checked

    return dict(Bank.all)


def _half(kana: str) -> str:
    return jaconv.z2h(kana or "", kana=True, ascii=True, digit=True)


def lookup(bank_code: str, branch_code: str) -> BankBranch:
    """The bank and branch for 4- and 3-digit codes; DomainError (on the field) if unknown."""
    bank_code = unicodedata.normalize("NFKC", bank_code or "").strip()
    branch_code = unicodedata.normalize("NFKC", branch_code or "").strip()
    if not re.fullmatch(r"\d{4}", bank_code):
        raise DomainError(_l("金融機関コードは4桁の数字です。"), field="bank_code")
    if not re.fullmatch(r"\d{3}", branch_code):
        raise DomainError(_l("支店コードは3桁の数字です。"), field="branch_code")
    bank = _banks().get(bank_code)
    if bank is None:
        raise DomainError(
            _l("金融機関コード %(code)s の金融機関はありません。", code=bank_code),
            field="bank_code",
        )
    branch = bank.branches.get(branch_code)
    if branch is None:
        raise DomainError(
            _l(
                "%(bank)sに支店コード %(code)s の支店はありません。",
                bank=bank.name,
                code=branch_code,
            ),
            field="branch_code",
        )
    return BankBranch(
        bank_code, bank.name, _half(bank.kana), branch_code, branch.name, _half(branch.kana)
    )


# --- the file --------------------------------------------------------------------------------


def _n(value: int | str, width: int) -> str:
    text = str(value)
    if not text.isdigit() or len(text) > width:
        raise ValueError(f"N({width}) field cannot hold {value!r}")
    return text.rjust(width, "0")


def _c(value: str, width: int) -> str:
    """Left-aligned, cut to `width` bytes (every allowed character is one byte)."""
    text = to_zengin_kana(value) if value else ""
    return text[:width].ljust(width, " ")


def _record(*fields: str) -> bytes:
    raw = "".join(fields).encode(ENCODING)
    if len(raw) != RECORD_LENGTH:
        raise ValueError(f"record of {len(raw)} bytes")
    return raw


@dataclass(frozen=True)
class Remitter:
    code: str  # 委託者コード (10 digits)
    name_kana: str
    bank_code: str
    branch_code: str
    account_type: str  # "1" 普通 / "2" 当座 / "9"
    account_number: str


@dataclass(frozen=True)
class Transfer:
    bank_code: str
    branch_code: str
    account_type: str  # 普通 / 当座 / 貯蓄 / その他 or the digit
    account_number: str
    holder_kana: str
    amount: int
    customer_code: str = ""  # 顧客コード1 (we put the supplier's id)


def remitter_from_config(config: dict[str, Any]) -> Remitter:
    return Remitter(
        code=config["PAYMENT_REMITTER_CODE"],
        name_kana=config["PAYMENT_REMITTER_NAME_KANA"],
        bank_code=config["PAYMENT_REMITTER_BANK"],
        branch_code=config["PAYMENT_REMITTER_BRANCH"],
        account_type=config["PAYMENT_REMITTER_ACCOUNT_TYPE"],
        account_number=config["PAYMENT_REMITTER_ACCOUNT"],
    )


def _type_code(account_type: str) -> str:
    return (
        account_type
        if account_type in ACCOUNT_TYPES.values()
        else ACCOUNT_TYPES.get(account_type, "9")
    )


def transfer_file(remitter: Remitter, transfer_on: date, transfers: Iterable[Transfer]) -> bytes:
    """The 総合振込 file: header, one data record per transfer, trailer, end; CRLF after each."""
    items = list(transfers)
    try:
        own = lookup(remitter.bank_code, remitter.branch_code)
        own_bank_kana, own_branch_kana = own.bank_kana, own.branch_kana
    except DomainError:
        own_bank_kana = own_branch_kana = ""
    records = [
        _record(
            "1",
            "21",
            "0",
            _n(remitter.code, 10),
            _c(remitter.name_kana, 40),
            transfer_on.strftime("%m%d"),
            _n(remitter.bank_code, 4),
            _c(own_bank_kana, 15),
            _n(remitter.branch_code, 3),
            _c(own_branch_kana, 15),
            _n(_type_code(remitter.account_type), 1),
            _n(remitter.account_number, 7),
            " " * 17,
        )
    ]
    total = 0
    for t in items:
        if t.amount <= 0:
            raise ValueError("a transfer of nothing")
        where = lookup(t.bank_code, t.branch_code)
        records.append(
            _record(
                "2",
                _n(t.bank_code, 4),
                _c(where.bank_kana, 15),
                _n(t.branch_code, 3),
                _c(where.branch_kana, 15),
                "0000",
                _n(_type_code(t.account_type), 1),
                _n(t.account_number, 7),
                _c(t.holder_kana, 30),
                _n(t.amount, 10),
                "0",
                _n(t.customer_code or "0", 10),
                _n(0, 10),
                "0",
                " ",
                " " * 7,
            )
        )
        total += t.amount
    records.append(_record("8", _n(len(items), 6), _n(total, 12), " " * 101))
    records.append(_record("9", " " * 119))
    return b"".join(r + NEWLINE for r in records)


@dataclass(frozen=True)
class ParsedFile:
    header: bytes
    data: list[bytes]
    trailer_count: int
    trailer_total: int
    data_total: int


def parse_transfer_file(raw: bytes) -> ParsedFile:
    """Read a file back (for checks): records in order, the trailer against the data."""
    records = [r for r in raw.split(NEWLINE) if r]
    if any(len(r) != RECORD_LENGTH for r in records):
        raise ValueError("a record is not 120 bytes")
    kinds = "".join(chr(r[0]) for r in records)
    if not re.fullmatch(r"12*89", kinds):
        raise ValueError(f"records out of order: {kinds}")
    data = records[1:-2]
    trailer = records[-2]
    return ParsedFile(
        header=records[0],
        data=data,
        trailer_count=int(trailer[1:7]),
        trailer_total=int(trailer[7:19]),
        data_total=sum(int(r[80:90]) for r in data),
    )
