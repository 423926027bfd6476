"""佐川急便 e飛伝Ⅲ: the standard import layout 「標準_飛脚宅配便_CSV」 (74 columns).

CSV, Shift-JIS, CRLF. e飛伝Ⅲ reads it with or without a title row; we write one (choose
「1行目はタイトル行」 in the 取込み設定). Column list: ../shared/formats/
sagawa_ehiden3_standard_74col_header.txt (two public sources agree). e飛伝Ⅱ's 42-column
標準パターン stays in ehiden.py for shippers still on e飛伝Ⅱ or its compatible pattern.

Filled: 3 お届け先電話番号, 4 お届け先郵便番号, 5–7 お届け先住所１–３ (16 全角 each), 8–9 お届け先
名称１–２ (16 全角 each), 10 お客様管理ナンバー (= order_no), 18–23 ご依頼主, 24 荷姿 (001 箱類),
25–26 品名１–２ (16 全角 each), 42 出荷個数 (1), 43 スピード指定 (000 飛脚宅配便), 44 クール便指定
(001 通常, 002 冷蔵, 003 冷凍), 45 配達日 (YYYYMMDD), 46 配達指定時間帯 (01 午前中, 12 12–14,
14 14–16, 16 16–18, 18 18–20, 19 19–21; 04 = 18–21 is not a wish we take), 58 元着区分 (1 元払),
61 出荷日 (YYYYMMDD).
"""

from __future__ import annotations

from portal.shipping.carriers.ehiden import COOL
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

TIME = {"am": "01", "1214": "12", "1416": "14", "1618": "16", "1820": "18", "1921": "19"}

LAYOUT = Layout(
    filename="ehiden3",
    columns=columns(
        "お届け先コード取得区分",
        "お届け先コード",
        ("お届け先電話番号", phone("recipient_phone")),
        ("お届け先郵便番号", postal("recipient_postal")),
        ("お届け先住所１", part("recipient_address", 32, 3, 0)),
        ("お届け先住所２", part("recipient_address", 32, 3, 1)),
        ("お届け先住所３", part("recipient_address", 32, 3, 2)),
        ("お届け先名称１", part("recipient_name", 32, 2, 0, suffix=" 様")),
        ("お届け先名称２", part("recipient_name", 32, 2, 1, suffix=" 様")),
        ("お客様管理ナンバー", field("order_no")),
        "お客様コード",
        "部署ご担当者コード取得区分",
        "部署ご担当者コード",
        "部署ご担当者名称",
        "荷送人電話番号",
        "ご依頼主コード取得区分",
        "ご依頼主コード",
        ("ご依頼主電話番号", phone("sender_phone")),
        ("ご依頼主郵便番号", postal("sender_postal")),
        ("ご依頼主住所１", part("sender_address", 32, 2, 0)),
        ("ご依頼主住所２", part("sender_address", 32, 2, 1)),
        ("ご依頼主名称１", part("sender_name", 32, 2, 0)),
        ("ご依頼主名称２", part("sender_name", 32, 2, 1)),
        ("荷姿", "001"),
        ("品名１", part("item_text", 32, 2, 0)),
        ("品名２", part("item_text", 32, 2, 1)),
        "品名３",
        "品名４",
        "品名５",
        "荷札荷姿",
        "荷札品名１",
        "荷札品名２",
        "荷札品名３",
        "荷札品名４",
        "荷札品名５",
        "荷札品名６",
        "荷札品名７",
        "荷札品名８",
        "荷札品名９",
        "荷札品名１０",
        "荷札品名１１",
        ("出荷個数", "1"),
        ("スピード指定", "000"),
        ("クール便指定", cool(COOL)),
        ("配達日", day("desired_date", "%Y%m%d")),
        ("配達指定時間帯", band(TIME)),
        "配達指定時間（時分）",
        "代引金額",
        "消費税",
        "決済種別",
        "保険金額",
        "指定シール１",
        "指定シール２",
        "指定シール３",
        "営業所受取",
        "SRC区分",
        "営業所受取営業所コード",
        ("元着区分", "1"),
        "メールアドレス",
        "ご不在時連絡先",
        ("出荷日", day("ship_on", "%Y%m%d")),
        "お問い合せ送り状No.",
        "出荷場印字区分",
        "集約解除指定",
        "編集０１",
        "編集０２",
        "編集０３",
        "編集０４",
        "編集０５",
        "編集０６",
        "編集０７",
        "編集０８",
        "編集０９",
        "編集１０",
    ),
)
