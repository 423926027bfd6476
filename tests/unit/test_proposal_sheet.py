"""The printable proposal sheet (提案書 PDF) the city files and sends to 総務省."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from pypdf import PdfReader

from portal.core.roles import Role
from portal.documents.proposal_sheet import render_sheets, return_ratio, sheet_for
from portal.gifts.proposal_models import ProposalState
from portal.gifts.proposals import create_draft, transition
from tests.conftest import pdf_text

S = ProposalState

VALUES: dict[str, Any] = {
    "name": "比婆牛 熟成ロース 500g",
    "description": "庄原市で育てた比婆牛を市内で熟成しました。",
    "contents": "ロース 500g",
    "allergens": "牛肉",
    "best_before": "発送から冷凍30日",
    "temperature": "frozen",
    "size": 80,
    "required_amount": 30000,
    "procurement_cost": 8700,
    "shipping_fee": 2000,
    "capacity_per_month": 40,
    "criterion": "3i",
    "materials": [{"material": "黒毛和牛肉", "origin": "広島県庄原市", "share": 100}],
    "steps": [{"step": "ドライエイジング", "place": "庄原市西城町", "share": 60}],
}


def approved(session: Any, make_user: Any, make_supplier: Any, **kw: Any) -> Any:
    supplier = make_supplier(name="株式会社ひばファーム")
    people = {
        "supplier": make_user(Role.SUPPLIER, supplier=supplier),
        "operator": make_user(Role.OPERATOR),
        "city": make_user(Role.CITY),
    }
    p = create_draft(session, {**VALUES, **kw}, by_user=people["supplier"])
    for to, who in [
        (S.SUBMITTED, "supplier"),
        (S.UNDER_REVIEW, "operator"),
        (S.RECOMMENDED, "operator"),
        (S.APPROVED, "city"),
    ]:
        transition(session, p.id, to, by_user=people[who])
    return p


def test_sheet_prints_name_supplier_criterion_origin_ratio_and_wareki_approval(
    session: Any, make_user: Any, make_supplier: Any
) -> None:
    p = approved(session, make_user, make_supplier)
    p.decided_at = datetime(2026, 11, 24, 16, 30, tzinfo=UTC)  # 25 November in Japan
    session.flush()

    pdf = render_sheets([sheet_for(session, p)], city_name="庄原市")
    text = pdf_text(pdf)
    flat = "".join(text.split())

    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert "比婆牛熟成ロース500g" in flat
    assert "株式会社ひばファーム" in flat
    assert "第5条第3号イ" in flat and "熟成肉・精米" in flat  # the 号 and its explanation
    assert "黒毛和牛肉" in flat and "広島県庄原市" in flat
    assert "ドライエイジング" in flat and "庄原市西城町" in flat
    assert "30,000円" in flat and "8,700円" in flat and "2,000円" in flat
    assert "29.0%" in flat  # 8,700 / 30,000; the 2,000円 shipping is not counted
    assert "令和8年11月25日" in flat  # the JST day of the decision, in 和暦
    assert "市職員" in flat  # the approver's role
    assert f"提案番号{p.id}" in flat


def test_unapproved_proposal_says_so_and_many_sheets_make_one_document(
    session: Any, make_user: Any, make_supplier: Any
) -> None:
    p = approved(session, make_user, make_supplier)
    supplier_user = make_user(Role.SUPPLIER, supplier=p.supplier)
    q = create_draft(session, {**VALUES, "name": "庄原りんごジュース"}, by_user=supplier_user)
    transition(session, q.id, S.SUBMITTED, by_user=supplier_user)

    sheet = sheet_for(session, q)
    assert sheet.approved_on == "" and sheet.approver_role == ""
    pdf = render_sheets([sheet_for(session, p), sheet])
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) == 2
    assert "庄原りんごジュース" in "".join(pages[1].split())
    assert "未承認" in pages[1] and "未承認" not in pages[0]


def test_return_ratio_is_procurement_over_amount_without_shipping() -> None:
    assert return_ratio(9000, 30000) == "30.0%"
    assert return_ratio(9001, 30000) == "30.0%（3割超）"  # rounding must not hide the excess
    assert return_ratio(10000, 30000) == "33.3%（3割超）"
    assert return_ratio(9000, None) == ""
