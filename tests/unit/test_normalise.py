"""Names and addresses keep the characters people wrote; only widths are unified."""

from __future__ import annotations

import pytest

from portal.donations import normalise as norm


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("髙橋　①子", "髙橋 ①子"),  # NFKC made this 髙橋 1子
        ("ﾔﾏﾀﾞ  ﾀﾛｳ", "ヤマダ タロウ"),  # half-width kana, voiced mark composed
        ("ＡＢＣ　ｍａｒｙ", "ABC mary"),
        ("𠮷田 花子", "𠮷田 花子"),
        ("㈱庄原　代表 ⅱ", "㈱庄原 代表 ⅱ"),
    ],
)
def test_name_unifies_widths_but_keeps_what_was_written(typed, stored):
    assert norm.name(typed) == stored


def test_address_keeps_circled_digits_and_unifies_digits_and_dashes():
    assert norm.address("庄原市東本町１－２－３\n①ビル　２Ｆ") == "庄原市東本町1-2-3 ①ビル 2F"
