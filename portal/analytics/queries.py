"""The city's analytics [6(8)ア]: one 年度 against the one before, as plain frozen values.

What counts: donations by 寄附日 (`applied_on`, the day the donor gave), cancelled ones left
out — the same rule as `portal.donations.queries.figures_between`, so every table here adds up
to the donation totals. Kinds are `kind_clause` (disaster relief and crowdfunding counted apart;
a donation can be both, "regular" is neither).

Speed: no stored aggregates, nothing for the import or direct entry to keep up to date. Four
GROUP BY queries over the two 年度 (by day × portal × kind, by gift, by address prefix, by
donor) and the selector's first year (min(applied_on), an index probe: migration 0025); the
months, cumulative sums, December curves and kinds are summed in Python from the first query's
few thousand rows. bench/analytics.py times them at 1,000,000 donations. The worker counts the
running 年度 every five minutes into a snapshot the page and its CSVs read
(portal/analytics/snapshot.py); without one the staff page computes the figures and keeps them
for a few minutes (ANALYTICS_CACHE_SECONDS), so its CSVs and a second look are served without
running them again. The donor grouping runs without parallel workers (`serial`).

Repeat donors: one donor is one e-mail address (`search_email`, what the donor look-up and its
sign-in link treat as one person); without an e-mail, the same normalised name and phone
(`search_name` + `search_phone`, the search box's columns); a donation with neither is a donor
of its own (so it can never count as a repeat).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.analytics.prefectures import PREFECTURES, PREFIX_LENGTH, UNKNOWN, prefecture_of
from portal.core.dates import fiscal_range, fiscal_year
from portal.core.portals import Portal
from portal.donations.models import Donation, DonationKind, DonationLine, DonationState
from portal.donations.queries import kind_clause
from portal.gifts.models import Gift

TOP_GIFTS = 10
MONTHS = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)  # a 年度's months in order


@dataclass(frozen=True)
class Cell:
    """A count of donations and their yen."""

    count: int = 0
    amount: int = 0

    @property
    def average(self) -> int:
        """Yen per donation, rounded down (0 when there is none)."""
        return self.amount // self.count if self.count else 0

    def __add__(self, other: Cell) -> Cell:
        return Cell(self.count + other.count, self.amount + other.amount)


@dataclass(frozen=True)
class PortalRow:
    portal: Portal
    months: tuple[Cell, ...]  # the 年度's twelve months, April first
    total: Cell
    last_total: Cell  # the last 年度's


@dataclass(frozen=True)
class MonthRow:
    """One month of this 年度 beside the same month of the last; cumulative from April.
    A month still to come in the running 年度 has no cumulative figure (None)."""

    year: int
    month: int
    this: Cell
    last: Cell
    this_cumulative: Cell | None
    last_cumulative: Cell


@dataclass(frozen=True)
class DayRow:
    day: int  # 1..31 of December
    this: Cell
    last: Cell
    this_cumulative: Cell
    last_cumulative: Cell


@dataclass(frozen=True)
class GiftRow:
    gift_id: int
    code: str
    name: str
    count: int  # donation lines of the gift (one donation of two gifts counts for both)
    amount: int  # those donations' yen


@dataclass(frozen=True)
class PrefectureRow:
    prefecture: str  # the Japanese name, or UNKNOWN
    this: Cell
    last: Cell


@dataclass(frozen=True)
class KindRow:
    kind: str  # "total" or a DonationKind value
    this: Cell
    last: Cell


@dataclass(frozen=True)
class Repeat:
    """Donors (see the module's definition) of the 年度 and the last, and who came back."""

    donors: int  # donors this 年度
    repeat: int  # of them, with two or more donations this 年度
    last_donors: int  # donors last 年度
    last_repeat: int  # of them, with two or more donations last 年度
    returning: int  # last 年度's donors who gave again this 年度

    @staticmethod
    def share(part: int, whole: int) -> float:
        """Percent, one decimal (0.0 of nobody)."""
        return round(part * 100 / whole, 1) if whole else 0.0

    @property
    def repeat_share(self) -> float:
        return self.share(self.repeat, self.donors)

    @property
    def last_repeat_share(self) -> float:
        return self.share(self.last_repeat, self.last_donors)

    @property
    def returning_share(self) -> float:
        return self.share(self.returning, self.last_donors)


@dataclass(frozen=True)
class Analytics:
    year: int  # the 年度 (its April's year)
    today: date
    portals: tuple[PortalRow, ...]  # with donations in either 年度, biggest first
    months: tuple[MonthRow, ...]
    december: tuple[DayRow, ...]
    top_by_amount: tuple[GiftRow, ...]
    top_by_count: tuple[GiftRow, ...]
    prefectures: tuple[PrefectureRow, ...]  # this 年度's amount, biggest first; 不明 last
    repeat: Repeat
    kinds: tuple[KindRow, ...]  # total, disaster relief, crowdfunding, regular

    @property
    def total(self) -> Cell:
        return self.kinds[0].this

    @property
    def last_total(self) -> Cell:
        return self.kinds[0].last


def _live(start: date, end: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        Donation.applied_on >= start,
        Donation.applied_on < end,
        Donation.state != DonationState.CANCELLED,
    )


def fiscal_years(session: Session, today: date) -> list[int]:
    """The 年度 the selector offers: from the first donation's to today's, newest first."""
    first = session.scalar(sa.select(sa.func.min(Donation.applied_on)))
    now = fiscal_year(today)
    start = min(fiscal_year(first), now) if first else now
    return list(range(now, start - 1, -1))


# --- the daily grid: one query, then Python ------------------------------------------------


@dataclass(frozen=True)
class _Day:
    day: date
    portal: Portal
    relief: bool
    crowdfunding: bool
    cell: Cell


def _daily(session: Session, start: date, end: date) -> list[_Day]:
    relief = kind_clause(DonationKind.DISASTER_RELIEF)
    crowd = kind_clause(DonationKind.CROWDFUNDING)
    rows = session.execute(
        sa.select(
            Donation.applied_on,
            # the plain text: the Enum type's result processor costs more than the query
            sa.type_coerce(Donation.portal, sa.String),
            relief.label("relief"),
            crowd.label("crowd"),
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(Donation.amount), 0),
        )
        .where(_live(start, end))
        .group_by(Donation.applied_on, Donation.portal, relief, crowd)
    )
    return [_Day(d, Portal(p), bool(r), bool(c), Cell(int(n), int(a))) for d, p, r, c, n, a in rows]


def _kind_of(row: _Day, kind: str) -> bool:
    if kind == DonationKind.DISASTER_RELIEF:
        return row.relief
    if kind == DonationKind.CROWDFUNDING:
        return row.crowdfunding
    if kind == DonationKind.REGULAR:
        return not (row.relief or row.crowdfunding)
    return True  # total


def _sum(cells: list[Cell]) -> Cell:
    return Cell(sum(c.count for c in cells), sum(c.amount for c in cells))


def _months(this: list[_Day], last: list[_Day], year: int, today: date) -> tuple[MonthRow, ...]:
    by_month: dict[tuple[int, int], list[Cell]] = defaultdict(list)
    for row in [*this, *last]:
        by_month[(row.day.year, row.day.month)].append(row.cell)
    out = []
    cum_this, cum_last = Cell(), Cell()
    for month in MONTHS:
        y = year if month >= 4 else year + 1
        this_cell, last_cell = _sum(by_month[(y, month)]), _sum(by_month[(y - 1, month)])
        cum_this, cum_last = cum_this + this_cell, cum_last + last_cell
        started = date(y, month, 1) <= today
        out.append(
            MonthRow(y, month, this_cell, last_cell, cum_this if started else None, cum_last)
        )
    return tuple(out)


def _december(this: list[_Day], last: list[_Day], year: int) -> tuple[DayRow, ...]:
    by_day: dict[date, list[Cell]] = defaultdict(list)
    for row in [*this, *last]:
        if row.day.month == 12:
            by_day[row.day].append(row.cell)
    out = []
    cum_this, cum_last = Cell(), Cell()
    for d in range(1, 32):
        this_cell = _sum(by_day[date(year, 12, d)])
        last_cell = _sum(by_day[date(year - 1, 12, d)])
        cum_this, cum_last = cum_this + this_cell, cum_last + last_cell
        out.append(DayRow(d, this_cell, last_cell, cum_this, cum_last))
    return tuple(out)


def _portals(this: list[_Day], last: list[_Day]) -> tuple[PortalRow, ...]:
    grid: dict[Portal, dict[int, list[Cell]]] = defaultdict(lambda: defaultdict(list))
    for row in this:
        grid[row.portal][row.day.month].append(row.cell)
    before: dict[Portal, list[Cell]] = defaultdict(list)
    for row in last:
        before[row.portal].append(row.cell)
    rows = []
    for portal in Portal:
        if portal not in grid and portal not in before:
            continue
        months = tuple(_sum(grid[portal][m]) for m in MONTHS)
        rows.append(PortalRow(portal, months, _sum(list(months)), _sum(before[portal])))
    rows.sort(key=lambda r: (-r.total.amount, -r.last_total.amount, list(Portal).index(r.portal)))
    return tuple(rows)


def _kinds(this: list[_Day], last: list[_Day]) -> tuple[KindRow, ...]:
    kinds = ["total", DonationKind.DISASTER_RELIEF, DonationKind.CROWDFUNDING, DonationKind.REGULAR]
    return tuple(
        KindRow(
            str(kind),
            _sum([r.cell for r in this if _kind_of(r, kind)]),
            _sum([r.cell for r in last if _kind_of(r, kind)]),
        )
        for kind in kinds
    )


# --- gifts, prefectures, donors --------------------------------------------------------------


def _gifts(session: Session, start: date, end: date) -> tuple[list[GiftRow], list[GiftRow]]:
    per_gift = (
        sa.select(
            DonationLine.gift_id.label("gift_id"),
            sa.func.count().label("n"),
            sa.func.coalesce(sa.func.sum(Donation.amount), 0).label("yen"),
        )
        .join(Donation, Donation.id == DonationLine.donation_id)
        .where(_live(start, end))
        .group_by(DonationLine.gift_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(Gift.id, Gift.code, Gift.name, per_gift.c.n, per_gift.c.yen).join(
            per_gift, per_gift.c.gift_id == Gift.id
        )
    )
    gifts = [GiftRow(int(i), c, n, int(k), int(a)) for i, c, n, k, a in rows]
    by_amount = sorted(gifts, key=lambda g: (-g.amount, -g.count, g.code))[:TOP_GIFTS]
    by_count = sorted(gifts, key=lambda g: (-g.count, -g.amount, g.code))[:TOP_GIFTS]
    return by_amount, by_count


def _prefectures(
    session: Session, last_start: date, split: date, end: date
) -> tuple[PrefectureRow, ...]:
    prefix = sa.func.substr(sa.func.ltrim(Donation.address), 1, PREFIX_LENGTH)
    this_year = Donation.applied_on >= split
    rows = session.execute(
        sa.select(
            prefix,
            sa.func.count().filter(this_year),
            sa.func.coalesce(sa.func.sum(sa.case((this_year, Donation.amount), else_=0)), 0),
            sa.func.count().filter(sa.not_(this_year)),
            sa.func.coalesce(sa.func.sum(sa.case((this_year, 0), else_=Donation.amount)), 0),
        )
        .where(_live(last_start, end))
        .group_by(prefix)
    )
    found: dict[str, tuple[Cell, Cell]] = {}
    for text, n, a, ln, la in rows:
        name = prefecture_of(text or "")
        this, last = found.get(name, (Cell(), Cell()))
        found[name] = (this + Cell(int(n), int(a)), last + Cell(int(ln), int(la)))
    order = {ja: i for i, (ja, _en) in enumerate(PREFECTURES)}
    out = [PrefectureRow(name, this, last) for name, (this, last) in found.items()]
    out.sort(key=lambda r: (r.prefecture == UNKNOWN, -r.this.amount, -r.this.count,
                            order.get(r.prefecture, 99)))  # fmt: skip
    return tuple(out)


def donor_key() -> tuple[sa.ColumnExpressionArgument[Any], ...]:
    """One donor across donations (the module's definition), as GROUP BY columns: the e-mail;
    else the name and phone; else the donation's own id (plain columns, no text built per row)."""
    no_email = Donation.search_email == ""
    by_name = sa.and_(no_email, Donation.search_name != "", Donation.search_phone != "")
    return (
        Donation.search_email,
        sa.case((by_name, Donation.search_name), else_=sa.null()),
        sa.case((by_name, Donation.search_phone), else_=sa.null()),
        sa.case((sa.and_(no_email, sa.not_(by_name)), Donation.id), else_=sa.null()),
    )


def _repeat(session: Session, last_start: date, split: date, end: date) -> Repeat:
    this_year = Donation.applied_on >= split
    per_donor = (
        sa.select(
            sa.func.count().filter(this_year).label("n_this"),
            sa.func.count().filter(sa.not_(this_year)).label("n_last"),
        )
        .where(_live(last_start, end))
        .group_by(*donor_key())
        .subquery()
    )
    n_this, n_last = per_donor.c.n_this, per_donor.c.n_last
    stmt = sa.select(
        sa.func.count().filter(n_this > 0),
        sa.func.count().filter(n_this > 1),
        sa.func.count().filter(n_last > 0),
        sa.func.count().filter(n_last > 1),
        sa.func.count().filter(sa.and_(n_last > 0, n_this > 0)),
    )
    with serial(session):
        row = session.execute(stmt).one()
    return Repeat(*(int(v) for v in row))


PARALLEL = "max_parallel_workers_per_gather"


@contextmanager
def serial(session: Session) -> Iterator[None]:
    """PostgreSQL: run the statements inside without parallel workers, then the setting as it
    was (SQLite: nothing to do).

    The donor grouping (`_repeat`) always runs so: it has about one group per two donations,
    so the workers' partial groups hardly merge; PostgreSQL sorts in each worker, then merges
    some 500,000 partial groups through one Gather Merge and finalises them in the leader. At
    1,000,000 donations (EXPLAIN ANALYZE on bench/analytics.py's seed) that plan took 0.7–1.2 s
    of wall, the leader alone 0.55 s CPU with two workers sorting besides; the plain plan
    takes 0.65 s of wall and as much CPU, on one core. The worker's snapshot counts
    everything so (portal/analytics/snapshot.py): about the same wall, one database core."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    before = session.scalar(sa.select(sa.func.current_setting(PARALLEL)))
    session.execute(sa.select(sa.func.set_config(PARALLEL, "0", True)))  # this transaction's
    yield  # a failed statement rolls the transaction back, the setting with it
    session.execute(sa.select(sa.func.set_config(PARALLEL, before, True)))


def analytics(session: Session, year: int, today: date) -> Analytics:
    """Everything the analytics page shows of the 年度 `year` (April `year` – March)."""
    start, end = fiscal_range(year)
    last_start, _ = fiscal_range(year - 1)
    days = _daily(session, last_start, end)
    this = [r for r in days if r.day >= start]
    last = [r for r in days if r.day < start]
    by_amount, by_count = _gifts(session, start, end)
    return Analytics(
        year=year,
        today=today,
        portals=_portals(this, last),
        months=_months(this, last, year, today),
        december=_december(this, last, year),
        top_by_amount=tuple(by_amount),
        top_by_count=tuple(by_count),
        prefectures=_prefectures(session, last_start, start, end),
        repeat=_repeat(session, last_start, start, end),
        kinds=_kinds(this, last),
    )
