"""Shipment-history files a supplier uploads: our simple CSV or a carrier's own export.

Each format is recognised by its header cells (see ``_HISTORY_FORMATS``); every row becomes a
shipment to confirm or a problem with its line number and reason.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l

from portal.core.errors import DomainError
from portal.shipping.carriers.names import Carrier, carrier_from_name
from portal.shipping.carriers.tracking import validate_tracking


@dataclass(frozen=True)
class ShipmentRow:
    line: int
    order_no: str
    carrier: Carrier
    tracking_no: str
    shipped_on: date


@dataclass(frozen=True)
class RowProblem:
    line: int
    reason: object  # lazy translated string
    order_no: str = ""


@dataclass
class ParsedShipments:
    format: str = ""  # simple | b2 | ehiden | yupri
    rows: list[ShipmentRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


FORMAT_LABELS = {
    "simple": _l("発送CSV（注文番号・追跡番号・配送業者・発送日）"),
    "b2": _l("ヤマト B2クラウド 発行済データ"),
    "ehiden": _l("佐川 e飛伝 出荷履歴"),
    "yupri": _l("日本郵便 ゆうプリR 発送履歴"),
}


def _key(header: str) -> str:
    """Header cell compared loosely: widths, spaces, brackets and (必須) do not matter."""
    text = unicodedata.normalize("NFKC", header or "").lstrip("\ufeff").lower()
    text = text.replace("(必須)", "")
    return re.sub(r"[\s・.()\[\]「」]", "", text)


@dataclass(frozen=True)
class _HistoryFormat:
    name: str
    carrier: Carrier | None  # None: a column says which
    order: tuple[str, ...]
    tracking: tuple[str, ...]
    date: tuple[str, ...]
    carrier_column: tuple[str, ...] = ()
    # ゆうプリR: 配達ステータス集約コード / 明細コード and 仮引受確定作業年月日 (see _not_shipped)
    status: tuple[str, ...] = ()
    status_detail: tuple[str, ...] = ()
    accepted_on: tuple[str, ...] = ()


# How each file is recognised: by its header cells (compared with _key()).
# - simple: our own template, 注文番号,追跡番号,配送業者,発送日.
# - b2: B2クラウド 「発行済データ」→ CSV出力 writes the import layout back with 伝票番号 filled
#   (b2cloud.py; 速販C2 manual https://manualc2.sokuhan.jp/manualc2/op-h/yamato/yamato-w/).
# - ehiden: e飛伝Ⅱ/Ⅲ 出荷履歴 export: お客様管理ナンバー and お問合せ送り状No. (e-shops
#   https://cart.e-shops.jp/faq/7249 lists B2, e飛伝Ⅱ and ゆうプリR history files as the usual trio).
# - yupri: ゆうプリR 発送履歴 export through an output フィルタ: お客様側管理番号 and お問い合わせ番号
#   (フィルタ設定説明書 §2-5, https://expydoc.com/doc/10603303/). Its 発送履歴 CSV also lists
#   parcels only scheduled: status 10/0A (引受予定) with no 仮引受確定作業年月日 is no shipment.
_HISTORY_FORMATS = (
    _HistoryFormat(
        "simple",
        None,
        order=("注文番号",),
        tracking=("追跡番号", "伝票番号", "お問い合わせ番号"),
        date=("発送日", "出荷日"),
        carrier_column=("配送業者", "運送会社"),
    ),
    _HistoryFormat(
        "b2",
        Carrier.YAMATO,
        order=("お客様管理番号",),
        tracking=("伝票番号", "送り状番号", "お問合せ伝票番号"),
        date=("出荷日", "出荷予定日", "発行日"),
    ),
    _HistoryFormat(
        "ehiden",
        Carrier.SAGAWA,
        order=("お客様管理ナンバー", "お客様管理番号"),
        tracking=(
            "お問合せ送り状no",
            "お問い合せ送り状no",
            "お問い合わせ送り状no",
            "送り状no",
            "送り状番号",
            "問合せno",
            "お問合せ番号",
        ),
        date=("出荷日", "集荷日", "出荷予定日"),
    ),
    _HistoryFormat(
        "yupri",
        Carrier.JAPAN_POST,
        order=("お客様側管理番号",),
        tracking=("お問い合わせ番号", "お問合せ番号", "問い合わせ番号", "追跡番号"),
        date=("発送日", "差出日", "発送予定日", "仮引受確定作業年月日"),
        status=("配達ステータス集約コード",),
        status_detail=("配達ステータス明細コード",),
        accepted_on=("仮引受確定作業年月日",),
    ),
)


def _not_shipped(status: str, detail: str, accepted_on: str) -> bool:
    """ゆうプリR 発送履歴: 10/0A is 引受予定 (only scheduled); without a 仮引受確定作業年月日 the
    parcel has not been handed over yet."""
    return status == "10" and detail.upper() == "0A" and not accepted_on


def _find(header_keys: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        key = _key(name)
        if key in header_keys:
            return header_keys.index(key)
    return None


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DomainError(
        _l("文字コードを判別できません（UTF-8 または Shift_JIS で保存してください）。"),
        field="file",
    )


def parse_date(text: str, *, today: date) -> date:
    """2026/12/01, 2026-12-01, 20261201 (a trailing time is ignored); not after today."""
    t = unicodedata.normalize("NFKC", text or "").strip().split(" ")[0]
    match = re.fullmatch(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})", t) or re.fullmatch(
        r"(\d{4})(\d{2})(\d{2})", t
    )
    if not match:
        raise DomainError(
            _l("発送日は 2026/12/01・2026-12-01・20261201 のどれかの形で入力してください。"),
            field="shipped_on",
        )
    try:
        value = date(*(int(part) for part in match.groups()))
    except ValueError:
        raise DomainError(_l("発送日が存在しない日付です。"), field="shipped_on") from None
    if value > today:
        raise DomainError(_l("発送日に未来の日付は入力できません。"), field="shipped_on")
    return value


def parse_shipment_file(data: bytes, *, today: date) -> ParsedShipments:
    """Rows to confirm and each bad row's line and reason; DomainError if the file is unusable.

    Lines are the file's physical line numbers (the header is line 1). A row whose 追跡番号 is
    empty (a label not printed yet) is reported, as is a second row for the same order.
    """
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    fmt: _HistoryFormat | None = None
    cols: dict[str, int | None] = {}
    result = ParsedShipments()
    seen: dict[str, int] = {}
    start = 1
    for cells in reader:
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = cells
            keys = [_key(c) for c in cells]
            for candidate in _HISTORY_FORMATS:
                order_i = _find(keys, candidate.order)
                tracking_i = _find(keys, candidate.tracking)
                carrier_i = _find(keys, candidate.carrier_column)
                if order_i is None or tracking_i is None:
                    continue
                if candidate.carrier is None and carrier_i is None:
                    continue
                fmt = candidate
                cols = {
                    "order": order_i,
                    "tracking": tracking_i,
                    "date": _find(keys, candidate.date),
                    "carrier": carrier_i,
                    "status": _find(keys, candidate.status),
                    "status_detail": _find(keys, candidate.status_detail),
                    "accepted_on": _find(keys, candidate.accepted_on),
                }
                break
            if fmt is None:
                raise DomainError(
                    _l(
                        "見出し行から形式が分かりません。注文番号・追跡番号・配送業者・発送日の"
                        "CSV、または B2クラウド・e飛伝・ゆうプリR の出荷履歴を選んでください。"
                    ),
                    field="file",
                )
            result.format = fmt.name
            continue
        assert fmt is not None

        def cell(name: str, cells: list[str] = cells, cols: dict = cols) -> str:
            index = cols.get(name)
            if index is None or index >= len(cells):
                return ""
            return unicodedata.normalize("NFKC", cells[index]).strip()

        order_no = cell("order")
        if not order_no:
            result.problems.append(RowProblem(line, _l("注文番号がありません。")))
            continue
        if _not_shipped(cell("status"), cell("status_detail"), cell("accepted_on")):
            result.problems.append(
                RowProblem(
                    line,
                    _l(
                        "引受予定（配達ステータス 10/0A）で、まだ引き受けられていません"
                        "（仮引受確定作業年月日が空）。発送としては登録しません。"
                    ),
                    order_no,
                )
            )
            continue
        carrier = fmt.carrier
        if carrier is None:
            carrier = carrier_from_name(cell("carrier"))
            if carrier is None:
                result.problems.append(
                    RowProblem(
                        line,
                        _l("配送業者が分かりません（ヤマト運輸・佐川急便・日本郵便・その他）。"),
                        order_no,
                    )
                )
                continue
        try:
            tracking_no = validate_tracking(carrier, cell("tracking"))
            raw_date = cell("date")
            shipped_on = parse_date(raw_date, today=today) if raw_date else today
        except DomainError as error:
            result.problems.append(RowProblem(line, error.message, order_no))
            continue
        if order_no in seen:
            result.problems.append(
                RowProblem(
                    line,
                    _l("同じ注文番号が %(line)s 行目にもあります。", line=seen[order_no]),
                    order_no,
                )
            )
            continue
        seen[order_no] = line
        result.rows.append(ShipmentRow(line, order_no, carrier, tracking_no, shipped_on))
    if header is None:
        raise DomainError(_l("ファイルが空です。"), field="file")
    return result
