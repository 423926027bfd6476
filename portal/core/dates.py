"""JST and 和暦: the one place that turns instants and dates into what people read.

Babel has no Japanese imperial calendar, so 和暦 is computed here from the era start dates
(元号法; 令和 from 2019-05-01 per 平成31年政令第143号).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

# The clock lives in portal.core.clock; its names stay importable from here for the many
# callers that read "today" beside the 和暦 helpers.
from portal.core.clock import JST
from portal.core.clock import now_jst as now_jst
from portal.core.clock import today_jst as today_jst

# (first day, kanji, English) — newest first.
ERAS: tuple[tuple[date, str, str], ...] = (
    (date(2019, 5, 1), "令和", "Reiwa"),
    (date(1989, 1, 8), "平成", "Heisei"),
    (date(1926, 12, 25), "昭和", "Showa"),
    (date(1912, 7, 30), "大正", "Taisho"),
    (date(1873, 1, 1), "明治", "Meiji"),
)

WEEKDAYS_JA = "月火水木金土日"


def to_jst(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(JST)


def as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return to_jst(value).date()
    return value


def format_date(value: date | datetime, locale: str = "ja", *, weekday: bool = True) -> str:
    """2026年12月31日(木) / Thu 31 Dec 2026, in JST (what every screen and mail writes)."""
    d = as_date(value)
    if locale == "en":
        return d.strftime("%a %d %b %Y" if weekday else "%d %b %Y")
    text = f"{d.year}年{d.month}月{d.day}日"
    return text + f"({WEEKDAYS_JA[d.weekday()]})" if weekday else text


def format_datetime(value: datetime, locale: str = "ja") -> str:
    """2026年12月2日(水) 09:00 / Wed 02 Dec 2026 09:00, in JST."""
    local = to_jst(value)
    return f"{format_date(local, locale)} {local:%H:%M}"


def wareki_year(value: date | datetime) -> tuple[str, int]:
    """The era and the year within it: (令和, 8) for 2026."""
    d = as_date(value)
    for start, name, _ in ERAS:
        if d >= start:
            return name, d.year - start.year + 1
    raise ValueError(f"{d} is before the Meiji calendar reform")


def wareki(value: date | datetime, *, weekday: bool = False) -> str:
    """令和8年6月1日; the first year of an era is 元年 (令和元年5月1日)."""
    d = as_date(value)
    era, year = wareki_year(d)
    year_text = "元" if year == 1 else str(year)
    text = f"{era}{year_text}年{d.month}月{d.day}日"
    if weekday:
        text += f"({WEEKDAYS_JA[d.weekday()]})"
    return text


def wareki_year_label(year: int) -> str:
    """令和8年 for the calendar year 2026 (its 1 January; 2019 reads 平成31年)."""
    era, y = wareki_year(date(year, 1, 1))
    return f"{era}{'元' if y == 1 else y}年"


def day_after(d: date, days: int) -> date:
    return d + timedelta(days=days)


# --- 年度 (April to March): reports and analytics -----------------------------------------


def fiscal_year(value: date | datetime) -> int:
    """The 年度 a day falls in, named by the year of its April: 2027-03-31 is 2026."""
    d = as_date(value)
    return d.year if d.month >= 4 else d.year - 1


def fiscal_range(year: int) -> tuple[date, date]:
    """The 年度's first day and the day after its last: [1 April, next 1 April)."""
    return date(year, 4, 1), date(year + 1, 4, 1)


def fiscal_year_label(year: int, locale: str = "ja") -> str:
    """令和8年度 / FY2026 (令和元年度 for 2019, whose April was still 平成)."""
    if locale == "en":
        return f"FY{year}"
    era, y = wareki_year(date(year, 5, 1))
    return f"{era}{'元' if y == 1 else y}年度"
