from datetime import UTC, date, datetime

import pytest

from portal.core.dates import to_jst, wareki, wareki_year_label
from portal.core.money import format_yen, parse_yen


@pytest.mark.parametrize(
    ("d", "text"),
    [
        (date(2026, 6, 1), "令和8年6月1日"),
        (date(2019, 5, 1), "令和元年5月1日"),
        (date(2019, 4, 30), "平成31年4月30日"),
        (date(1989, 1, 8), "平成元年1月8日"),
        (date(1989, 1, 7), "昭和64年1月7日"),
        (date(2026, 12, 31), "令和8年12月31日"),
    ],
)
def test_wareki(d: date, text: str) -> None:
    assert wareki(d) == text


def test_wareki_weekday_and_instant_in_jst() -> None:
    assert wareki(date(2026, 12, 31), weekday=True) == "令和8年12月31日(木)"
    # 2026-12-31 15:30 UTC is already 1 January in Japan.
    assert wareki(datetime(2026, 12, 31, 15, 30, tzinfo=UTC)) == "令和9年1月1日"
    assert to_jst(datetime(2026, 12, 31, 15, 30, tzinfo=UTC)).hour == 0


def test_wareki_year_label() -> None:
    assert wareki_year_label(2026) == "令和8年"
    assert wareki_year_label(2019) == "平成31年"
    assert wareki_year_label(2020) == "令和2年"


def test_money() -> None:
    assert format_yen(12000) == "12,000円"
    assert format_yen(12000, "en") == "¥12,000"
    assert format_yen(-500) == "-500円"
    assert parse_yen("１２，０００円") == 12000
    assert parse_yen("¥12,000") == 12000
    with pytest.raises(ValueError):
        parse_yen("twelve")
