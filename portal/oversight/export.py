"""The breakdown as a workbook in the shape of the city's report to 総務省 [6(8)イ(ウ)]:
category rows (with their items) × the 年度 to date and the projection, then 寄附受入額,
the total and the ratios; a second sheet by month; a third with the gifts at the 3割 margin."""

from __future__ import annotations

from flask_babel import gettext as _

from portal.core.spreadsheet import xlsx_bytes
from portal.oversight.categories import CATEGORY_LABELS, ITEMS, Category
from portal.oversight.ratios import GiftDrift, Watch, percent


def workbook(w: Watch, drifts: list[GiftDrift]) -> bytes:
    b, p = w.breakdown, w.projection
    summary: list[list[object]] = []
    for category in Category:
        summary.append(
            [str(CATEGORY_LABELS[category]), "", b.category_total(category), p.costs[category]]
        )
        for item in ITEMS:
            if item.category == category:
                summary.append(["", str(item.label), b.item_total(item.key), ""])
    summary += [
        [_("募集に要した費用の合計"), "", b.total, p.total],
        [_("寄附受入額"), "", b.income, p.income],
        [_("募集費用の割合（5割）"), "", percent(w.fifty_now_bp), percent(w.fifty_projected_bp)],
        [_("返礼品等の調達の割合（3割）"), "", percent(w.thirty_now_bp),
         percent(w.thirty_projected_bp)],
    ]  # fmt: skip
    months = sorted(b.monthly)
    by_month = [
        [m, *(b.month_category(m, c) for c in Category),
         sum(b.month_category(m, c) for c in Category), b.monthly_income.get(m, 0)]
        for m in months
    ]  # fmt: skip
    gifts = [
        [d.gift.code, d.gift.name, d.gift.required_amount, d.gift.procurement_cost,
         percent(d.before_bp), percent(d.after_bp), _("超過") if d.over else _("警告")]
        for d in drifts
    ]  # fmt: skip
    period = _("%(start)s〜%(today)s", start=b.start.isoformat(), today=b.today.isoformat())
    return xlsx_bytes(
        [
            (
                _("募集費用"),
                [_("区分"), _("内訳"), _("年度累計（%(period)s）", period=period),
                 _("年度末見込み")],
                summary,
            ),
            (
                _("月別"),
                [_("月"), *(str(CATEGORY_LABELS[c]) for c in Category), _("合計"),
                 _("寄附受入額")],
                by_month,
            ),
            (
                _("3割の警告"),
                [_("返礼品コード"), _("返礼品名"), _("必要寄附額"), _("調達費用"),
                 _("変更前の割合"), _("現在の割合"), _("状態")],
                gifts,
            ),
        ]
    )  # fmt: skip
