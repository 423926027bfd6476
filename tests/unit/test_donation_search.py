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
        }
    )
    assert values == {
        "search_name": "吉田花子",
        "search_kana": "ヨシダハナコ",
        "search_phone": "09012345678 0824720000",
        "search_email": "hanako@example.jp",
    }
