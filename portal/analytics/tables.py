"""Each chart of the analytics page as one table: the rows the page prints under the chart are
the rows its CSV holds (one definition, so the two cannot disagree), plus the chart drawn from
them. Built inside a request (the wording is translated there); `locale` picks the English
prefecture names and the month wording.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _

from portal.analytics import charts
from portal.analytics.prefectures import ENGLISH, UNKNOWN
from portal.analytics.queries import Analytics, Cell, GiftRow
from portal.core.dates import fiscal_year_label
from portal.core.portals import PORTAL_LABELS
from portal.donations.models import DonationKind
from portal.monthly.charts import paired_bars

Value = str | int | float | None

CHARTS = ("portals", "months", "december", "kinds", "gifts-amount", "gifts-count",
          "prefectures", "repeat")  # fmt: skip


@dataclass(frozen=True)
class Table:
    key: str  # the CSV's name: /staff/analytics/<key>.csv
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]
    svg: str
    total: tuple[Value, ...] | None = None  # the page's 合計 row (not in the CSV)
    ja_columns: frozenset[int] = field(default_factory=frozenset)  # Japanese data (gift names)
    note: str = ""

    def csv_rows(self) -> list[list[Value]]:
        return [["" if v is None else v for v in row] for row in self.rows]


def _month(y: int, m: int, locale: str) -> str:
    return date(y, m, 1).strftime("%b %Y") if locale == "en" else f"{y}年{m}月"


def _month_short(m: int, locale: str) -> str:
    return date(2000, m, 1).strftime("%b") if locale == "en" else f"{m}月"


def _prefecture(name: str, locale: str) -> str:
    if name == UNKNOWN:
        return _("不明")
    return ENGLISH[name] if locale == "en" else name


def _kind(kind: str) -> str:
    return {
        "total": _("すべての寄附"),
        DonationKind.DISASTER_RELIEF: _("災害支援"),
        DonationKind.CROWDFUNDING: _("クラウドファンディング"),
        DonationKind.REGULAR: _("そのほかの寄附"),
    }[kind]


def _pair_header(this: str, last: str) -> tuple[str, ...]:
    return (
        _("%(year)s 件数", year=this),
        _("%(year)s 金額（円）", year=this),
        _("%(year)s 件数", year=last),
        _("%(year)s 金額（円）", year=last),
    )


def _cells(*cells: Cell) -> tuple[int, ...]:
    return tuple(v for c in cells for v in (c.count, c.amount))


def portals_table(a: Analytics, locale: str) -> Table:
    this, last = fiscal_year_label(a.year, locale), fiscal_year_label(a.year - 1, locale)
    rows = []
    for p in a.portals:
        for i, cell in enumerate(p.months):
            m = (4 + i - 1) % 12 + 1
            y = a.year if m >= 4 else a.year + 1
            rows.append((str(PORTAL_LABELS[p.portal]), _month(y, m, locale), cell.count,
                         cell.amount, cell.average))  # fmt: skip
    svg = paired_bars(
        [(str(PORTAL_LABELS[p.portal]), p.total.amount, p.last_total.amount) for p in a.portals],
        title=_("ポータル別の寄附額（%(this)s と %(last)s）", this=this, last=last),
        this_label=this,
        last_label=last,
        unit=_("円"),
    )
    total = a.total
    return Table(
        key="portals",
        title=_("ポータル別・月別の寄附"),
        header=(_("ポータル"), _("月"), _("件数"), _("金額（円）"), _("平均（円）")),
        rows=tuple(rows),
        svg=svg,
        total=(_("合計"), this, total.count, total.amount, total.average),
    )


def months_table(a: Analytics, locale: str) -> Table:
    this, last = fiscal_year_label(a.year, locale), fiscal_year_label(a.year - 1, locale)
    rows = tuple(
        (
            _month_short(r.month, locale),
            *_cells(r.this, r.last),
            None if r.this_cumulative is None else r.this_cumulative.amount,
            r.last_cumulative.amount,
        )
        for r in a.months
    )
    labels = [_month_short(r.month, locale) for r in a.months]
    bars = paired_bars(
        [(label, r.this.amount, r.last.amount) for label, r in zip(labels, a.months, strict=True)],
        title=_("月別の寄附額"),
        this_label=this,
        last_label=last,
        unit=_("円"),
    )
    line = charts.line_pair(
        labels,
        [None if r.this_cumulative is None else r.this_cumulative.amount for r in a.months],
        [r.last_cumulative.amount for r in a.months],
        title=_("4月からの累計寄附額"),
        this_label=this,
        last_label=last,
        unit=_("円"),
    )
    return Table(
        key="months",
        title=_("月別の寄附（今年度と前年度、累計）"),
        header=(
            _("月"),
            *_pair_header(this, last),
            _("%(year)s 累計金額（円）", year=this),
            _("%(year)s 累計金額（円）", year=last),
        ),
        rows=rows,
        svg=bars + line,
        total=(_("合計"), *_cells(a.total, a.last_total), None, None),
    )


def december_table(a: Analytics) -> Table:
    this, last = str(a.year), str(a.year - 1)
    rows = tuple(
        (r.day, *_cells(r.this, r.last), r.this_cumulative.amount, r.last_cumulative.amount)
        for r in a.december
    )
    svg = charts.line_pair(
        [str(r.day) for r in a.december],
        [r.this.amount for r in a.december],
        [r.last.amount for r in a.december],
        title=_("12月の日別寄附額（%(this)s年と%(last)s年）", this=this, last=last),
        this_label=_("%(year)s年12月", year=this),
        last_label=_("%(year)s年12月", year=last),
        unit=_("円"),
        every=5,
    )
    end = a.december[-1]
    return Table(
        key="december",
        title=_("12月の日別の寄附"),
        header=(
            _("日"),
            *_pair_header(_("%(year)s年12月", year=this), _("%(year)s年12月", year=last)),
            _("%(year)s年12月 累計金額（円）", year=this),
            _("%(year)s年12月 累計金額（円）", year=last),
        ),
        rows=rows,
        svg=svg,
        total=(_("合計"), *_cells(end.this_cumulative, end.last_cumulative), None, None),
    )


def kinds_table(a: Analytics, locale: str) -> Table:
    this, last = fiscal_year_label(a.year, locale), fiscal_year_label(a.year - 1, locale)
    rows: tuple[tuple[Value, ...], ...] = tuple(
        (_kind(k.kind), *_cells(k.this, k.last)) for k in a.kinds
    )
    svg = paired_bars(
        [(_kind(k.kind), k.this.amount, k.last.amount) for k in a.kinds],
        title=_("災害支援とクラウドファンディングの寄附額"),
        this_label=this,
        last_label=last,
        unit=_("円"),
    )
    return Table(
        key="kinds",
        title=_("寄附の区分（災害支援・クラウドファンディングは別に数えます）"),
        header=(_("区分"), *_pair_header(this, last)),
        rows=rows,
        svg=svg,
        note=_(
            "災害支援でありクラウドファンディングでもある寄附は両方に数えます。"
            "「そのほかの寄附」はどちらでもない寄附です。"
        ),
    )


def _gifts_table(
    key: str, title: str, gifts: Sequence[GiftRow], value: Callable[[GiftRow], int], unit: str
) -> Table:
    return Table(
        key=key,
        title=title,
        header=(_("順位"), _("返礼品コード"), _("返礼品"), _("件数"), _("金額（円）")),
        rows=tuple((i, g.code, g.name, g.count, g.amount) for i, g in enumerate(gifts, 1)),
        svg=charts.ranked_bars(
            [(f"{g.code} {g.name}", value(g)) for g in gifts],
            title=title,
            unit=unit,
            data_labels=True,
        ),
        ja_columns=frozenset({2}),
        note=_("返礼品を含む寄附の件数と金額です（2つの返礼品を選んだ寄附は両方に数えます）。"),
    )


def gift_tables(a: Analytics) -> tuple[Table, Table]:
    return (
        _gifts_table("gifts-amount", _("寄附額の多い返礼品（上位10）"), a.top_by_amount,
                     lambda g: g.amount, _("円")),
        _gifts_table("gifts-count", _("寄附件数の多い返礼品（上位10）"), a.top_by_count,
                     lambda g: g.count, _("件")),
    )  # fmt: skip


def prefectures_table(a: Analytics, locale: str) -> Table:
    this, last = fiscal_year_label(a.year, locale), fiscal_year_label(a.year - 1, locale)
    rows: tuple[tuple[Value, ...], ...] = tuple(
        (_prefecture(p.prefecture, locale), *_cells(p.this, p.last)) for p in a.prefectures
    )
    svg = paired_bars(
        [(_prefecture(p.prefecture, locale), p.this.amount, p.last.amount)
         for p in a.prefectures],
        title=_("寄附者の都道府県別の寄附額（今年度の多い順）"),
        this_label=this,
        last_label=last,
        unit=_("円"),
    )  # fmt: skip
    return Table(
        key="prefectures",
        title=_("寄附者の都道府県"),
        header=(_("都道府県"), *_pair_header(this, last)),
        rows=rows,
        svg=svg,
        total=(_("合計"), *_cells(a.total, a.last_total)),
        note=_("寄附者の住所の都道府県です。都道府県から書かれていない住所は「不明」です。"),
    )


def repeat_table(a: Analytics, locale: str) -> Table:
    this, last = fiscal_year_label(a.year, locale), fiscal_year_label(a.year - 1, locale)
    r = a.repeat
    rows = (
        (_("%(year)s 年度内に2回以上", year=this), r.donors, r.repeat, r.repeat_share),
        (_("%(year)s 年度内に2回以上", year=last), r.last_donors, r.last_repeat,
         r.last_repeat_share),
        (_("%(last)s の寄附者が %(this)s も寄附", last=last, this=this), r.last_donors,
         r.returning, r.returning_share),
    )  # fmt: skip
    svg = charts.ranked_bars(
        [(str(row[0]), float(row[3] or 0)) for row in rows],
        title=_("リピート寄附者の割合"),
        unit="%",
        label_chars=46,
        label_width=260,
    )
    return Table(
        key="repeat",
        title=_("リピート寄附者"),
        header=(_("指標"), _("寄附者数"), _("該当する寄附者数"), _("割合（%）")),
        rows=rows,
        svg=svg,
        note=_(
            "寄附者は同じメールアドレスで1人と数えます。メールアドレスのない寄附は、"
            "氏名と電話番号が同じなら同じ寄附者です。どちらもない寄附は1件で1人です。"
        ),
    )


def tables(a: Analytics, locale: str) -> dict[str, Table]:
    """Every chart of the page, in the page's order, by its CSV name."""
    by_amount, by_count = gift_tables(a)
    out = [
        portals_table(a, locale),
        months_table(a, locale),
        december_table(a),
        kinds_table(a, locale),
        by_amount,
        by_count,
        prefectures_table(a, locale),
        repeat_table(a, locale),
    ]
    return {t.key: t for t in out}
