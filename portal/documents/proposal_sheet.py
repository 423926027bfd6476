"""The proposal sheet (返礼品 提案書): one A4 page per gift proposal, for the city's file and 総務省.

Rendered from plain values only (`ProposalSheet`), through the shared WeasyPrint engine in
portal.documents.rendering. Japanese-only on purpose: it is the form the city sends to 総務省,
so labels are fixed Japanese text, not catalogue strings. Several sheets go into ONE document
(fonts subset once). A sheet is one A4 page; one with very many origin rows continues on the
next page (its footer repeats the proposal number) rather than being cut off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.core import clock
from portal.core.dates import to_jst, wareki
from portal.core.money import format_yen
from portal.core.roles import Role
from portal.core.timeline import events_for
from portal.documents.rendering import DocumentRenderError, html_to_pdf, reference_pdf
from portal.gifts.models import Gift
from portal.gifts.proposal_models import GiftOrigin, Proposal, ProposalEvent, ProposalState
from portal.gifts.proposal_report import _start
from portal.gifts.proposals import SUBJECT, criteria

TEMPLATE = "documents/proposal_sheet.html"
STYLESHEET = "proposal_sheet.css"

ROLE_TITLES = {
    Role.CITY: "市職員（ふるさと納税担当）",
    Role.OPERATOR: "運営事業者 担当者",
    Role.OPERATOR_ADMIN: "運営事業者 管理者",
    Role.SUPPLIER: "返礼品提供事業者",
}
STATE_TITLES = {
    ProposalState.SUBMITTED: "提出済み",
    ProposalState.UNDER_REVIEW: "審査中",
    ProposalState.CHANGES_REQUESTED: "修正依頼中",
    ProposalState.RESUBMITTED: "再提出",
    ProposalState.RECOMMENDED: "市へ推薦済み",
    ProposalState.APPROVED: "承認",
    ProposalState.REJECTED: "不承認",
    ProposalState.DRAFT: "下書き",
}
DETAIL_TITLES = {
    "production_place": "生産地（住所）",
    "processing_place": "加工地",
    "mixing_reason": "混在が避けられない理由",
    "qualifying_value_share": "地場産品部分の価額割合（%）",
    "operator_in_prefecture": "宿泊事業者は広島県内のみで宿泊施設を運営",
    "brand_outside_prefecture": "県外の宿泊施設のブランド名を冠する",
    "price_per_person_night": "1人1泊あたりの料金（円）",
    "lodging_cost_per_person_night": "宿泊の調達に要する費用（1人1泊・円）",
    "disaster_designation": "特定非常災害の名称と災害救助法の適用",
    "value_added": "市内の工程で生じる付加価値",
    "area_relevance": "サービスと市との関連性",
    "shared_kind": "共通返礼品の種類",
    "set_components": "セットの品物と当たる号",
    "disaster_name": "災害名",
    "original_item": "本来の返礼品",
    "voucher_scope": "使える品物・サービス",
}


@dataclass(frozen=True)
class MaterialRow:
    material: str
    origin: str
    share: str  # "80" or "" when not given


@dataclass(frozen=True)
class StepRow:
    step: str
    place: str
    share: str


@dataclass(frozen=True)
class ProposalSheet:
    """Everything one sheet prints, as display-ready text (no ORM objects)."""

    number: str  # 提案番号 (as in the report to 総務省)
    name: str
    supplier: str
    state: str
    criterion_article: str  # 第5条第3号イ
    criterion_text: str  # the explanation from criteria.json
    materials: tuple[MaterialRow, ...]
    steps: tuple[StepRow, ...]
    service_place: str
    details: tuple[tuple[str, str], ...]  # (label, value) of the per-号 facts
    contents: str
    required_amount: str  # "30,000円" or ""
    procurement_cost: str
    shipping_fee: str
    return_ratio: str  # "30.0%" (procurement / amount; shipping not counted) or ""
    approved_on: str  # 和暦, "" when not approved
    approver_role: str
    printed_on: str  # 和暦


def proposal_number(proposal_id: int) -> str:
    """The same number as the 提案番号 column of the 総務省 report (proposal_report)."""
    return str(proposal_id)


def _share(value: Any) -> str:
    return "" if value is None or value == "" else str(value)


def _yen(value: int | None) -> str:
    return format_yen(value) if value is not None else ""


def return_ratio(procurement_cost: int | None, required_amount: int | None) -> str:
    """Procurement cost over the required donation, one decimal; shipping is outside the 3割."""

    if not required_amount:
        return ""
    text = f"{(procurement_cost or 0) * 100 / required_amount:.1f}%"
    # Rounding can print 30.0% for 30.003%: say outright when the 3割 is exceeded.
    return text + "（3割超）" if Gift.over_return_limit(required_amount, procurement_cost) else text


SHARED_KINDS = {
    "i": "イ（近隣市町村と共同）",
    "ro": "ロ（県と市町村の連携）",
    "ha": "ハ（県の地域資源認定）",
}


def _detail_value(key: str, value: Any) -> str:
    if key == "shared_kind":
        return SHARED_KINDS.get(str(value), str(value))
    if value is True:
        return "はい"
    if value is False:
        return "いいえ"
    return str(value)


def _approver_role(session: Session, p: Proposal) -> str:
    """The approver's role: from the gift's origin record, else from the approval event."""
    origin = session.scalar(sa.select(GiftOrigin).where(GiftOrigin.proposal_id == p.id))
    user = origin.approved_by if origin is not None else None
    if user is None:
        approved = [
            e for e in events_for(session, SUBJECT, p.id) if e.kind == ProposalEvent.APPROVED
        ]
        if approved and approved[-1].actor_user_id:
            user = session.get(User, approved[-1].actor_user_id)
    return ROLE_TITLES.get(user.role, str(user.role)) if user is not None else ""


def sheet_for(session: Session, p: Proposal, *, today: datetime | None = None) -> ProposalSheet:
    """The plain values of one proposal's sheet."""
    crit = criteria().get(p.criterion, {})
    decided_at = p.decided_at if p.state == ProposalState.APPROVED else None
    approved = decided_at is not None
    return ProposalSheet(
        number=proposal_number(p.id),
        name=p.name,
        supplier=p.supplier.name,
        state=STATE_TITLES.get(p.state, str(p.state)),
        criterion_article=crit.get("article", p.criterion),
        criterion_text=crit.get("ja", ""),
        materials=tuple(
            MaterialRow(
                str(m.get("material", "")), str(m.get("origin", "")), _share(m.get("share"))
            )
            for m in p.materials or []
        ),
        steps=tuple(
            StepRow(str(s.get("step", "")), str(s.get("place", "")), _share(s.get("share")))
            for s in p.steps or []
        ),
        service_place=p.service_place or "",
        details=tuple(
            (DETAIL_TITLES.get(k, k), _detail_value(k, v))
            for k, v in (p.origin_details or {}).items()
            if v not in (None, "")
        ),
        contents=p.contents or "",
        required_amount=_yen(p.required_amount),
        procurement_cost=_yen(p.procurement_cost),
        shipping_fee=_yen(p.shipping_fee),
        return_ratio=return_ratio(p.procurement_cost, p.required_amount),
        approved_on=wareki(to_jst(decided_at)) if decided_at is not None else "",
        approver_role=_approver_role(session, p) if approved else "",
        printed_on=wareki(to_jst(today) if today else clock.now_jst()),
    )


def sheets_html(sheets: Sequence[ProposalSheet], *, city_name: str | None = None) -> str:
    if not sheets:
        raise DocumentRenderError("no proposal sheets to render")
    city = city_name or current_app.config.get("CITY_NAME", "庄原市")
    return current_app.jinja_env.get_template(TEMPLATE).render(sheets=sheets, city=city)


def render_sheets(sheets: Sequence[ProposalSheet], *, city_name: str | None = None) -> bytes:
    """All sheets in one PDF: one A4 page each (a sheet with very many rows takes more)."""
    pdf, _pages = html_to_pdf(sheets_html(sheets, city_name=city_name), STYLESHEET)
    return pdf


def render_reference(sheets: Sequence[ProposalSheet], *, city_name: str | None = None) -> bytes:
    """The same sheets through WeasyPrint's public API only, nothing reused from the process's
    engine (`rendering.reference_pdf`): what `render_sheets` is tested against."""
    return reference_pdf(sheets_html(sheets, city_name=city_name), STYLESHEET)


def approved_in_period(
    session: Session, date_from: date | None = None, date_to: date | None = None
) -> list[Proposal]:
    """Approved proposals decided in the JST period (inclusive), oldest decision first."""
    stmt = (
        sa.select(Proposal)
        .where(Proposal.state == ProposalState.APPROVED)
        .order_by(Proposal.decided_at, Proposal.id)
    )
    if date_from:
        stmt = stmt.where(Proposal.decided_at >= _start(date_from))
    if date_to:
        stmt = stmt.where(Proposal.decided_at < _start(date_to + timedelta(days=1)))
    return list(session.scalars(stmt))
