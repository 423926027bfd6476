"""The city's report to 総務省 on proposals [6(6)オ]: one row per gift, as xlsx and CSV.

Headers are in Japanese because the sheet goes to 総務省 and the city's files as it is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.core.dates import JST, to_jst
from portal.core.spreadsheet import csv_bytes, xlsx_bytes
from portal.gifts.proposal_models import Proposal, ProposalState

HEADERS = (
    "提案番号",
    "返礼品名",
    "事業者",
    "地場産品基準（号）",
    "告示条項",
    "地場産品類型（チョイス）",
    "原材料（産地・割合）",
    "製造・加工工程（場所・付加価値割合）",
    "提供場所",
    "号ごとの情報",
    "必要寄附額（円）",
    "調達費用（円）",
    "送料（円）",
    "返礼割合（%）",
    "状態",
    "承認日",
)


def _start(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=JST).astimezone(UTC)


def report_rows(
    session: Session,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    status: ProposalState | None = ProposalState.APPROVED,
) -> list[list[Any]]:
    """Rows for the period (JST days, inclusive). Approved proposals are dated by their
    decision, the others by their last change."""
    from portal.gifts.proposals import choice_category, criteria

    stamp = Proposal.decided_at if status == ProposalState.APPROVED else Proposal.updated_at
    stmt = (
        sa.select(Proposal)
        .where(Proposal.state != ProposalState.DRAFT)
        .order_by(stamp, Proposal.id)
    )
    if status is not None:
        stmt = stmt.where(Proposal.state == status)
    if date_from:
        stmt = stmt.where(stamp >= _start(date_from))
    if date_to:
        stmt = stmt.where(stamp < _start(date_to + timedelta(days=1)))
    out: list[list[Any]] = []
    for p in session.scalars(stmt):
        crit = criteria().get(p.criterion, {})
        ratio = (
            round((p.procurement_cost or 0) * 100 / p.required_amount, 1)
            if p.required_amount
            else None
        )
        out.append(
            [
                p.id,
                p.name,
                p.supplier.name,
                p.criterion,
                crit.get("article", ""),
                choice_category(p),
                "；".join(
                    f"{m.get('material', '')}（{m.get('origin', '')}・{m.get('share')}%）"
                    for m in p.materials or []
                ),
                "；".join(
                    f"{s.get('step', '')}（{s.get('place', '')}・{s.get('share')}%）"
                    for s in p.steps or []
                ),
                p.service_place,
                "；".join(f"{k}={v}" for k, v in (p.origin_details or {}).items()),
                p.required_amount,
                p.procurement_cost,
                p.shipping_fee,
                ratio,
                p.state.value,
                to_jst(p.decided_at).date().isoformat()
                if p.decided_at and p.state == ProposalState.APPROVED
                else "",
            ]
        )
    return out


def write_xlsx(rows: list[list[Any]], path: Path) -> None:
    path.write_bytes(xlsx_bytes([("返礼品", HEADERS, rows)]))


def write_csv(rows: list[list[Any]], path: Path) -> None:
    """UTF-8 with BOM so that Excel on a city PC opens it without mojibake."""
    path.write_bytes(csv_bytes(HEADERS, rows))
