"""入金消込 in bulk: the bank's or post office's list (donation number or name + amount + date).

A row is applied only when it identifies exactly one unpaid donation whose amount agrees;
anything else is listed as a mismatch for staff — never guessed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.donations import normalise as norm
from portal.donations.importers.engine import RowError, decode
from portal.donations.lifecycle import mark_paid
from portal.donations.models import Donation, DonationState

if TYPE_CHECKING:
    from portal.accounts.models import User

NUMBER_HEADERS = ("寄附受付番号", "受付番号", "寄附番号")
NAME_HEADERS = ("氏名", "振込依頼人名", "依頼人名")
AMOUNT_HEADERS = ("金額", "入金額", "寄附金額")
DATE_HEADERS = ("入金日", "振込日", "取扱日")


@dataclass
class Mismatch:
    line: int
    reason: Any


@dataclass
class MatchResult:
    matched: list[str] = field(default_factory=list)  # donation numbers marked paid
    mismatches: list[Mismatch] = field(default_factory=list)


def _col(header: list[str], names: tuple[str, ...]) -> int | None:
    for i, h in enumerate(header):
        if h.strip().lstrip("\ufeff") in names:
            return i
    return None


def _date(text: str) -> date:
    value = norm.nfkc(text)
    for fmt in ("%Y/%m/%d", "%Y-%m-%d", "%Y%m%d"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise RowError(_l("入金日「%(value)s」を読めません。", value=value))


def _cells(row: list[str]) -> Any:
    return lambda i: row[i] if i is not None and i < len(row) else ""


def match_payments(session: Session, data: bytes, *, by_user: User | None = None) -> MatchResult:
    result = MatchResult()
    try:
        text = decode(data, "cp932")
    except RowError as exc:
        result.mismatches.append(Mismatch(1, exc.reason))
        return result
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    c_no, c_name = _col(header, NUMBER_HEADERS), _col(header, NAME_HEADERS)
    c_amount, c_date = _col(header, AMOUNT_HEADERS), _col(header, DATE_HEADERS)
    if c_amount is None or c_date is None or (c_no is None and c_name is None):
        result.mismatches.append(
            Mismatch(1, _l("見出し行に 寄附受付番号または氏名、金額、入金日 の列が必要です。"))
        )
        return result
    start = 2
    for row in reader:
        line, start = start, reader.line_num + 1
        if not any(c.strip() for c in row):
            continue
        cell = _cells(row)
        try:
            amount_text = norm.digits(cell(c_amount))
            if not amount_text:
                raise RowError(_l("金額がありません。"))
            amount, paid_on = int(amount_text), _date(cell(c_date))
            number = norm.nfkc(cell(c_no))
            stmt = sa.select(Donation).where(Donation.state == DonationState.RECEIVED)
            if number:
                stmt = stmt.where(Donation.donation_no == number)
            else:
                name = norm.name(cell(c_name))
                kana = norm.kana(name)
                stmt = stmt.where(
                    sa.or_(Donation.donor_name == name, Donation.donor_kana == kana),
                    Donation.amount == amount,
                )
            found = session.scalars(stmt.limit(2)).all()
            if not found:
                raise RowError(_l("該当する未入金の寄附がありません。"))
            if len(found) > 1:
                raise RowError(_l("該当する寄附が複数あります。寄附受付番号で確認してください。"))
            donation = found[0]
            if donation.amount != amount:
                raise RowError(
                    _l(
                        "金額が一致しません（寄附 %(expected)s円、入金 %(got)s円）。",
                        expected=f"{donation.amount:,}",
                        got=f"{amount:,}",
                    )
                )
            with session.begin_nested():
                mark_paid(session, donation, paid_on, by_user=by_user)
            result.matched.append(donation.donation_no)
        except RowError as exc:
            result.mismatches.append(Mismatch(line, exc.reason))
    return result
