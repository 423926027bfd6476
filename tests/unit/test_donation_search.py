"""The search form of names, kana and numbers (portal.donations.search)."""

from __future__ import annotations

from portal.donations.search import VARIANTS, fold, parse, search_values


def test_variants_fold_to_what_a_caller_types():
    assert fold("𠮷田 花子") == fold("吉田花子") == "吉田花子"
    assert fold("髙橋") == fold("高橋")
    assert fold("山﨑") == fold("山崎") == fold("山嵜")
    assert fold("濱田") == fold("浜田")
    assert fold("渡邊") == fold("渡邉") == fold("渡辺")
    assert fold("齋藤") == fold("斎藤") == fold("斉藤")
    assert fold("葛\U000e0100城") == "葛城"  # a variation selector is dropped
    # the table is data: no variant maps to itself or chains to another variant
    assert all(k != v and v not in VARIANTS for k, v in VARIANTS.items())


def test_kana_in_any_script_and_width_with_or_without_spaces():
    assert fold("よしだ はなこ") == fold("ヨシダ　ハナコ") == fold("ﾖｼﾀﾞﾊﾅｺ") == "ヨシダハナコ"


def test_fold_gives_what_each_step_in_turn_gives():
    """fold skips a pass when nothing in the text needs it; the result must be the plain
    sequence (variants, selectors, NFKC, variants again, spaces, hiragana, lower case)."""
    import re
    import unicodedata

    import jaconv

    table = str.maketrans(VARIANTS)

    def plain(value: str) -> str:
        text = re.sub("[\ufe00-\ufe0f\U000e0100-\U000e01ef]", "", value.translate(table))
        text = unicodedata.normalize("NFKC", text).translate(table)
        return jaconv.hira2kata(re.sub(r"[\s\u3000]+", "", text)).lower()

    samples = [
        "庄原 太郎",
        "ショウバラ\tタロウ",
        "しょうばら\nたろう",
        "ｼｮｳﾊﾞﾗ ﾀﾛｳ",
        "\uf92d田 眞\u3000",  # a compatibility ideograph NFKC turns into a variant (來)
        "\U0002f945子",  # 眞 as a supplementary compatibility ideograph
        "葛\U000e0100城ゔ",
        "ＹＯＳＨＩＤＡ Hanako",
        "ヨシダ・ハナコ「様」",
        "ゝゞ\u00a0ー",
    ]
    for text in samples:
        assert fold(text) == plain(text), text


def test_terms_are_read_as_what_they_can_be():
    assert parse("２０２６－０００１２３").donation_no == "2026-000123"
    assert parse("2026000123").donation_no == "2026-000123"
    assert parse("090-1234-5678").digits == "09012345678"
    assert parse("０９０ー１２３４ー５６７８").digits == "09012345678"
    assert parse("〒727-0011").digits == "7270011"
    assert parse("Hanako@Example.JP").email == "hanako@example.jp"
    named = parse("𠮷田")
    assert named.text == "吉田" and not named.digits and not named.donation_no


def test_search_values_from_a_donation():
    values = search_values(
        {
            "donor_name": "𠮷田 花子",
            "donor_kana": "よしだ はなこ",
            "phone": "090-1234-5678",
            "delivery_phone": "(0824)72-0000",
            "email": "Hanako@Example.jp",
            "delivery_name": "髙橋　一郎",
        }
    )
    assert values == {
        "search_name": "吉田花子",
        "search_kana": "ヨシダハナコ",
        "search_phone": "09012345678 0824720000",
        "search_email": "hanako@example.jp",
        "search_delivery": "高橋一郎",
    }


def test_the_bulk_import_writes_the_search_columns(session):
    from datetime import date

    from portal.core.portals import Portal
    from portal.donations.bulk import create_donations
    from portal.donations.lifecycle import DonationData
    from portal.donations.models import Donation, PaymentMethod

    [donation_id] = create_donations(
        session,
        [
            DonationData(
                portal=Portal.CHOICE,
                portal_order_no="BULK-1",
                donor_name="渡邊 𠮷子",
                donor_kana="ﾜﾀﾅﾍﾞ ﾖｼｺ",
                phone="0824-72-0000",
                email="Yoshiko@Example.jp",
                amount=10000,
                applied_on=date(2026, 12, 1),
                payment_method=PaymentMethod.CARD,
                lines=[],
            )
        ],
    )
    d = session.get(Donation, donation_id)
    assert (d.search_name, d.search_kana, d.search_phone, d.search_email) == (
        "渡辺吉子",
        "ワタナベヨシコ",
        "0824720000",
        "yoshiko@example.jp",
    )
