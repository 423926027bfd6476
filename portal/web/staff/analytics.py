"""Staff: the city's analytics [6(8)ア] — a 年度 against the last, each chart drawn as SVG
with its numbers in a table under it and as a CSV.

City and operator staff read it (can_read_analytics). The running 年度's figures come from the
worker's snapshot (portal/analytics/snapshot.py) when it is fresh, else they are computed here;
the page says when they were counted. The page shows counts and yen only
(no donor is named or singled out), so viewing it writes no audit row; a CSV leaves the
portal, so each download writes one (as the desk's analysis export does).
"""

from __future__ import annotations

from flask import Response, abort, current_app, flash, make_response, request
from flask_babel import get_locale
from flask_babel import gettext as _

from portal.analytics import queries
from portal.analytics import snapshot as analytics_snapshot
from portal.analytics.cache import Kept, cached_analytics
from portal.analytics.tables import CHARTS, tables
from portal.core.dates import fiscal_year, fiscal_year_label, today_jst
from portal.core.roles import can_read_analytics
from portal.core.spreadsheet import csv_bytes
from portal.extensions import db
from portal.web import audit_trail
from portal.web.guards import requires
from portal.web.htmx import render


def _year(offered: list[int]) -> int:
    """The 年度 asked for (?year=2026), or this one; a year outside the list is refused."""
    raw = request.args.get("year", "").strip()
    if not raw:
        return offered[0]
    if raw.isdigit() and int(raw) in offered:
        return int(raw)
    flash(_("その年度の寄附はありません。今年度を表示しています。"), "error")
    return offered[0]


def _locale() -> str:
    return str(get_locale() or "ja")


def _figures(year: int) -> Kept:
    """The worker's figures when fresh (the running 年度), else computed here (kept a few
    minutes per process)."""
    today = today_jst()
    snap = analytics_snapshot.fresh(db.session, year, today)
    if snap is not None:
        return Kept(snap[0], snap[1], expires=0)
    return cached_analytics(
        db.session,
        year,
        today,
        seconds=int(current_app.config.get("ANALYTICS_CACHE_SECONDS", 0)),
        key=str(current_app.config["SQLALCHEMY_DATABASE_URI"]),
    )


@requires(can_read_analytics)
def analytics() -> str:
    today = today_jst()
    offered = queries.fiscal_years(db.session, today)
    year = _year(offered)
    kept = _figures(year)
    figures = kept.figures
    locale = _locale()
    return render(
        "staff/analytics.html",
        a=figures,
        year=year,
        year_label=fiscal_year_label(year, locale),
        last_label=fiscal_year_label(year - 1, locale),
        years=[(y, fiscal_year_label(y, locale)) for y in offered],
        running=fiscal_year(today) == year,
        computed_at=kept.computed_at,
        tables=tables(figures, locale),
    )


@requires(can_read_analytics)
def analytics_csv(chart: str) -> Response:
    if chart not in CHARTS:
        abort(404)
    today = today_jst()
    offered = queries.fiscal_years(db.session, today)
    raw = request.args.get("year", "")
    year = int(raw) if raw.isdigit() and int(raw) in offered else offered[0]
    table = tables(_figures(year).figures, _locale())[chart]
    audit_trail.record(
        "export", "analytics", f"{chart}:{year}", label=f"分析 {chart} {fiscal_year_label(year)}"
    )
    response = make_response(csv_bytes(table.header, table.csv_rows()))
    response.mimetype = "text/csv"
    response.headers["Content-Disposition"] = f'attachment; filename="analytics-{chart}-{year}.csv"'
    return response
