"""Carrier rules: tracking numbers, label CSV layouts, shipment-history uploads."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest

from portal.core.errors import DomainError
from portal.gifts.models import TemperatureBand
from portal.shipping.carriers import (
    B2_COLUMNS,
    EHIDEN3_COLUMNS,
    EHIDEN_COLUMNS,
    UNPRINTABLE,
    YUPRI_COLUMNS,
    Carrier,
    LabelRow,
    label_csv,
    parse_shipment_file,
    time_band,
    to_cp932_text,
    tracking_url,
    unsupported_bands,
    validate_tracking,
)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "carriers"
TODAY = date(2026, 11, 20)


@pytest.mark.usefixtures("app")
def test_tracking_numbers_are_normalised_and_check_digits_verified():
    # Published sample numbers; the last digit is the first eleven modulo 7.
    assert validate_tracking(Carrier.YAMATO, "４４４４-１３７５-８７０３") == "444413758703"
    assert validate_tracking(Carrier.SAGAWA, "5125 4751 4334") == "512547514334"
    assert validate_tracking(Carrier.JAPAN_POST, "4055-4842-4886") == "405548424886"
    assert validate_tracking(Carrier.JAPAN_POST, "rr123456785jp") == "RR123456785JP"  # UPU S10
    assert validate_tracking(Carrier.JAPAN_POST, "12345678901") == "12345678901"  # 書留 11 digits
    assert validate_tracking(Carrier.OTHER, "abc-1234") == "ABC1234"


@pytest.mark.parametrize(
    ("carrier", "raw", "fragment"),
    [
        (Carrier.YAMATO, "444413758704", "チェック数字"),
        (Carrier.YAMATO, "44441375870", "12桁"),
        (Carrier.SAGAWA, "512547514335", "チェック数字"),
        (Carrier.SAGAWA, "51254751433A", "12桁"),
        (Carrier.JAPAN_POST, "405548424887", "チェック数字"),
        (Carrier.JAPAN_POST, "RR123456784JP", "チェック数字"),
        (Carrier.JAPAN_POST, "RR123456785US", "JP"),
        (Carrier.JAPAN_POST, "1234567890", "11〜13桁"),
        (Carrier.OTHER, "AB1", "4〜30"),
        (Carrier.OTHER, "", "入力してください"),
    ],
)
@pytest.mark.usefixtures("app")
def test_bad_tracking_numbers_are_refused_with_a_reason(carrier, raw, fragment):
    with pytest.raises(DomainError) as caught:
        validate_tracking(carrier, raw)
    assert caught.value.field == "tracking_no"
    assert fragment in str(caught.value.message)


@pytest.mark.usefixtures("app")
def test_tracking_pages():
    assert tracking_url(Carrier.YAMATO, "444413758703").endswith("number01=444413758703")
    assert "okurijoNo=512547514334" in tracking_url(Carrier.SAGAWA, "512547514334")
    assert "reqCodeNo1=RR123456785JP" in tracking_url(Carrier.JAPAN_POST, "RR123456785JP")
    assert tracking_url(Carrier.OTHER, "ABC1234") is None


def _row(**changes) -> LabelRow:
    values = dict(
        order_no="2026-000123-1",
        recipient_name="髙橋 﨑子",
        recipient_postal="７２７−００１１",
        recipient_address="広島県庄原市東本町一丁目2番3号 サンハイツ庄原 205号室 ①号棟",
        recipient_phone="０８２４－７２－１１１１",
        sender_name="㈱しょうばら果樹園",
        sender_postal="7270021",
        sender_address="広島県庄原市西本町2-1",
        sender_phone="0824-72-2222",
        item_name="ピオーネ 2kg",
        quantity=2,
        temperature=TemperatureBand.CHILLED,
        desired_date=date(2026, 12, 5),
        desired_time="14:00〜16:00",
        ship_on=date(2026, 12, 3),
    )
    values.update(changes)
    return LabelRow(**values)


def _read_back(data: bytes) -> list[list[str]]:
    text = data.decode("cp932")  # strict: the file is CP932 throughout
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.usefixtures("app")
def test_b2_cloud_label_csv_matches_the_published_layout():
    rows = _read_back(label_csv(Carrier.YAMATO, [_row(), _row(temperature="frozen")]))
    header, first, second = rows
    assert tuple(header) == B2_COLUMNS and len(header) == 97
    # Positions as in ヤマト's 「B2 送り状発行データレイアウト」 (1-based in the spec).
    assert header[0] == "お客様管理番号" and first[0] == "2026-000123-1"
    assert header[2] == "クール区分" and first[2] == "2" and second[2] == "1"
    assert header[3] == "伝票番号" and first[3] == ""  # B2 fills it
    assert header[4] == "出荷予定日" and first[4] == "2026/12/03"
    assert header[5] == "お届け予定日" and first[5] == "2026/12/05"
    assert header[6] == "配達時間帯" and first[6] == "1416"
    assert header[10] == "お届け先郵便番号" and first[10] == "727-0011"
    assert header[8] == "お届け先電話番号" and first[8] == "0824-72-1111"
    assert header[15] == "お届け先名" and first[15] == "高橋 崎子"  # 髙/﨑 are not JIS X 0208
    assert header[24] == "ご依頼主名" and first[24] == "(株)しょうばら果樹園"
    assert header[27] == "品名１" and first[27] == "ピオーネ 2kg ×2"
    # The address is cut at 64 bytes into 住所 and アパートマンション名, nothing lost.
    assert len(first[11].encode("cp932")) <= 64
    assert first[11] + first[12] == "広島県庄原市東本町一丁目2番3号 サンハイツ庄原 205号室 1号棟"


@pytest.mark.usefixtures("app")
def test_ehiden_label_csv_matches_the_published_layout():
    header, first = _read_back(label_csv(Carrier.SAGAWA, [_row(desired_time="午前中")]))
    assert tuple(header) == EHIDEN_COLUMNS and len(header) == 42
    assert header[8] == "お客様管理ナンバー" and first[8] == "2026-000123-1"
    assert header[26] == "便種（商品）" and first[26] == "002"  # 飛脚クール便（冷蔵）
    assert header[27] == "配達日" and first[27] == "20261205"
    assert header[28] == "配達指定時間帯" and first[28] == "01"
    assert header[41] == "元着区分" and first[41] == "1"
    for index in (3, 4, 5, 6, 7, 19, 20):  # 住所１–３, 名称１–２, 品名１–２: 16 全角 each
        assert len(first[index].encode("cp932")) <= 32
    assert "".join(first[3:6]).startswith("広島県庄原市東本町")


@pytest.mark.usefixtures("app")
def test_yupri_label_csv_is_118_positional_columns_without_a_title_row():
    rows = _read_back(
        label_csv(
            Carrier.JAPAN_POST,
            [_row(temperature=TemperatureBand.AMBIENT, desired_time=""), _row()],
        )
    )
    assert len(rows) == 2  # no title row: ゆうプリR reads by position through its フィルタ
    assert [len(r) for r in rows] == [118, 118] and len(YUPRI_COLUMNS) == 118
    first, second = rows
    # Positions as in the 118-column list (1-based there); column 72 is 倉庫数.
    assert first[0] == "2026-000123-1"  # 1 お客様側管理番号
    assert first[1] == "20261203"  # 2 発送予定日
    assert first[5] == "0" and first[6] == "0"  # 6 郵便種別, 7 保冷種別
    assert second[6] == "1"  # チルド
    assert first[12] == "727-0011"  # 13 お届け先 郵便番号
    assert first[65] == "00" and second[65] == "53"  # 66 配達時間帯区分: 指定なし, 14–16
    assert YUPRI_COLUMNS[71] == "倉庫数" and first[71] == ""
    assert YUPRI_COLUMNS[72] == "複数個口数" and first[72] == "1"  # 73, not 72
    assert YUPRI_COLUMNS[103] == "品名" and first[103] == "ピオーネ 2kg"  # 104
    assert YUPRI_COLUMNS[104] == "個数" and first[104] == "2"  # 105


@pytest.mark.usefixtures("app")
def test_b2_never_writes_the_abolished_12_14_band():
    wishes = ["12時〜14時", "12:00-14:00", "1214", "19時〜21時", "20-21", "午前中"]
    rows = _read_back(label_csv(Carrier.YAMATO, [_row(desired_time=t) for t in wishes]))
    assert "1214" not in "".join(",".join(r) for r in rows)
    assert [r[6] for r in rows[1:]] == ["", "", "", "1921", "1921", "0812"]
    # the other carriers still have 12–14
    (_, sagawa) = _read_back(label_csv("sagawa_ehiden3", [_row(desired_time="12時〜14時")]))
    assert sagawa[45] == "12"
    assert unsupported_bands([("2026-000123-1", "12-14時"), ("2026-000124-1", "14-16")]) == [
        ("yamato", "1214", ["2026-000123-1"])
    ]


@pytest.mark.usefixtures("app")
def test_ehiden3_label_csv_is_the_74_column_standard_layout():
    header, first = _read_back(
        label_csv("sagawa_ehiden3", [_row(desired_time="19:00-21:00", temperature="frozen")])
    )
    assert tuple(header) == EHIDEN3_COLUMNS and len(header) == 74 and len(first) == 74
    assert header[9] == "お客様管理ナンバー" and first[9] == "2026-000123-1"
    assert header[2] == "お届け先電話番号" and first[2] == "0824-72-1111"
    assert header[3] == "お届け先郵便番号" and first[3] == "727-0011"
    assert header[41] == "出荷個数" and first[41] == "1"
    assert header[42] == "スピード指定" and first[42] == "000"
    assert header[43] == "クール便指定" and first[43] == "003"  # 冷凍
    assert header[44] == "配達日" and first[44] == "20261205"
    assert header[45] == "配達指定時間帯" and first[45] == "19"  # 19–21
    assert header[57] == "元着区分" and first[57] == "1"
    assert header[60] == "出荷日" and first[60] == "20261203"
    for index in (4, 5, 6, 7, 8, 24, 25):  # 住所１–３, 名称１–２, 品名１–２: 16 全角 each
        assert len(first[index].encode("cp932")) <= 32
    assert "".join(first[4:7]).startswith("広島県庄原市東本町")


def test_characters_outside_jis_x_0208_are_replaced_not_fatal():
    assert to_cp932_text("𠮷野 髙島屋 〜 ﾃｽﾄ") == "吉野 高島屋 ～ ﾃｽﾄ"
    assert to_cp932_text("😀") == UNPRINTABLE
    assert to_cp932_text("二行の\n住所") == "二行の 住所"


@pytest.mark.parametrize(
    ("text", "band"),
    [("午前中", "am"), ("12時〜14時", "1214"), ("14-16", "1416"), ("19:00-21:00", "1921"),
     ("20時～21時", "1921"), ("指定なし", None), ("", None)],
)  # fmt: skip
def test_time_bands(text, band):
    assert time_band(text) == band


@pytest.mark.usefixtures("app")
def test_b2_history_export_is_matched_on_the_management_number():
    parsed = parse_shipment_file((FIXTURES / "b2_history.csv").read_bytes(), today=TODAY)
    assert parsed.format == "b2"
    assert [(r.line, r.order_no, r.carrier, r.tracking_no, r.shipped_on) for r in parsed.rows] == [
        (2, "2026-000101-1", Carrier.YAMATO, "444413758703", date(2026, 11, 20))
    ]
    assert [p.line for p in parsed.problems] == [3, 4]
    assert "チェック数字" in str(parsed.problems[0].reason)
    assert "入力してください" in str(parsed.problems[1].reason)


@pytest.mark.usefixtures("app")
def test_ehiden_history_export():
    parsed = parse_shipment_file((FIXTURES / "ehiden_history.csv").read_bytes(), today=TODAY)
    assert parsed.format == "ehiden"
    assert [(r.order_no, r.carrier, r.tracking_no, r.shipped_on) for r in parsed.rows] == [
        ("2026-000201-1", Carrier.SAGAWA, "512547514334", date(2026, 11, 19))
    ]
    assert [(p.line, p.order_no) for p in parsed.problems] == [(3, "2026-000202-1")]


@pytest.mark.usefixtures("app")
def test_yupri_history_export_refuses_a_future_ship_date():
    parsed = parse_shipment_file((FIXTURES / "yupri_history.csv").read_bytes(), today=TODAY)
    assert parsed.format == "yupri"
    assert [(r.order_no, r.tracking_no) for r in parsed.rows] == [("2026-000301-1", "405548424886")]
    assert parsed.problems[0].line == 3
    assert "未来" in str(parsed.problems[0].reason)


@pytest.mark.usefixtures("app")
def test_yupri_history_skips_parcels_only_scheduled():
    data = (FIXTURES / "yupri_history_scheduled.csv").read_bytes()
    parsed = parse_shipment_file(data, today=TODAY)
    assert parsed.format == "yupri"
    assert [(r.line, r.order_no, r.shipped_on) for r in parsed.rows] == [
        (2, "2026-000311-1", date(2026, 11, 18)),
        (4, "2026-000313-1", date(2026, 11, 19)),  # 10/0A, but 仮引受確定: handed over
    ]
    assert [(p.line, p.order_no) for p in parsed.problems] == [(3, "2026-000312-1")]
    assert "引受予定" in str(parsed.problems[0].reason)


@pytest.mark.usefixtures("app")
def test_simple_csv_names_every_bad_row_by_line():
    parsed = parse_shipment_file((FIXTURES / "simple_utf8.csv").read_bytes(), today=TODAY)
    assert parsed.format == "simple"
    assert [(r.order_no, r.carrier, r.tracking_no, r.shipped_on) for r in parsed.rows] == [
        ("2026-000401-1", Carrier.YAMATO, "444413758703", date(2026, 11, 20)),
        ("2026-000402-1", Carrier.SAGAWA, "512547514334", date(2026, 11, 19)),
        ("2026-000403-1", Carrier.JAPAN_POST, "RR123456785JP", date(2026, 11, 18)),
        ("2026-000404-1", Carrier.OTHER, "ABC12345", TODAY),  # empty 発送日 = today
    ]
    reasons = {p.line: str(p.reason) for p in parsed.problems}
    assert sorted(reasons) == [6, 7, 8, 9]
    assert "12桁" in reasons[6]
    assert "2 行目" in reasons[7]  # duplicate of line 2
    assert "配送業者" in reasons[8]
    assert "存在しない日付" in reasons[9]


@pytest.mark.usefixtures("app")
def test_the_simple_csv_also_reads_as_cp932():
    text = "注文番号,追跡番号,配送業者,発送日\r\n2026-000501-1,444413758703,ヤマト,2026/11/1\r\n"
    parsed = parse_shipment_file(text.encode("cp932"), today=TODAY)
    assert parsed.rows[0].shipped_on == date(2026, 11, 1) and not parsed.problems


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "空"),
        ("名前,住所\r\n山田,庄原\r\n".encode(), "見出し"),
        (b"\xff\xfe\x00\x00garbage\x81", "文字コード"),
    ],
)
@pytest.mark.usefixtures("app")
def test_unusable_files_are_refused_as_a_whole(data, fragment):
    with pytest.raises(DomainError) as caught:
        parse_shipment_file(data, today=TODAY)
    assert caught.value.field == "file"
    assert fragment in str(caught.value.message)
