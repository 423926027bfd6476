"""The 5割 and 3割 figures for the 年度 (April–March, JST) to date, and their projection.

- Income: donations received (受領日) in the 年度 up to today, not cancelled — the same rule as
  the invoice's base fee.
- Costs: `categories.py` says where each comes from; months run from April to this month.
- Ratio: costs × 10000 / income in basis points; a limit is exceeded when the costs are more
  than 50% (3割: the procurement costs more than 30%), a warning is due at the staff-set margin
  (costs ≥ margin). Integers throughout: the test recomputes them by hand.

Projection to the 年度 end (`project`): the rest of the year's income is last 年度's income
over the same remaining days scaled by this year's growth (this year to date ÷ last year to
the same day) — donations concentrate in December, so a straight line would be wrong; with no
income last year to date it falls back to a straight line (income per elapsed day × remaining
days). Costs that grow with donations (調達, 送付, 決済, 事務) are projected at their share of
income to date; 広報 at its amount per elapsed day. Floors at each step.

The income figures (this 年度 by month, last 年度 to the same day and after it) are the only
sums over every donation: `watch` takes them from the worker's five-minute snapshot while it
is fresh (portal/oversight/snapshot.py) and says when they were counted; the costs are read
live on every call.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.gifts.models import OFFERED_STATUSES, RETURN_RATIO_LIMIT_PERCENT, Gift
from portal.monthly import invoice as city_invoice
from portal.monthly.models import CityAdvertisement
from portal.oversight import categories as cat
from portal.oversight import snapshot
from portal.oversight.categories import ITEMS, PROPORTIONAL, Category
from portal.oversight.models import CostEntry, GiftPriceChange, OversightSetting
from portal.statements.service import month_statements

FIFTY_LIMIT_BP = 5000
THIRTY_LIMIT_BP = RETURN_RATIO_LIMIT_PERCENT * 100


class Level(enum.StrEnum):
    NONE = "none"  # no income yet
    OK = "ok"
    WARN = "warn"  # at or above the margin
    OVER = "over"  # above the limit


def fiscal_bounds(day: date) -> tuple[date, date]:
    """First and last day of the 年度 containing `day`."""
    year = day.year if day.month >= 4 else day.year - 1
    return date(year, 4, 1), date(year + 1, 3, 31)


def months_between(start: date, end: date) -> list[str]:
    months, year, mon = [], start.year, start.month
    while (year, mon) <= (end.year, end.month):
        months.append(f"{year:04d}-{mon:02d}")
        year, mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    return months


def ratio_bp(cost: int, income: int) -> int | None:
    return None if income <= 0 else cost * 10000 // income


def level(cost: int, income: int, margin_bp: int, limit_bp: int) -> Level:
    if income <= 0:
        return Level.NONE
    if cost * 10000 > income * limit_bp:
        return Level.OVER
    if cost * 10000 >= income * margin_bp:
        return Level.WARN
    return Level.OK


def settings(session: Session) -> OversightSetting:
    """The margins in force (defaults, not saved, until staff set them)."""
    row = session.scalar(sa.select(OversightSetting).order_by(OversightSetting.id).limit(1))
    if row is None:
        from portal.oversight.models import DEFAULT_FIFTY_MARGIN_BP, DEFAULT_THIRTY_MARGIN_BP

        row = OversightSetting(
            fifty_margin_bp=DEFAULT_FIFTY_MARGIN_BP, thirty_margin_bp=DEFAULT_THIRTY_MARGIN_BP
        )
    return row


@dataclass
class Breakdown:
    start: date
    today: date
    end: date
    # the income's figures (this 年度's and last 年度's) and when they were counted
    counted: snapshot.Income
    income: int = 0
    # month → item key → yen
    monthly: dict[str, dict[str, int]] = field(default_factory=dict)
    monthly_income: dict[str, int] = field(default_factory=dict)
    no_rate_months: list[str] = field(default_factory=list)  # operator fee unknown

    @property
    def income_counted_at(self) -> datetime | None:
        return self.counted.counted_at

    @property
    def fiscal_year(self) -> int:
        return self.start.year

    def item_total(self, key: str) -> int:
        return sum(items.get(key, 0) for items in self.monthly.values())

    def category_total(self, category: Category) -> int:
        return sum(self.item_total(i.key) for i in ITEMS if i.category == category)

    def month_category(self, month: str, category: Category) -> int:
        items = self.monthly.get(month, {})
        return sum(items.get(i.key, 0) for i in ITEMS if i.category == category)

    @property
    def total(self) -> int:
        return sum(self.category_total(c) for c in Category)

    @property
    def elapsed_days(self) -> int:
        return (self.today - self.start).days + 1

    @property
    def remaining_days(self) -> int:
        return (self.end - self.today).days


def _invoice_amounts(
    session: Session, month: str, into: dict[str, int], groups: city_invoice.Groups
) -> bool:
    """Add the month's city invoice to `into`; False when no contract rate covers the month
    (then only the statements' gift costs are known). A draft is built from `groups` (the
    month's donations per invoice group, counted with the income)."""
    issued = city_invoice.current_invoice(session, month)
    if issued is not None:
        lines = list(issued.lines)
    else:
        try:
            lines = city_invoice.build(session, month, groups).lines
        except DomainError:
            for st in month_statements(session, month):
                for sl in st.lines:
                    if sl.billable:
                        into[cat.GIFT_COST_ITEM] += sl.cost_total
                        into[cat.GIFT_SHIPPING_ITEM] += sl.shipping_total
            return False
    for line in lines:
        if line.section == "gifts":
            into[cat.GIFT_COST_ITEM] += line.cost
            into[cat.GIFT_SHIPPING_ITEM] += line.shipping
        elif line.section in cat.INVOICE_SECTION_ITEM:
            into[cat.INVOICE_SECTION_ITEM[line.section]] += line.amount
    return True


def breakdown(
    session: Session, today: date | None = None, income: snapshot.Income | None = None
) -> Breakdown:
    """Costs by month and item, and income, for the 年度 to `today` (JST). The income is
    `income` when given (the worker's snapshot: portal/oversight/snapshot.py), else counted
    now; the costs are always read now."""
    today = today or today_jst()
    if income is None or income.today != today:
        income = snapshot.count(session, today)
    start, end = fiscal_bounds(today)
    result = Breakdown(start=start, today=today, end=end, counted=income)
    months = months_between(start, today)
    for month in months:
        items: dict[str, int] = defaultdict(int)
        if not _invoice_amounts(session, month, items, income.groups.get(month, {})):
            result.no_rate_months.append(month)
        result.monthly[month] = items
    for ad in session.scalars(
        sa.select(CityAdvertisement).where(
            CityAdvertisement.paid_on >= start, CityAdvertisement.paid_on <= today
        )
    ):
        items = result.monthly[f"{ad.paid_on.year:04d}-{ad.paid_on.month:02d}"]
        items[cat.CITY_ADS_ITEM] += ad.amount
        items[cat.CITY_ADS_DEDUCTED_ITEM] -= ad.amount
    for entry in session.scalars(
        sa.select(CostEntry).where(CostEntry.month >= months[0], CostEntry.month <= months[-1])
    ):
        result.monthly[entry.month][cat.ENTRY_ITEM[entry.category]] += entry.amount
    result.monthly_income = dict(income.monthly)
    result.income = sum(result.monthly_income.values())
    return result


class Method(enum.StrEnum):
    LAST_YEAR = "last_year"  # last 年度's shape, scaled by this year's growth
    LINEAR = "linear"  # income per elapsed day


@dataclass
class Projection:
    method: Method
    income: int  # the whole 年度
    costs: dict[Category, int]  # the whole 年度

    @property
    def total(self) -> int:
        return sum(self.costs.values())


def project(b: Breakdown) -> Projection:
    ly_elapsed, ly_rest = b.counted.last_elapsed, b.counted.last_rest
    if ly_elapsed > 0:
        rest_income, method = ly_rest * b.income // ly_elapsed, Method.LAST_YEAR
    else:
        rest_income, method = b.income * b.remaining_days // b.elapsed_days, Method.LINEAR
    costs: dict[Category, int] = {}
    for category in Category:
        so_far = b.category_total(category)
        if category in PROPORTIONAL:
            rest = rest_income * so_far // b.income if b.income > 0 else 0
        else:
            rest = so_far * b.remaining_days // b.elapsed_days
        costs[category] = so_far + rest
    return Projection(method=method, income=b.income + rest_income, costs=costs)


@dataclass
class Watch:
    """What the card and the page show."""

    breakdown: Breakdown
    projection: Projection
    fifty_margin_bp: int
    thirty_margin_bp: int

    @property
    def fifty_now(self) -> Level:
        b = self.breakdown
        return level(b.total, b.income, self.fifty_margin_bp, FIFTY_LIMIT_BP)

    @property
    def fifty_projected(self) -> Level:
        p = self.projection
        return level(p.total, p.income, self.fifty_margin_bp, FIFTY_LIMIT_BP)

    @property
    def thirty_now(self) -> Level:
        b = self.breakdown
        cost = b.category_total(Category.PROCUREMENT)
        return level(cost, b.income, self.thirty_margin_bp, THIRTY_LIMIT_BP)

    @property
    def thirty_projected(self) -> Level:
        p = self.projection
        cost = p.costs[Category.PROCUREMENT]
        return level(cost, p.income, self.thirty_margin_bp, THIRTY_LIMIT_BP)

    @property
    def fifty_now_bp(self) -> int | None:
        return ratio_bp(self.breakdown.total, self.breakdown.income)

    @property
    def fifty_projected_bp(self) -> int | None:
        return ratio_bp(self.projection.total, self.projection.income)

    @property
    def thirty_now_bp(self) -> int | None:
        return ratio_bp(self.breakdown.category_total(Category.PROCUREMENT), self.breakdown.income)

    @property
    def thirty_projected_bp(self) -> int | None:
        return ratio_bp(self.projection.costs[Category.PROCUREMENT], self.projection.income)

    @staticmethod
    def pct(bp: int | None) -> str:
        return percent(bp)

    @property
    def warned(self) -> bool:
        levels = (self.fifty_now, self.fifty_projected, self.thirty_now, self.thirty_projected)
        return any(lv in (Level.WARN, Level.OVER) for lv in levels)


def watch(session: Session, today: date | None = None, *, live: bool = False) -> Watch:
    """The watch for `today` (JST): the income from the worker's snapshot while it is fresh
    (unless `live`), counted now otherwise; the costs and the margins read now."""
    today = today or today_jst()
    b = breakdown(session, today, snapshot.income(session, today, live=live))
    s = settings(session)
    return Watch(
        breakdown=b,
        projection=project(b),
        fifty_margin_bp=s.fifty_margin_bp,
        thirty_margin_bp=s.thirty_margin_bp,
    )


# --- gifts -----------------------------------------------------------------------------


@dataclass
class GiftDrift:
    gift: Gift
    change: GiftPriceChange
    before_bp: int  # 調達費用 / 必要寄附額 before the change
    after_bp: int  # now

    @property
    def over(self) -> bool:
        return self.gift.exceeds_return_limit  # the 3割 rule, as Gift defines it


def _gift_bp(cost: int, amount: int) -> int:
    return cost * 10000 // amount if amount > 0 else 0


def drifted_gifts(session: Session, margin_bp: int) -> list[GiftDrift]:
    """Offered gifts whose latest price change took their 調達費用 / 必要寄附額 (shipping
    excluded, as the 3割 rule) from below the margin to the margin or above — over 3割 or
    within the margin of it."""
    at_margin = list(
        session.scalars(
            sa.select(Gift)
            .where(
                Gift.status.in_(OFFERED_STATUSES),
                Gift.procurement_cost * 10000 >= Gift.required_amount * margin_bp,
            )
            .order_by(Gift.code)
        )
    )
    if not at_margin:
        return []
    latest: dict[int, GiftPriceChange] = {}
    for row in session.scalars(
        sa.select(GiftPriceChange)
        .where(GiftPriceChange.gift_id.in_([g.id for g in at_margin]))
        .order_by(GiftPriceChange.changed_at, GiftPriceChange.id)
    ):
        latest[row.gift_id] = row
    drifts = []
    for gift in at_margin:
        change = latest.get(gift.id)
        if change is None or change.old_required_amount is None:
            continue  # no change since it was created (or its baseline): not a drift
        old_amount = change.old_required_amount
        old_cost = change.old_procurement_cost or 0
        before = _gift_bp(old_cost, old_amount)
        if before >= margin_bp:
            continue
        drifts.append(
            GiftDrift(
                gift=gift,
                change=change,
                before_bp=before,
                after_bp=_gift_bp(gift.procurement_cost, gift.required_amount),
            )
        )
    return drifts


def percent(bp: int | None) -> str:
    """4712 → '47.12%'; '—' when there is nothing to divide by."""
    if bp is None:
        return "—"
    return f"{bp // 100}.{bp % 100:02d}%"
