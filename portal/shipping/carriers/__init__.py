"""Carriers: tracking-number rules, tracking pages, label CSVs and shipment-history CSVs.

Contract shared by the supplier screens (portal/web/supplier_orders.py) and this module.

Sources (checked 2026-11; see also /work/shared/DOMAIN-NOTES.md §3.3):

- Tracking numbers. ヤマト運輸, 佐川急便 and 日本郵便 (ゆうパック) print 12-digit 伝票番号 whose last
  digit is the first eleven read as one number, modulo 7 ("7DR"); verified on published sample
  numbers (ヤマト 4444-1375-8703, 佐川 5125-4751-4334, ゆうパック 4055-4842-4886) and the check used by
  parcel-tracking libraries (e.g. github.com/TakamoriYamashiro/shipping-jp-js, nayutaya/packtrack).
  日本郵便's other domestic numbers (書留・特定記録, 11 or 13 digits) publish no check digit.
  International / registered items use the UPU S10 format (2 letters, 8 digits, a check digit,
  country code JP; weights 8 6 4 2 3 5 9 7, modulo 11 — UPU standard S10-12).
- Label CSV layouts: see the comment above each ``*_COLUMNS`` tuple.
- Shipment-history CSVs: see ``_HISTORY_FORMATS``.
"""

from __future__ import annotations

import csv
import enum
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l

from portal.core.errors import DomainError
from portal.gifts.models import TemperatureBand


class Carrier(enum.StrEnum):
    YAMATO = "yamato"  # ヤマト運輸 (B2クラウド)
    SAGAWA = "sagawa"  # 佐川急便 (e飛伝)
    JAPAN_POST = "japanpost"  # 日本郵便 (ゆうプリR)
    OTHER = "other"  # その他


CARRIER_LABELS = {
    Carrier.YAMATO: _l("ヤマト運輸"),
    Carrier.SAGAWA: _l("佐川急便"),
    Carrier.JAPAN_POST: _l("日本郵便"),
    Carrier.OTHER: _l("その他"),
}

# What suppliers type in the 配送業者 column of our simple CSV (compared after NFKC + lower()).
_CARRIER_NAMES = {
    Carrier.YAMATO: ("ヤマト運輸", "ヤマト", "クロネコヤマト", "yamato"),
    Carrier.SAGAWA: ("佐川急便", "佐川", "sagawa"),
    Carrier.JAPAN_POST: ("日本郵便", "ゆうパック", "郵便", "japanpost", "japan post"),
    Carrier.OTHER: ("その他", "other"),
}


def carrier_from_name(text: str) -> Carrier | None:
    key = unicodedata.normalize("NFKC", text or "").strip().lower()
    for carrier, names in _CARRIER_NAMES.items():
        if key in names:
            return carrier
    return None


# --- tracking numbers -------------------------------------------------------------------------

_SPACES_AND_HYPHENS = re.compile(r"[\s\-‐‑‒–—―−ー]+")
_S10 = re.compile(r"^([A-Z]{2})(\d{8})(\d)([A-Z]{2})$")
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def _mod7_ok(number: str) -> bool:
    return int(number[:-1]) % 7 == int(number[-1])


def _s10_check_digit(serial: str) -> int:
    remainder = sum(int(d) * w for d, w in zip(serial, _S10_WEIGHTS, strict=True)) % 11
    check = 11 - remainder
    return {10: 0, 11: 5}.get(check, check)


def validate_tracking(carrier: Carrier, raw: str) -> str:
    """The normalised tracking number (half-width digits, no hyphens), or DomainError."""
    number = _SPACES_AND_HYPHENS.sub("", unicodedata.normalize("NFKC", raw or "")).upper()
    if not number:
        raise DomainError(_l("追跡番号を入力してください。"), field="tracking_no")
    bad_check = DomainError(
        _l("追跡番号の最後の桁（チェック数字）が合いません。伝票の番号を確かめてください。"),
        field="tracking_no",
    )
    if carrier in (Carrier.YAMATO, Carrier.SAGAWA):
        if not re.fullmatch(r"\d{12}", number):
            message = (
                _l("ヤマト運輸の追跡番号は12桁の数字です。")
                if carrier == Carrier.YAMATO
                else _l("佐川急便の追跡番号は12桁の数字です。")
            )
            raise DomainError(message, field="tracking_no")
        if not _mod7_ok(number):
            raise bad_check
        return number
    if carrier == Carrier.JAPAN_POST:
        if re.fullmatch(r"\d{11,13}", number):
            if len(number) == 12 and not _mod7_ok(number):
                raise bad_check
            return number
        match = _S10.match(number)
        if match and match.group(4) == "JP":
            if _s10_check_digit(match.group(2)) != int(match.group(3)):
                raise bad_check
            return number
        raise DomainError(
            _l("日本郵便の追跡番号は11〜13桁の数字、または英字2文字＋数字9桁＋JPです。"),
            field="tracking_no",
        )
    if not re.fullmatch(r"[0-9A-Z]{4,30}", number):
        raise DomainError(_l("追跡番号は英数字4〜30文字で入力してください。"), field="tracking_no")
    return number


# Public tracking pages (each takes the number in the query string; checked 2026-11):
# ヤマト https://toi.kuronekoyamato.co.jp/cgi-bin/tneko (number01..number10),
# 佐川 https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do (okurijoNo),
# 日本郵便 https://trackings.post.japanpost.jp/services/srv/search/direct (reqCodeNo1).
_TRACKING_URLS = {
    Carrier.YAMATO: "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number00=1&number01={n}",
    Carrier.SAGAWA: "https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo={n}",
    Carrier.JAPAN_POST: (
        "https://trackings.post.japanpost.jp/services/srv/search/direct"
        "?reqCodeNo1={n}&searchKind=S002&locale=ja"
    ),
}


def tracking_url(carrier: Carrier, number: str) -> str | None:
    """The carrier's public tracking page for this number (None for OTHER)."""
    template = _TRACKING_URLS.get(Carrier(carrier))
    if template is None or not number:
        return None
    return template.format(n=re.sub(r"[^0-9A-Za-z]", "", number))


# --- CP932 text ----------------------------------------------------------------------------------

# The carriers' label software takes JIS X 0208 only: B2クラウド and e飛伝 reject 機種依存文字 (NEC
# special characters such as ①, ㈱ and the NEC/IBM extension kanji such as 髙 or 﨑, although
# Windows' CP932 can encode them). Each character outside JIS X 0208 is replaced, in order, by:
#   1. this table of common name/place variants (異体字 → 通用字体),
#   2. its NFKC form when that is JIS X 0208 (① → 1, ㈱ → (株), Ⅱ → II, half-width kana → full),
#   3. 〓 (げた記号), the conventional mark for "a character that cannot be printed", so the
#      supplier sees on the label that one character needs writing by hand.
CP932_SUBSTITUTES = {
    "髙": "高",
    "﨑": "崎",
    "𠮷": "吉",
    "德": "徳",
    "栁": "柳",
    "瀨": "瀬",
    "濵": "浜",
    "槗": "橋",
    "黑": "黒",
    "淸": "清",
    "增": "増",
    "〜": "～",
    "−": "－",
    "‐": "－",
    "‑": "－",
    "–": "－",
    "—": "―",
    "\u00a0": " ",
}
UNPRINTABLE = "〓"


def _jis0208_ok(ch: str) -> bool:
    try:
        encoded = ch.encode("cp932")
    except UnicodeEncodeError:
        return False
    if len(encoded) == 1:
        return True
    lead = encoded[0]
    # JIS X 0208 rows map to lead bytes 81–84 (symbols, kana, Greek, Cyrillic), 88–9F and E0–EA
    # (kanji levels 1 and 2); 85–87 are NEC row 13, ED–EE and FA–FC the NEC/IBM extensions.
    return 0x81 <= lead <= 0x84 or 0x88 <= lead <= 0x9F or 0xE0 <= lead <= 0xEA


def to_cp932_text(text: str) -> str:
    """Text the carrier software will accept: JIS X 0208 characters only, one line."""
    out = []
    for ch in (text or "").replace("\r\n", " ").replace("\n", " ").replace("\r", " "):
        if _jis0208_ok(ch) and ch not in ("〜", "−"):
            out.append(ch)
            continue
        if ch in CP932_SUBSTITUTES and _jis0208_ok(CP932_SUBSTITUTES[ch]):
            out.append(CP932_SUBSTITUTES[ch])
            continue
        folded = unicodedata.normalize("NFKC", ch)
        if folded and all(_jis0208_ok(c) for c in folded):
            out.append(folded)
            continue
        out.append(UNPRINTABLE)
    return "".join(out)


def _cp932_len(text: str) -> int:
    return len(text.encode("cp932"))


def _split_bytes(text: str, width: int, parts: int) -> list[str]:
    """Cut text into `parts` fields of at most `width` CP932 bytes (2 per full-width character).

    Whatever does not fit stays in the last field rather than being dropped: the carrier's
    software then flags the over-long field and the supplier shortens it there, knowingly.
    """
    chunks: list[str] = []
    rest = text
    for _ in range(parts - 1):
        cut, used = 0, 0
        for i, ch in enumerate(rest):
            size = _cp932_len(ch)
            if used + size > width:
                break
            cut, used = i + 1, used + size
        else:
            cut = len(rest)
        chunks.append(rest[:cut])
        rest = rest[cut:]
    chunks.append(rest)
    return chunks


def _postal(code: str) -> str:
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", code or ""))
    return f"{digits[:3]}-{digits[3:]}" if len(digits) == 7 else digits


def _phone(number: str) -> str:
    return re.sub(r"[^0-9-]", "", unicodedata.normalize("NFKC", number or "").replace("ー", "-"))


# --- label CSVs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelRow:
    order_no: str
    recipient_name: str
    recipient_postal: str
    recipient_address: str
    recipient_phone: str
    sender_name: str
    sender_postal: str
    sender_address: str
    sender_phone: str
    item_name: str
    quantity: int
    temperature: TemperatureBand
    desired_date: date | None
    desired_time: str
    ship_on: date


def time_band(text: str) -> str | None:
    """The donor's 時間帯 as one of am, 1214, 1416, 1618, 1820, 1921 (None = no band)."""
    t = unicodedata.normalize("NFKC", text or "").replace(" ", "")
    if not t or t in ("指定なし", "なし"):
        return None
    if "午前" in t:
        return "am"
    hours = [int(h) for h in re.findall(r"(\d{1,2})(?::\d{2})?", t)]
    if len(hours) == 1 and len(t) == 4 and t.isdigit():  # a carrier code such as 1416
        hours = [int(t[:2]), int(t[2:])]
    bands = {(8, 12): "am", (12, 14): "1214", (14, 16): "1416", (16, 18): "1618",
             (18, 20): "1820", (19, 21): "1921", (20, 21): "1921"}  # fmt: skip
    return bands.get((hours[0], hours[1])) if len(hours) >= 2 else None
    if "午前" in t or re.search(r"(^|\D)0?8\D+12", t):
        return "am"
    for start, end, band in (
        (12, 14, "1214"),
        (14, 16, "1416"),
        (16, 18, "1618"),
        (18, 20, "1820"),
        (19, 21, "1921"),
        (20, 21, "1921"),
    ):
        if re.search(rf"(^|\D){start}\D+{end}(\D|$)", t) or t == f"{start}{end}":
            return band
    return None


def _item_text(row: LabelRow) -> str:
    return row.item_name if row.quantity <= 1 else f"{row.item_name} ×{row.quantity}"


# ヤマト運輸 B2クラウド 「外部データから発行」 import layout (CSV, Shift-JIS, CRLF, title row, data
# from row 2; 97 columns in fixed order). Sources, read 2026-11: ヤマト運輸「B2 送り状発行データ
# レイアウト 入出力用」(https://paperzz.com/doc/5980562/), aiship「CSVレイアウト（ヤマトB2形式）」
# (https://manual.aiship.jp/csvレイアウト（ヤマトb2形式）), flagship「B2クラウド」
# (https://support.flagship.cc/hc/ja/articles/20012051036569).
# Filled: 1 お客様管理番号 (= order_no, 半角英数 ≤ 20), 2 送り状種類 (0 発払), 3 クール区分 (0 通常,
# 1 冷凍, 2 冷蔵), 5 出荷予定日 and 6 お届け予定日 (YYYY/MM/DD), 7 配達時間帯 (0812 1214 1416 1618
# 1820 1921), 9 お届け先電話番号, 11 お届け先郵便番号, 12 お届け先住所 (≤ 64 bytes) + 13 アパート
# マンション名 (≤ 32 bytes), 16 お届け先名 (≤ 32 bytes), 18 敬称 (様), 20/22/23/24/25 ご依頼主,
# 28 品名１ (≤ 50 bytes), 38 発行枚数 (1). 請求先顧客コード (40) and 運賃管理番号 (42) belong to the
# supplier's own contract and are set in their B2クラウド 取込みパターン. 4 伝票番号 is B2's output.
B2_COLUMNS = (
    "お客様管理番号",
    "送り状種類",
    "クール区分",
    "伝票番号",
    "出荷予定日",
    "お届け予定日",
    "配達時間帯",
    "お届け先コード",
    "お届け先電話番号",
    "お届け先電話番号枝番",
    "お届け先郵便番号",
    "お届け先住所",
    "お届け先アパートマンション名",
    "お届け先会社・部門１",
    "お届け先会社・部門２",
    "お届け先名",
    "お届け先名(ｶﾅ)",
    "敬称",
    "ご依頼主コード",
    "ご依頼主電話番号",
    "ご依頼主電話番号枝番",
    "ご依頼主郵便番号",
    "ご依頼主住所",
    "ご依頼主アパートマンション",
    "ご依頼主名",
    "ご依頼主名(ｶﾅ)",
    "品名コード１",
    "品名１",
    "品名コード２",
    "品名２",
    "荷扱い１",
    "荷扱い２",
    "記事",
    "ｺﾚｸﾄ代金引換額（税込)",
    "内消費税額等",
    "止置き",
    "営業所コード",
    "発行枚数",
    "個数口表示フラグ",
    "請求先顧客コード",
    "請求先分類コード",
    "運賃管理番号",
    "クロネコwebコレクトデータ登録",
    "クロネコwebコレクト加盟店番号",
    "クロネコwebコレクト申込受付番号１",
    "クロネコwebコレクト申込受付番号２",
    "クロネコwebコレクト申込受付番号３",
    "お届け予定ｅメール利用区分",
    "お届け予定ｅメールe-mailアドレス",
    "入力機種",
    "お届け予定ｅメールメッセージ",
    "お届け完了ｅメール利用区分",
    "お届け完了ｅメールe-mailアドレス",
    "お届け完了ｅメールメッセージ",
    "クロネコ収納代行利用区分",
    "予備",
    "収納代行請求金額(税込)",
    "収納代行内消費税額等",
    "収納代行請求先郵便番号",
    "収納代行請求先住所",
    "収納代行請求先住所（アパートマンション名）",
    "収納代行請求先会社・部門名１",
    "収納代行請求先会社・部門名２",
    "収納代行請求先名(漢字)",
    "収納代行請求先名(カナ)",
    "収納代行問合せ先名(漢字)",
    "収納代行問合せ先郵便番号",
    "収納代行問合せ先住所",
    "収納代行問合せ先住所（アパートマンション名）",
    "収納代行問合せ先電話番号",
    "収納代行管理番号",
    "収納代行品名",
    "収納代行備考",
    "複数口くくりキー",
    "検索キータイトル1",
    "検索キー1",
    "検索キータイトル2",
    "検索キー2",
    "検索キータイトル3",
    "検索キー3",
    "検索キータイトル4",
    "検索キー4",
    "検索キータイトル5",
    "検索キー5",
    "予備",
    "予備",
    "投函予定メール利用区分",
    "投函予定メールe-mailアドレス",
    "投函予定メールメッセージ",
    "投函完了メール（お届け先宛）利用区分",
    "投函完了メール（お届け先宛）e-mailアドレス",
    "投函完了メール（お届け先宛）メールメッセージ",
    "投函完了メール（ご依頼主宛）利用区分",
    "投函完了メール（ご依頼主宛）e-mailアドレス",
    "投函完了メール（ご依頼主宛）メールメッセージ",
    "連携管理番号",
    "通知メールアドレス",
)
B2_COOL = {TemperatureBand.AMBIENT: "0", TemperatureBand.FROZEN: "1", TemperatureBand.CHILLED: "2"}
# 2021-04 ヤマト replaced 20–21時 by 19–21時 (code 1921).
B2_TIME = {
    "am": "0812",
    "1214": "1214",
    "1416": "1416",
    "1618": "1618",
    "1820": "1820",
    "1921": "1921",
}


def _b2_row(row: LabelRow) -> dict[str, str]:
    address, building = _split_bytes(to_cp932_text(row.recipient_address), 64, 2)
    s_address, s_building = _split_bytes(to_cp932_text(row.sender_address), 64, 2)
    band = time_band(row.desired_time)
    return {
        "お客様管理番号": row.order_no,
        "送り状種類": "0",
        "クール区分": B2_COOL[TemperatureBand(row.temperature)],
        "出荷予定日": row.ship_on.strftime("%Y/%m/%d"),
        "お届け予定日": row.desired_date.strftime("%Y/%m/%d") if row.desired_date else "",
        "配達時間帯": B2_TIME[band] if band else "",
        "お届け先電話番号": _phone(row.recipient_phone),
        "お届け先郵便番号": _postal(row.recipient_postal),
        "お届け先住所": address,
        "お届け先アパートマンション名": building,
        "お届け先名": to_cp932_text(row.recipient_name),
        "敬称": "様",
        "ご依頼主電話番号": _phone(row.sender_phone),
        "ご依頼主郵便番号": _postal(row.sender_postal),
        "ご依頼主住所": s_address,
        "ご依頼主アパートマンション": s_building,
        "ご依頼主名": to_cp932_text(row.sender_name),
        "品名１": to_cp932_text(_item_text(row)),
        "発行枚数": "1",
    }


# 佐川急便 e飛伝Ⅱ 「出荷データ取込」 standard pattern (標準パターン, CSV, Shift-JIS, title row; 42
# columns). e飛伝Ⅲ imports the same file through its e飛伝Ⅱ-compatible 取込みパターン. Sources,
# read 2026-11: 「【e飛伝Ⅱ 便種対応版】出荷データCSV入力項目レイアウト」(2016-09-01,
# https://paperzz.com/doc/6185757/), d2c-square (https://d2c-square.com/?p=805), tatempo
# (https://help.tatempo.guide/ehidenpro).
# Filled: 2 お届け先電話番号 (≤ 14), 3 お届け先郵便番号 (≤ 8), 4–6 お届け先住所１–３ (16 全角 each),
# 7–8 お届け先名称１–２ (16 全角 each), 9 お客様管理ナンバー (= order_no), 13–18 ご依頼主,
# 19 荷姿コード (001 箱類), 20–21 品名１–２ (16 全角 each), 25 出荷個数 (1), 26 便種（スピードで選択）
# (000 飛脚宅配便), 27 便種（商品） (001 指定なし, 002 飛脚クール便（冷蔵）, 003 飛脚クール便（冷凍）),
# 28 配達日 (YYYYMMDD), 29 配達指定時間帯 (01 午前中, 12, 14, 16, 18 = 18–20, 19 = 19–21),
# 42 元着区分 (1 元払).
EHIDEN_COLUMNS = (
    "住所録コード",
    "お届け先電話番号",
    "お届け先郵便番号",
    "お届け先住所１",
    "お届け先住所２",
    "お届け先住所３",
    "お届け先名称１",
    "お届け先名称２",
    "お客様管理ナンバー",
    "お客様コード",
    "部署・担当者",
    "荷送人電話番号",
    "ご依頼主電話番号",
    "ご依頼主郵便番号",
    "ご依頼主住所１",
    "ご依頼主住所２",
    "ご依頼主名称１",
    "ご依頼主名称２",
    "荷姿コード",
    "品名１",
    "品名２",
    "品名３",
    "品名４",
    "品名５",
    "出荷個数",
    "便種（スピードで選択）",
    "便種（商品）",
    "配達日",
    "配達指定時間帯",
    "配達指定時間（時分）",
    "代引金額",
    "消費税",
    "決済種別",
    "保険金額",
    "保険金額印字",
    "指定シール①",
    "指定シール②",
    "指定シール③",
    "営業店止め",
    "ＳＲＣ区分",
    "営業店コード",
    "元着区分",
)
EHIDEN_COOL = {
    TemperatureBand.AMBIENT: "001",
    TemperatureBand.CHILLED: "002",
    TemperatureBand.FROZEN: "003",
}
EHIDEN_TIME = {"am": "01", "1214": "12", "1416": "14", "1618": "16", "1820": "18", "1921": "19"}


def _ehiden_row(row: LabelRow) -> dict[str, str]:
    a1, a2, a3 = _split_bytes(to_cp932_text(row.recipient_address), 32, 3)
    n1, n2 = _split_bytes(to_cp932_text(row.recipient_name + " 様"), 32, 2)
    s1, s2 = _split_bytes(to_cp932_text(row.sender_address), 32, 2)
    sn1, sn2 = _split_bytes(to_cp932_text(row.sender_name), 32, 2)
    i1, i2 = _split_bytes(to_cp932_text(_item_text(row)), 32, 2)
    band = time_band(row.desired_time)
    return {
        "お届け先電話番号": _phone(row.recipient_phone),
        "お届け先郵便番号": _postal(row.recipient_postal),
        "お届け先住所１": a1,
        "お届け先住所２": a2,
        "お届け先住所３": a3,
        "お届け先名称１": n1,
        "お届け先名称２": n2,
        "お客様管理ナンバー": row.order_no,
        "ご依頼主電話番号": _phone(row.sender_phone),
        "ご依頼主郵便番号": _postal(row.sender_postal),
        "ご依頼主住所１": s1,
        "ご依頼主住所２": s2,
        "ご依頼主名称１": sn1,
        "ご依頼主名称２": sn2,
        "荷姿コード": "001",
        "品名１": i1,
        "品名２": i2,
        "出荷個数": "1",
        "便種（スピードで選択）": "000",
        "便種（商品）": EHIDEN_COOL[TemperatureBand(row.temperature)],
        "配達日": row.desired_date.strftime("%Y%m%d") if row.desired_date else "",
        "配達指定時間帯": EHIDEN_TIME[band] if band else "",
        "元着区分": "1",
    }


# 日本郵便 ゆうパックプリントR 「発送予定データ」 layout (CSV, Shift-JIS, title row; imported through a
# フィルタ the user registers once in ゆうプリR, 「外部データ取込」). Sources, read 2026-11: 日本郵便
# 「ゆうパックプリントR 6. フィルタ設定説明書」(2016-08-30, https://expydoc.com/doc/10603303/),
# 「ゆうパックプリントR CSV入出力項目」(2014-02-13, http://paperzz.com/doc/5322404/), flagship
# (https://support.flagship.cc/hc/ja/articles/20012621417113).
# Filled: 1 お客様側管理番号 (= order_no, ≤ 15), 2 発送予定日 (yyyymmdd), 6 郵便種別 (0 ゆうパック),
# 7 保冷種別 (0 なし, 1 チルド, 2 冷凍), 8 元／着払／代引 (0 元払), 13 お届け先 郵便番号 (XXX-XXXX),
# 14–16 お届け先 住所１–３ (50 bytes each), 17 お届け先 名称１, 20 お届け先 電話番号, 30–37 ご依頼主,
# 65 配達指定日／希望日 (yyyymmdd), 66 配達時間帯区分 (00 指定なし, 51 午前中, 52 12–14, 53 14–16,
# 54 16–18, 55 18–20, 56 19–21/20–21), 72 複数個口数 (1), 103 品名, 104 個数.
YUPRI_COLUMNS = (
    "お客様側管理番号",
    "発送予定日",
    "発送予定時間区分",
    "出荷期限日",
    "到着期限日",
    "郵便種別",
    "保冷種別",
    "元／着払／代引",
    "書留／セキュリティ／特定記録種別",
    "配達時間帯指定郵便種別",
    "送り状種別",
    "お届け先 コード",
    "お届け先 郵便番号",
    "お届け先 住所１",
    "お届け先 住所２",
    "お届け先 住所３",
    "お届け先 名称１",
    "お届け先 名称２",
    "お届け先 敬称区分",
    "お届け先 電話番号",
    "お届け先 メールアドレス１",
    "お届け先 局留め区分",
    "お届け先 局留め郵便局名",
    "お届け先 局留めメール使用区分",
    "お届け先 局留め郵便番号",
    "お届け先 配達予告メール使用区分",
    "お届け先 再配達予告メール使用区分",
    "ご依頼主 コード",
    "ご依頼主 集荷先と同一区分",
    "ご依頼主 郵便番号",
    "ご依頼主 住所１",
    "ご依頼主 住所２",
    "ご依頼主 住所３",
    "ご依頼主 名称１",
    "ご依頼主 名称２",
    "ご依頼主 敬称",
    "ご依頼主 電話番号",
    "ご依頼主 メールアドレス１",
    "ご依頼主 荷送人指図区分",
    "ご依頼主 お届け通知メール使用区分",
    "ご依頼主 お届け通知はがき使用区分",
    "集荷先 コード",
    "集荷先 連携可否区分",
    "集荷先 会社コード",
    "集荷先 依頼先店所コード",
    "集荷先 郵便番号",
    "集荷先 住所１",
    "集荷先 住所２",
    "集荷先 住所３",
    "集荷先 名称１",
    "集荷先 名称２",
    "集荷先 敬称",
    "集荷先 電話番号",
    "受注番号",
    "こわれもの区分",
    "なまもの区分",
    "ビン類区分",
    "逆さま厳禁区分",
    "下積み厳禁区分",
    "商品サイズ区分",
    "重量合計（ｇ）",
    "25kg超重量物区分",
    "損害要償額",
    "速達・配達日指定種別",
    "配達指定日／希望日",
    "配達時間帯区分",
    "差出方法区分",
    "ゆうパック複数個割引",
    "ゆうパック同一割引",
    "セット商品コード",
    "セット品名ラベル印字区分",
    "複数個口数",
    "記事名１",
    "記事名２",
    "フリー項目０１",
    "フリー項目０２",
    "フリー項目０３",
    "フリー項目０４",
    "フリー項目０５",
    "フリー項目０６",
    "フリー項目０７",
    "フリー項目０８",
    "フリー項目０９",
    "フリー項目１０",
    "空港利用区分",
    "空港・局／支店名",
    "航空会社名",
    "利用便名",
    "レジャー区分",
    "プレー・搭乗日",
    "プレー・搭乗時間",
    "クラブ本数",
    "復路集貨日",
    "出荷先登録名",
    "集荷希望区分",
    "集荷日付",
    "集荷時間帯区分",
    "支店連携先選択用名称",
    "代引金額",
    "代引消費税金額",
    "送り状発行年月日",
    "商品番号",
    "品名",
    "個数",
    "重量（ｇ）",
    "単価",
    "金額",
    "商品備考０１",
    "商品備考０２",
    "商品備考０３",
    "商品備考０４",
    "商品備考０５",
    "商品備考０６",
    "商品備考０７",
    "商品備考０８",
    "商品備考０９",
    "商品備考１０",
)
YUPRI_COOL = {
    TemperatureBand.AMBIENT: "0",
    TemperatureBand.CHILLED: "1",
    TemperatureBand.FROZEN: "2",
}
YUPRI_TIME = {"am": "51", "1214": "52", "1416": "53", "1618": "54", "1820": "55", "1921": "56"}


def _yupri_row(row: LabelRow) -> dict[str, str]:
    a1, a2, a3 = _split_bytes(to_cp932_text(row.recipient_address), 50, 3)
    s1, s2, s3 = _split_bytes(to_cp932_text(row.sender_address), 50, 3)
    band = time_band(row.desired_time)
    return {
        "お客様側管理番号": row.order_no,
        "発送予定日": row.ship_on.strftime("%Y%m%d"),
        "郵便種別": "0",
        "保冷種別": YUPRI_COOL[TemperatureBand(row.temperature)],
        "元／着払／代引": "0",
        "お届け先 郵便番号": _postal(row.recipient_postal),
        "お届け先 住所１": a1,
        "お届け先 住所２": a2,
        "お届け先 住所３": a3,
        "お届け先 名称１": to_cp932_text(row.recipient_name),
        "お届け先 電話番号": _phone(row.recipient_phone),
        "ご依頼主 郵便番号": _postal(row.sender_postal),
        "ご依頼主 住所１": s1,
        "ご依頼主 住所２": s2,
        "ご依頼主 住所３": s3,
        "ご依頼主 名称１": to_cp932_text(row.sender_name),
        "ご依頼主 電話番号": _phone(row.sender_phone),
        "配達指定日／希望日": row.desired_date.strftime("%Y%m%d") if row.desired_date else "",
        "配達時間帯区分": YUPRI_TIME[band] if band else "00",
        "複数個口数": "1",
        "品名": to_cp932_text(row.item_name),
        "個数": str(row.quantity),
    }


LABEL_LAYOUTS = {
    Carrier.YAMATO: (B2_COLUMNS, _b2_row),
    Carrier.SAGAWA: (EHIDEN_COLUMNS, _ehiden_row),
    Carrier.JAPAN_POST: (YUPRI_COLUMNS, _yupri_row),
}
LABEL_FILENAMES = {
    Carrier.YAMATO: "b2cloud",
    Carrier.SAGAWA: "ehiden",
    Carrier.JAPAN_POST: "yupurir",
}


def label_csv(carrier: Carrier, rows: Sequence[LabelRow]) -> bytes:
    """The file the carrier's label software imports: CP932, CRLF, one title row."""
    try:
        columns, build = LABEL_LAYOUTS[Carrier(carrier)]
    except KeyError:
        raise DomainError(_l("この配送業者の送り状データはありません。"), field="carrier") from None
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        values = build(row)
        writer.writerow([values.get(name, "") for name in columns])
    return out.getvalue().encode("cp932")


# --- shipment files (upload) ----------------------------------------------------------------------


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


# How each file is recognised: by its header cells (compared with _key()).
# - simple: our own template, 注文番号,追跡番号,配送業者,発送日.
# - b2: B2クラウド 「発行済データ」→ CSV出力 writes the import layout back with 伝票番号 filled
#   (B2_COLUMNS above; 速販C2 manual https://manualc2.sokuhan.jp/manualc2/op-h/yamato/yamato-w/).
# - ehiden: e飛伝Ⅱ/Ⅲ 出荷履歴 export: お客様管理ナンバー and お問合せ送り状No. (e-shops
#   https://cart.e-shops.jp/faq/7249 lists B2, e飛伝Ⅱ and ゆうプリR history files as the usual trio).
# - yupri: ゆうプリR 発送履歴 export through an output フィルタ: お客様側管理番号 and お問い合わせ番号
#   (フィルタ設定説明書 §2-5, https://expydoc.com/doc/10603303/).
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
    ),
)


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
