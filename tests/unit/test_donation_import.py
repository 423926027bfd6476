"""Portal CSV imports: each fixture file imports to exactly the expected donations."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.core.portals import Portal
from portal.donations.importers import import_file, rejected_csv
from portal.donations.lifecycle import cancel_donation
from portal.donations.models import Donation, DonationState, PaymentMethod, PaymentState
from portal.shipping.models import OrderStatus

FIXTURES = Path(__file__).parent.parent / "fixtures" / "imports"


@pytest.fixture()
def gifts(make_gift):
    return {c: make_gift(code=c) for c in ("HB-001", "HJ-002", "BD-001")}


def _load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def _donation(session, portal: Portal, no: str) -> Donation:
    return session.scalar(
        sa.select(Donation).where(Donation.portal == portal, Donation.portal_order_no == no)
    )


def _lines(d: Donation) -> list[tuple[str, int]]:
    return [(ln.gift.code, ln.quantity) for ln in d.lines]


@pytest.mark.usefixtures("gifts")
def test_standard_file_cp932_with_awkward_rows(session):
    result = import_file(session, "standard", _load("standard.csv"))
    assert result.summary() == "new=3 updated=0 unchanged=0 rejected=2 conflicts=0"
    assert [(r.line, str(r.reason)) for r in result.rejected] == [
        (10, "返礼品コード ZZ-999 は登録されていません。"),
        (11, "「寄附日」の日付「2026/13/40」を読めません。"),
    ]
    taro = _donation(session, Portal.STANDARD, "S-0001")
    assert taro.amount == 30000  # repeated on both lines, not summed
    assert _lines(taro) == [("HB-001", 1), ("HJ-002", 2)]
    assert taro.postal_code == "7270011"
    assert taro.address == "広島県庄原市東本町 1-2-3"
    assert taro.phone == "0824-72-1111"
    assert taro.donor_name == "庄原 太郎" and taro.donor_kana == "ショウバラ タロウ"
    assert taro.message == "いつも応援しています。\n頑張ってください"
    assert (taro.onestop_requested, taro.receipt_wanted, taro.publish_name) == (True, True, False)
    assert taro.state == DonationState.PAID and taro.received_on == date(2026, 12, 1)
    assert all(len(ln.orders) == 1 for ln in taro.lines)
    hanako = _donation(session, Portal.STANDARD, "S-0002")
    assert hanako.state == DonationState.RECEIVED and hanako.payment_method == PaymentMethod.BANK
    assert (hanako.delivery_name, hanako.delivery_postal_code) == ("西城 一郎", "7270021")
    assert (hanako.onestop_requested, hanako.receipt_wanted, hanako.publish_name) == (
        True,
        False,
        True,
    )
    jiro = _donation(session, Portal.STANDARD, "S-0003")
    assert jiro.lines == [] and jiro.received_on == date(2026, 12, 5)
    assert jiro.payment_method == PaymentMethod.CASH_REGISTERED


@pytest.mark.usefixtures("gifts")
def test_reimport_changes_nothing_and_a_later_export_updates_the_payment(session):
    import_file(session, "standard", _load("standard.csv"))
    again = import_file(session, "standard", _load("standard.csv"))
    assert again.summary() == "new=0 updated=0 unchanged=3 rejected=2 conflicts=0"
    assert session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 3
    later = import_file(session, "standard", _load("standard_update.csv"))  # UTF-8 with BOM
    assert later.summary() == "new=0 updated=1 unchanged=2 rejected=2 conflicts=0"
    hanako = _donation(session, Portal.STANDARD, "S-0002")
    assert hanako.payment_state == PaymentState.PAID and hanako.paid_on == date(2026, 12, 10)
    assert hanako.state == DonationState.PAID and len(hanako.lines[0].orders) == 1


@pytest.mark.usefixtures("gifts")
def test_cancelled_donation_is_a_conflict_not_overwritten(session):
    import_file(session, "standard", _load("standard.csv"))
    hanako = _donation(session, Portal.STANDARD, "S-0002")
    cancel_donation(session, hanako, "重複申込")
    later = import_file(session, "standard", _load("standard_update.csv"))
    assert later.summary() == "new=0 updated=0 unchanged=2 rejected=2 conflicts=1"
    assert later.conflicts == [("S-0002", hanako.donation_no)]
    assert hanako.state == DonationState.CANCELLED and hanako.paid_on is None


@pytest.mark.usefixtures("gifts")
def test_dry_run_counts_without_writing(session):
    result = import_file(session, "standard", _load("standard.csv"), dry_run=True)
    assert result.summary() == "new=3 updated=0 unchanged=0 rejected=2 conflicts=0"
    assert session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 0


@pytest.mark.usefixtures("gifts")
def test_rejected_rows_download_can_be_fixed_and_reuploaded(session):
    result = import_file(session, "standard", _load("standard.csv"))
    data = rejected_csv(result)
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].endswith("取込エラー行,取込エラー理由")
    fixed = data.replace(b"ZZ-999", b"HB-001").replace(b"2026/13/40", b"2026/12/05")
    again = import_file(session, "standard", fixed)
    assert again.summary() == "new=2 updated=0 unchanged=0 rejected=0 conflicts=0"


@pytest.mark.usefixtures("gifts")
def test_choice(session, make_project):
    forest = make_project("庄原の森を守るプロジェクト", gift_less=True)
    result = import_file(session, "choice", _load("choice.csv"))
    assert result.summary() == "new=3 updated=0 unchanged=0 rejected=1 conflicts=0"
    assert [r.line for r in result.rejected] == [8]
    assert "ポイント払い" in str(result.rejected[0].reason)
    ichiro = _donation(session, Portal.CHOICE, "C20261201-001")
    assert ichiro.amount == 20000 and _lines(ichiro) == [("HB-001", 1), ("BD-001", 1)]
    assert ichiro.purpose == "子育て・教育" and ichiro.postal_code == "7270013"
    assert ichiro.lines[0].noshi == "御歳暮" and ichiro.lines[0].desired_date == date(2026, 12, 24)
    assert ichiro.applied_on == date(2026, 12, 1) and ichiro.state == DonationState.PAID
    sachiko = _donation(session, Portal.CHOICE, "C20261202-002")
    assert sachiko.state == DonationState.RECEIVED and sachiko.purpose == "市長におまかせ"
    assert sachiko.publish_name is True and _lines(sachiko) == [("HJ-002", 3)]
    isamu = _donation(session, Portal.CHOICE, "C20261203-003")
    assert isamu.project == "庄原の森を守るプロジェクト" and isamu.lines == []
    assert isamu.project_id == forest.id
    later = import_file(session, "choice", _load("choice_update.csv"))
    assert later.summary() == "new=0 updated=1 unchanged=2 rejected=1 conflicts=0"
    assert sachiko.paid_on == date(2026, 12, 8)


@pytest.mark.usefixtures("gifts")
def test_rakuten_rms_order_csv_imports_exactly_the_expected_donations(session):
    """The RMS 楽天ペイ受注管理 受注CSV: 107 columns, CP932, one row per 商品明細."""
    data = _load("rakuten.csv")
    assert data.decode("cp932").splitlines()[0].count(",") == 106
    result = import_file(session, "rakuten", data)
    assert result.summary() == "new=4 updated=0 unchanged=0 rejected=0 conflicts=0"
    assert session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 4
    mari = _donation(session, Portal.RAKUTEN, "419999-20261201-0000001")
    assert mari.amount == 12000  # 合計金額 once, not 3 x 12000 and not 請求金額 11500
    assert _lines(mari) == [("HJ-002", 1), ("BD-001", 2), ("HB-001", 1)]
    assert mari.donor_name == "山内 真理" and mari.donor_kana == "ヤマウチ マリ"
    assert (mari.postal_code, mari.phone) == ("1050001", "03-0000-0001")
    assert mari.address == "東京都港区虎ノ門1-1 ABCビル10階"
    assert (mari.delivery_name, mari.delivery_postal_code) == ("山内 実家", "7270011")
    assert (mari.delivery_address, mari.delivery_phone) == ("広島県庄原市東本町1-1", "0824-00-1111")
    assert mari.purpose == "子育て・教育"  # 項目・選択肢, through the mapping's purposes
    assert (mari.onestop_requested, mari.receipt_wanted) == (True, True)
    assert mari.message == "いつも応援しています。\n頑張って"
    assert mari.payment_method == PaymentMethod.CARD
    assert mari.state == DonationState.PAID and mari.received_on == date(2026, 12, 1)  # 発送待ち
    first = mari.lines[0]
    assert (first.desired_date, first.desired_time, first.noshi) == (
        date(2026, 12, 20),
        "14:00-16:00",
        "無地のし",
    )
    assert all(len(ln.orders) == 1 for ln in mari.lines)
    manabu = _donation(session, Portal.RAKUTEN, "419999-20261202-0000002")
    assert manabu.state == DonationState.RECEIVED  # 楽天処理中: not paid yet
    assert manabu.payment_method == PaymentMethod.BANK and manabu.donor_kana == "タナカ マナブ"
    assert (manabu.purpose, manabu.onestop_requested, manabu.receipt_wanted) == (
        "市長におまかせ",
        False,
        False,
    )
    ken = _donation(session, Portal.RAKUTEN, "419999-20261203-0000003")
    assert ken.state == DonationState.CANCELLED and "キャンセル確定" in ken.cancel_reason
    assert ken.amount == 20000 and all(not ln.orders for ln in ken.lines)
    assert ken.receipt_wanted is True  # no 受領証明書 line: the default
    yumi = _donation(session, Portal.RAKUTEN, "419999-20261204-0000004")
    assert _lines(yumi) == [("BD-001", 1)]  # 商品管理番号 unknown, 商品番号 is our code
    assert (yumi.onestop_requested, yumi.receipt_wanted) == (False, True)

    again = import_file(session, "rakuten", data)
    assert again.summary() == "new=0 updated=0 unchanged=4 rejected=0 conflicts=0"
    assert session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 4

    later = import_file(session, "rakuten", _load("rakuten_update.csv"))
    assert later.summary() == "new=0 updated=2 unchanged=2 rejected=0 conflicts=0"
    assert manabu.state == DonationState.PAID  # 発送待ち: 楽天 has the transfer
    assert manabu.received_on == date(2026, 12, 9)  # its 注文確定日時, not the 注文日時
    assert mari.state == DonationState.CANCELLED  # キャンセル確定 before shipping
    assert all(o.status == OrderStatus.CANCELLED for ln in mari.lines for o in ln.orders)


@pytest.mark.usefixtures("gifts")
def test_rakuten_transfer_paid_from_the_start_is_received_on_its_confirmation(session):
    result = import_file(session, "rakuten", _load("rakuten_update.csv"))
    assert result.summary() == "new=4 updated=0 unchanged=0 rejected=0 conflicts=0"
    manabu = _donation(session, Portal.RAKUTEN, "419999-20261202-0000002")
    assert manabu.state == DonationState.PAID and manabu.received_on == date(2026, 12, 9)
    assert all(len(ln.orders) == 1 for ln in manabu.lines)
    mari = _donation(session, Portal.RAKUTEN, "419999-20261201-0000001")
    assert mari.state == DonationState.CANCELLED and mari.lines[0].orders == []


@pytest.mark.usefixtures("gifts")
def test_rakuten_cancel_after_shipping_is_a_conflict(session):
    import_file(session, "rakuten", _load("rakuten.csv"))
    mari = _donation(session, Portal.RAKUTEN, "419999-20261201-0000001")
    cancelled = import_file(session, "rakuten", _load("rakuten_update.csv"), dry_run=True)
    assert cancelled.summary() == "new=0 updated=2 unchanged=2 rejected=0 conflicts=0"
    assert mari.state == DonationState.PAID  # a dry run changes nothing
    for ln in mari.lines:
        for order in ln.orders:
            order.status = OrderStatus.SHIPPED  # as the carrier's tracking file would set it
    session.flush()
    assert mari.is_shipped
    later = import_file(session, "rakuten", _load("rakuten_update.csv"))
    assert later.conflicts == [("419999-20261201-0000001", mari.donation_no)]
    assert mari.state == DonationState.PAID


@pytest.mark.usefixtures("gifts")
def test_rakuten_headers_of_a_download_template_match_tolerantly(session):
    """A template chooses and orders columns; 全角 digits and colons, brackets, （必須）."""
    header = (
        "（必須）注文番号, ステータス ,注文日時,支払方法名,合計金額,注文者姓,注文者名,"
        "注文者郵便番号１,注文者郵便番号２,注文者住所：都道府県,【注文者住所郡市区】,"
        "注文者住所：それ以降の住所,注文者電話番号１,注文者電話番号２,注文者電話番号３,"
        "項目・選択肢,商品管理番号,個数"
    )
    row = (
        '419999-20261205-0000005,発送待ち,2026/12/05 10:00:00,クレジットカード,"5,000",'
        "庄原,一子,７２７,００１１,広島県,庄原市,中本町１,0824,72,0000,"
        '"寄附金の使い道：産業振興\r\nワンストップ特例申請書：必要（ワンストップ特例申請用）",'
        "HB-001,1"
    )
    result = import_file(session, "rakuten", (header + "\r\n" + row + "\r\n").encode("cp932"))
    assert result.summary() == "new=1 updated=0 unchanged=0 rejected=0 conflicts=0", [
        str(r.reason) for r in result.rejected
    ]
    d = _donation(session, Portal.RAKUTEN, "419999-20261205-0000005")
    assert (d.amount, d.postal_code, d.address) == (5000, "7270011", "広島県庄原市中本町1")
    assert (d.phone, d.purpose, d.onestop_requested) == ("0824-72-0000", "産業振興", True)


@pytest.mark.usefixtures("gifts")
def test_rakuten_unknown_option_wording_is_rejected_with_the_item_name(session):
    header = "注文番号,ステータス,注文日時,支払方法名,合計金額,注文者姓,注文者名,項目・選択肢"
    row = '1-1,発送待ち,2026-12-01 10:00:00,クレジットカード,5000,庄原,一子,"受領証明書:たぶん"'
    result = import_file(session, "rakuten", (header + "\n" + row + "\n").encode("cp932"))
    assert [str(r.reason) for r in result.rejected] == [
        "「受領証明書」の値「たぶん」を読めません。"
    ]


@pytest.mark.usefixtures("gifts")
def test_furunavi_utf8_bom_with_document_address(session):
    result = import_file(session, "furunavi", _load("furunavi.csv"))
    assert result.summary() == "new=2 updated=0 unchanged=0 rejected=0 conflicts=0"
    ken = _donation(session, Portal.FURUNAVI, "FN-1001")
    assert ken.mail_postal_code == "1000001" and "勤務先" in ken.mail_address
    assert ken.donor_kana == "サトウ ケン" and ken.payment_method == PaymentMethod.CARD
    yumi = _donation(session, Portal.FURUNAVI, "FN-1002")
    assert yumi.postal_code == "4600001" and yumi.payment_method == PaymentMethod.POSTAL
    assert yumi.address == "愛知県名古屋市中区三の丸 1-1"


@pytest.mark.usefixtures("gifts")
def test_jal(session):
    result = import_file(session, "jal", _load("jal.csv"))
    assert result.summary() == "new=1 updated=0 unchanged=0 rejected=1 conflicts=0"
    assert [(r.line, str(r.reason)) for r in result.rejected] == [
        (3, "必須の列「寄附者氏名」が空です。")
    ]
    tsubasa = _donation(session, Portal.JAL, "JAL-000123")
    assert tsubasa.amount == 20000 and tsubasa.postal_code == "8120001"
    assert tsubasa.onestop_requested and not tsubasa.publish_name


@pytest.mark.usefixtures("gifts")
def test_satofull_multi_line_and_disaster_relief(session):
    result = import_file(session, "satofull", _load("satofull.csv"))
    assert result.summary() == "new=2 updated=0 unchanged=0 rejected=1 conflicts=0"
    assert result.rejected[0].line == 5
    sho = _donation(session, Portal.SATOFULL, "SF0000001")
    assert sho.phone == "080-0000-0001" and sho.lines[0].desired_time == "午前中"
    megumi = _donation(session, Portal.SATOFULL, "SF0000002")
    assert megumi.amount == 25000 and megumi.disaster_relief
    assert _lines(megumi) == [("HJ-002", 1), ("BD-001", 1)]


@pytest.mark.usefixtures("gifts")
def test_missing_header_column_rejects_the_file(session):
    result = import_file(session, "choice", _load("standard.csv"))
    assert result.new == 0 and len(result.rejected) == 1
    assert "受付番号" not in str(result.rejected[0].reason) or result.rejected[0].line == 1
