"""佐川急便 e飛伝Ⅱ: the 「出荷データ取込」 standard pattern (標準パターン, 42 columns).

CSV, Shift-JIS, a title row. e飛伝Ⅲ can import this file through an e飛伝Ⅱ-compatible
取込みパターン; its own standard layout is ehiden3.py (「標準_飛脚宅配便_CSV」, 74 columns). Sources, read 2026-11: 佐川急便「【e飛伝Ⅱ 便種対応版】出荷データCSV入力項目
レイアウト」(2016-09-01, https://paperzz.com/doc/6185757/), d2c-square
(https://d2c-square.com/?p=805), tatempo (https://help.tatempo.guide/ehidenpro).

Filled: 2 お届け先電話番号 (≤ 14), 3 お届け先郵便番号 (≤ 8), 4–6 お届け先住所１–３ (16 全角 each),
7–8 お届け先名称１–２ (16 全角 each), 9 お客様管理ナンバー (= order_no), 13–18 ご依頼主,
19 荷姿コード (001 箱類), 20–21 品名１–２ (16 全角 each), 25 出荷個数 (1), 26 便種（スピードで選択）
(000 飛脚宅配便), 27 便種（商品） (001 指定なし, 002 飛脚クール便（冷蔵）, 003 飛脚クール便（冷凍）),
28 配達日 (YYYYMMDD), 29 配達指定時間帯 (01 午前中, 12, 14, 16, 18 = 18–20, 19 = 19–21),
42 元着区分 (1 元払).
"""

from __future__ import annotations

from portal.gifts.models import TemperatureBand
from portal.shipping.carriers.layout import (
    Layout,
    band,
    columns,
    cool,
    day,
    field,
    part,
    phone,
    postal,
)

COOL = {
    TemperatureBand.AMBIENT: "001",
    TemperatureBand.CHILLED: "002",
    TemperatureBand.FROZEN: "003",
}
TIME = {"am": "01", "1214": "12", "1416": "14", "1618": "16", "1820": "18", "1921": "19"}

LAYOUT = Layout(
    filename="ehiden",
    columns=columns(
        "住所録コード",
        ("お届け先電話番号", phone("recipient_phone")),
        ("お届け先郵便番号", postal("recipient_postal")),
        ("お届け先住所１", part("recipient_address", 32, 3, 0)),
        ("お届け先住所２", part("recipient_address", 32, 3, 1)),
        ("お届け先住所３", part("recipient_address", 32, 3, 2)),
        ("お届け先名称１", part("recipient_name", 32, 2, 0, suffix=" 様")),
        ("お届け先名称２", part("recipient_name", 32, 2, 1, suffix=" 様")),
        ("お客様管理ナンバー", field("order_no")),
        "お客様コード",
        "部署・担当者",
        "荷送人電話番号",
        ("ご依頼主電話番号", phone("sender_phone")),
        ("ご依頼主郵便番号", postal("sender_postal")),
        ("ご依頼主住所１", part("sender_address", 32, 2, 0)),
        ("ご依頼主住所２", part("sender_address", 32, 2, 1)),
        ("ご依頼主名称１", part("sender_name", 32, 2, 0)),
        ("ご依頼主名称２", part("sender_name", 32, 2, 1)),
        ("荷姿コード", "001"),
        ("品名１", part("item_text", 32, 2, 0)),
        ("品名２", part("item_text", 32, 2, 1)),
        "品名３",
        "品名４",
        "品名５",
        ("出荷個数", "1"),
        ("便種（スピードで選択）", "000"),
        ("便種（商品）", cool(COOL)),
        ("配達日", day("desired_date", "%Y%m%d")),
        ("配達指定時間帯", band(TIME)),
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
        ("元着区分", "1"),
    ),
)
