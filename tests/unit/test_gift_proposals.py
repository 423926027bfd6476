"""Gift proposals: the 地場産品基準 per 号, the 3割 rule, the review workflow and approval."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from portal.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from portal.core.roles import Role
from portal.core.timeline import events_for
from portal.gifts.models import Gift, GiftStatus
from portal.gifts.proposal_models import TRANSITIONS, GiftOrigin, Proposal, ProposalState
from portal.gifts.proposals import (
    CRITERIA_FILE,
    assess,
    attach_evidence,
    attach_photo,
    choice_category,
    create_draft,
    criteria,
    get_for_supplier,
    latest_diff,
    return_ratio_exceeded,
    transition,
    update_draft,
)

S = ProposalState

BASE: dict[str, Any] = {
    "name": "比婆牛 熟成ロース 500g",
    "description": "庄原市で育てた比婆牛を市内で熟成しました。",
    "contents": "ロース 500g",
    "allergens": "牛肉",
    "best_before": "発送から冷凍30日",
    "temperature": "frozen",
    "size": 80,
    "required_amount": 30000,
    "procurement_cost": 9000,
    "shipping_fee": 2000,
    "capacity_per_month": 40,
}


def fields(criterion: str, **kw: Any) -> dict[str, Any]:
    return {**BASE, "criterion": criterion, **kw}


@pytest.fixture()
def people(make_user: Any, make_supplier: Any) -> dict[str, Any]:
    supplier = make_supplier()
    return {
        "supplier": make_user(Role.SUPPLIER, supplier=supplier),
        "other_supplier": make_user(Role.SUPPLIER),
        "operator": make_user(Role.OPERATOR),
        "city": make_user(Role.CITY),
    }


def problems(session: Any, people: dict[str, Any], values: dict[str, Any]) -> dict[str, str]:
    p = create_draft(session, values, by_user=people["supplier"])
    return {f.field: str(f.message) for f in assess(p)}


def pdf_bytes() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# --- the data file ------------------------------------------------------------------------


def test_criteria_file_lists_every_article_with_explanation_evidence_and_source() -> None:
    data = json.loads(Path(CRITERIA_FILE).read_text(encoding="utf-8"))
    codes = {c["code"] for c in data["criteria"]}
    assert codes == {
        "1",
        "2",
        "3",
        "3i",
        "3ro",
        "4",
        "5",
        "6",
        "7",
        "7-2",
        "7-3i",
        "7-3ro",
        "7-4",
        "8",
        "9",
        "voucher",
        "set",
    }
    for c in data["criteria"]:
        assert c["ja"] and c["en"] and c["article"].startswith("第5条") and c["required"]
    assert all(s["url"].startswith("https://") for s in data["_source"]["checked"])
    assert criteria()["7-3i"]["lodging_cost_cap_yen"] == 50000
    # Every 号 names its ふるさとチョイス 地場産品類型 (8 by the イ/ロ/ハ chosen), as written in
    # チョイス's list (shared/formats/choice_jibasanpin_ruikei_list.txt).
    choice_list = {
        "1", "2", "3", "3イ（熟成肉）", "3イ（精米）", "3ロ（企画立案）", "4", "5", "6", "7",
        "7の2（宿泊）", "７号の３イ五万以下（宿泊）", "７号の３ロ該当地域（宿泊）", "7の4（電気）",
        "8イ", "8ロ", "8ハ", "9", "99", "セット",
    }  # fmt: skip
    named = set()
    for c in data["criteria"]:
        for name in c.get("choice_by_kind", {}).values() or [c["choice"]]:
            named.update(name.split("／"))
    assert named == choice_list


# --- per 号 ---------------------------------------------------------------------------------


def test_no_criterion_chosen_is_a_problem(session: Any, people: Any) -> None:
    assert "criterion" in problems(session, people, fields(""))


def test_article_1_needs_the_production_place(session: Any, people: Any) -> None:
    assert "production_place" in problems(session, people, fields("1"))
    ok = fields("1", origin_details={"production_place": "広島県庄原市西城町"})
    assert problems(session, people, ok) == {}


def test_article_2_needs_over_half_local_raw_material(session: Any, people: Any) -> None:
    half = [
        {"material": "トマト", "origin": "庄原市", "share": 50},
        {"material": "塩", "origin": "兵庫県赤穂市", "share": 50},
    ]
    got = problems(
        session, people, fields("2", materials=half, origin_details={"processing_place": "岡山県"})
    )
    assert "materials" in got
    more = [
        {"material": "トマト", "origin": "広島県庄原市", "share": 80},
        {"material": "塩", "origin": "兵庫県赤穂市", "share": 20},
    ]
    assert (
        problems(
            session,
            people,
            fields("2", materials=more, origin_details={"processing_place": "岡山県"}),
        )
        == {}
    )


def test_article_3_needs_steps_with_local_value_added(session: Any, people: Any) -> None:
    mats = [{"material": "小麦", "origin": "北海道", "share": 100}]
    assert "steps" in problems(session, people, fields("3", materials=mats))
    away = [
        {"step": "製麺", "place": "三次市", "share": 70},
        {"step": "包装", "place": "庄原市", "share": 30},
    ]
    away = [{"step": "製麺", "place": "三次市", "share": 100}]
    assert "steps" in problems(session, people, fields("3", materials=mats, steps=away))
    here = [{"step": "製麺", "place": "庄原市東城町", "share": 70}]
    added = {"value_added": "北海道産のそば粉を市内の工場で製麺・乾燥し、乾麺に仕上げる"}
    assert (
        problems(session, people, fields("3", materials=mats, steps=here, origin_details=added))
        == {}
    )
    # 第3号 asks for 相応の付加価値 in words, with no percentage: a local step whose share
    # is not given (or is small) is not rejected for it; the description is what is asked.
    no_share = [{"step": "製麺", "place": "庄原市東城町", "share": None}]
    small = [
        {"step": "製麺", "place": "庄原市", "share": 30},
        {"step": "粉", "place": "三次市", "share": 70},
    ]
    for steps in (no_share, small):
        assert (
            problems(
                session, people, fields("3", materials=mats, steps=steps, origin_details=added)
            )
            == {}
        )
    assert "value_added" in problems(session, people, fields("3", materials=mats, steps=here))


def test_article_3i_aged_meat_raw_material_must_come_from_hiroshima(
    session: Any, people: Any
) -> None:
    steps = [{"step": "熟成", "place": "庄原市", "share": 60}]
    imported = [{"material": "牛肉", "origin": "アメリカ", "share": 100}]
    got = problems(session, people, fields("3i", materials=imported, steps=steps))
    assert "牛肉" in got["materials"] and "広島県" in got["materials"]
    # Another Hiroshima town is fine (same prefecture), with or without 広島県 written.
    for origin in ("三次市", "広島県三次市"):
        ok = [{"material": "牛肉", "origin": origin, "share": 100}]
        assert problems(session, people, fields("3i", materials=ok, steps=steps)) == {}
    # Ageing outside the city does not qualify either.
    away = [{"step": "熟成", "place": "広島市", "share": 60}]
    ok = [{"material": "牛肉", "origin": "庄原市", "share": 100}]
    assert "steps" in problems(session, people, fields("3i", materials=ok, steps=away))


def test_article_3ro_needs_the_manufacturers_certificate(
    session: Any, people: Any, app: Any
) -> None:
    steps = [{"step": "企画", "place": "庄原市", "share": 60}]
    p = create_draft(session, fields("3ro", steps=steps), by_user=people["supplier"])
    assert "evidence" in {f.field for f in assess(p)}
    attach_evidence(
        session,
        p.id,
        pdf_bytes(),
        "証明書.pdf",
        upload_dir=app.config["UPLOAD_DIR"],
        by_user=people["supplier"],
    )
    assert assess(p) == []


def test_article_4_needs_the_mixing_reason(session: Any, people: Any) -> None:
    assert "mixing_reason" in problems(session, people, fields("4"))
    ok = fields("4", origin_details={"mixing_reason": "JA庄原で近隣町の米と一緒に集荷"})
    assert problems(session, people, ok) == {}


def test_article_5_and_8_need_evidence(session: Any, people: Any) -> None:
    assert "evidence" in problems(session, people, fields("5"))
    assert "evidence" in problems(session, people, fields("8"))


def test_article_8_records_which_of_i_ro_ha_applies(session: Any, people: Any) -> None:
    assert "shared_kind" in problems(session, people, fields("8"))
    assert "shared_kind" in problems(
        session, people, fields("8", origin_details={"shared_kind": "ni"})
    )
    got = problems(session, people, fields("8", origin_details={"shared_kind": "ha"}))
    assert "shared_kind" not in got
    p = Proposal(criterion="8", origin_details={"shared_kind": "ro"})
    assert choice_category(p) == "8ロ"
    assert (
        choice_category(Proposal(criterion="7-3i", origin_details={}))
        == "７号の３イ五万以下（宿泊）"
    )


def test_a_set_combines_qualifying_items(session: Any, people: Any) -> None:
    assert "set_components" in problems(session, people, fields("set"))
    one = {"set_components": "比婆牛ステーキ：第1号"}
    assert (
        "2つ以上" in problems(session, people, fields("set", origin_details=one))["set_components"]
    )
    two = {"set_components": "比婆牛ステーキ：第1号\n\n庄原米 5kg：第1号\n"}
    assert problems(session, people, fields("set", origin_details=two)) == {}


def test_article_6_set_must_be_at_least_70_percent_qualifying(session: Any, people: Any) -> None:
    assert "qualifying_value_share" in problems(session, people, fields("6"))
    got = problems(session, people, fields("6", origin_details={"qualifying_value_share": 69}))
    assert "7割" in got["qualifying_value_share"]
    assert (
        problems(session, people, fields("6", origin_details={"qualifying_value_share": 70})) == {}
    )


RELEVANT = {"area_relevance": "庄原の里山で育てた比婆牛の牧場での搾乳体験"}


def test_article_7_service_needs_the_place_and_its_relevance(session: Any, people: Any) -> None:
    assert {"service_place", "area_relevance"} <= problems(session, people, fields("7")).keys()
    assert "area_relevance" in problems(session, people, fields("7", service_place="庄原市"))
    assert (
        problems(
            session,
            people,
            fields("7", service_place="庄原市 国営備北丘陵公園", origin_details=RELEVANT),
        )
        == {}
    )


def test_7_3i_caps_the_procurement_cost_of_lodging_not_its_price(session: Any, people: Any) -> None:
    def lodging(cost: int, price: int) -> dict[str, str]:
        details = {"lodging_cost_per_person_night": cost, "price_per_person_night": price}
        return problems(
            session, people, fields("7-3i", service_place="庄原市 ホテル", origin_details=details)
        )

    assert lodging(45000, 60000) == {}  # price ¥60,000, procurement cost ¥45,000: passes
    assert lodging(50000, 50000) == {}
    assert "lodging_cost_per_person_night" in lodging(50001, 40000)
    assert "lodging_cost_per_person_night" in problems(
        session, people, fields("7-3i", service_place="庄原市")
    )


def test_7_2_is_for_in_prefecture_operators_without_an_outside_brand(
    session: Any, people: Any
) -> None:
    def lodging(**details: Any) -> dict[str, str]:
        return problems(
            session, people, fields("7-2", service_place="庄原市 旅館", origin_details=details)
        )

    assert lodging(operator_in_prefecture=True, brand_outside_prefecture=False) == {}
    assert {"operator_in_prefecture", "brand_outside_prefecture"} <= lodging().keys()
    outside = lodging(operator_in_prefecture=False, brand_outside_prefecture=False)
    assert "7号の3イ" in outside["operator_in_prefecture"]
    franchise = lodging(operator_in_prefecture=True, brand_outside_prefecture=True)
    assert "フランチャイズ" in franchise["brand_outside_prefecture"]


def test_7_3ro_lodging_in_a_disaster_prefecture_names_the_designation(
    session: Any, people: Any
) -> None:
    assert "disaster_designation" in problems(
        session, people, fields("7-3ro", service_place="庄原市 ホテル")
    )
    named = {"disaster_designation": "令和6年能登半島地震（特定非常災害）・災害救助法適用"}
    assert (
        problems(
            session, people, fields("7-3ro", service_place="庄原市 ホテル", origin_details=named)
        )
        == {}
    )


def test_articles_7_4_9_and_vouchers_need_their_fields(session: Any, people: Any) -> None:
    assert {"production_place", "evidence"} <= problems(session, people, fields("7-4")).keys()
    assert {"disaster_name", "original_item"} <= problems(session, people, fields("9")).keys()
    assert {"voucher_scope", "evidence"} <= problems(session, people, fields("voucher")).keys()


def test_three_tenths_rule_ignores_shipping(session: Any, people: Any) -> None:
    assert not return_ratio_exceeded(10000, 3000)
    assert return_ratio_exceeded(10000, 3001)
    ok = fields(
        "7",
        service_place="庄原市",
        origin_details=RELEVANT,
        required_amount=10000,
        procurement_cost=3000,
        shipping_fee=5000,
    )  # cost + shipping = 80%: still fine, shipping is outside
    assert problems(session, people, ok) == {}
    over = fields(
        "7", service_place="庄原市", required_amount=10000, procurement_cost=3100, shipping_fee=0
    )
    assert "30%" in problems(session, people, over)["procurement_cost"]


# --- files ----------------------------------------------------------------------------------


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_photos_are_checked_by_content_and_re_encoded(
    session: Any, people: Any, app: Any, fmt: str
) -> None:
    p = create_draft(session, fields("1"), by_user=people["supplier"])
    f = attach_photo(
        session,
        p.id,
        _image(fmt),
        "photo.bin",
        upload_dir=app.config["UPLOAD_DIR"],
        by_user=people["supplier"],
    )
    stored = Path(app.config["UPLOAD_DIR"]) / "proposals" / f.stored_name
    with Image.open(stored) as img:
        assert img.format == "JPEG" and img.size == (40, 30)


def test_non_images_and_oversized_photos_and_non_pdfs_are_refused(
    session: Any, people: Any, app: Any
) -> None:
    p = create_draft(session, fields("1"), by_user=people["supplier"])
    up = {"upload_dir": app.config["UPLOAD_DIR"], "by_user": people["supplier"]}
    with pytest.raises(DomainError) as err:
        attach_photo(session, p.id, b"<html>not an image</html>", "x.jpg", **up)
    assert err.value.field == "photo"
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    with pytest.raises(DomainError):
        attach_photo(session, p.id, gif.getvalue(), "x.png", **up)
    with pytest.raises(DomainError):
        attach_photo(session, p.id, _image("PNG") + b"\0" * (5 * 1024 * 1024), "x.png", **up)
    with pytest.raises(DomainError) as err:
        attach_evidence(session, p.id, b"MZ\x90\x00 exe", "x.pdf", **up)
    assert err.value.field == "evidence"
    assert p.files == []


# --- workflow -------------------------------------------------------------------------------


def ready(session: Any, people: Any, **kw: Any) -> Any:
    steps = [{"step": "熟成", "place": "庄原市", "share": 60}]
    mats = [{"material": "牛肉", "origin": "広島県庄原市", "share": 100}]
    return create_draft(
        session, fields("3i", materials=mats, steps=steps, **kw), by_user=people["supplier"]
    )


def test_full_path_to_approval_creates_a_listed_gift_with_origin_data(
    session: Any, people: Any
) -> None:
    p = ready(session, people)
    transition(session, p.id, S.SUBMITTED, by_user=people["supplier"])
    transition(session, p.id, S.UNDER_REVIEW, by_user=people["operator"])
    transition(
        session,
        p.id,
        S.CHANGES_REQUESTED,
        by_user=people["operator"],
        comment="内容量をg表記にしてください",
    )
    update_draft(
        session,
        p.id,
        {"contents": "ロース 500g×2", "required_amount": 50000},
        by_user=people["supplier"],
    )
    transition(session, p.id, S.RESUBMITTED, by_user=people["supplier"])
    diff = {f: (a, b) for f, a, b in latest_diff(p)}
    assert diff == {"contents": ("ロース 500g", "ロース 500g×2"), "required_amount": (30000, 50000)}
    transition(session, p.id, S.UNDER_REVIEW, by_user=people["operator"])
    transition(session, p.id, S.RECOMMENDED, by_user=people["operator"], comment="問題なし")
    transition(session, p.id, S.APPROVED, by_user=people["city"], comment="承認")

    assert p.state == S.APPROVED and p.decided_at is not None
    gift = session.get(Gift, p.gift_id)
    assert gift.status == GiftStatus.LISTED and gift.required_amount == 50000
    assert gift.supplier_id == people["supplier"].supplier_id
    origin = session.query(GiftOrigin).filter_by(gift_id=gift.id).one()
    assert origin.criterion == "3i" and origin.materials[0]["origin"] == "広島県庄原市"
    kinds = [
        (e.kind, e.actor_user_id, e.data.get("comment"))
        for e in events_for(session, "gift_proposal", p.id)
    ]
    assert (
        "proposal.changes_requested",
        people["operator"].id,
        "内容量をg表記にしてください",
    ) in kinds
    assert kinds[-1] == ("proposal.approved", people["city"].id, "承認")


def test_rejection_needs_a_reason_and_creates_no_gift(session: Any, people: Any) -> None:
    p = ready(session, people)
    for to, who in [
        (S.SUBMITTED, "supplier"),
        (S.UNDER_REVIEW, "operator"),
        (S.RECOMMENDED, "operator"),
    ]:
        transition(session, p.id, to, by_user=people[who])
    with pytest.raises(DomainError):
        transition(session, p.id, S.REJECTED, by_user=people["city"])
    transition(session, p.id, S.REJECTED, by_user=people["city"], comment="県外産が混在")
    assert p.state == S.REJECTED and p.gift_id is None


def _walk_to(session: Any, people: Any, state: ProposalState) -> Any:
    path = {
        S.DRAFT: [],
        S.SUBMITTED: [(S.SUBMITTED, "supplier")],
        S.UNDER_REVIEW: [(S.SUBMITTED, "supplier"), (S.UNDER_REVIEW, "operator")],
        S.CHANGES_REQUESTED: [
            (S.SUBMITTED, "supplier"),
            (S.UNDER_REVIEW, "operator"),
            (S.CHANGES_REQUESTED, "operator"),
        ],
        S.RESUBMITTED: [
            (S.SUBMITTED, "supplier"),
            (S.UNDER_REVIEW, "operator"),
            (S.CHANGES_REQUESTED, "operator"),
            (S.RESUBMITTED, "supplier"),
        ],
        S.RECOMMENDED: [
            (S.SUBMITTED, "supplier"),
            (S.UNDER_REVIEW, "operator"),
            (S.RECOMMENDED, "operator"),
        ],
        S.APPROVED: [
            (S.SUBMITTED, "supplier"),
            (S.UNDER_REVIEW, "operator"),
            (S.RECOMMENDED, "operator"),
            (S.APPROVED, "city"),
        ],
        S.REJECTED: [
            (S.SUBMITTED, "supplier"),
            (S.UNDER_REVIEW, "operator"),
            (S.RECOMMENDED, "operator"),
            (S.REJECTED, "city"),
        ],
    }[state]
    p = ready(session, people)
    for to, who in path:
        transition(session, p.id, to, by_user=people[who], comment="理由")
    assert p.state == state
    return p


ROLE_OF = {Role.SUPPLIER: "supplier", Role.OPERATOR: "operator", Role.CITY: "city"}


@pytest.mark.parametrize("frm", list(ProposalState))
@pytest.mark.parametrize("to", list(ProposalState))
@pytest.mark.parametrize("who", ["supplier", "operator", "city", "other_supplier"])
def test_transition_matrix(session: Any, people: Any, frm: Any, to: Any, who: str) -> None:
    """Every (from, to, role): allowed ones move the proposal, all others are refused."""
    p = _walk_to(session, people, frm)
    roles = TRANSITIONS.get((frm, to), frozenset())
    user = people[who]
    allowed = user.role in roles and (who != "other_supplier")
    if allowed:
        transition(session, p.id, to, by_user=user, comment="理由")
        assert p.state == to
    else:
        with pytest.raises(DomainError):
            transition(session, p.id, to, by_user=user, comment="理由")
        assert p.state == frm


def test_supplier_and_operator_cannot_approve(session: Any, people: Any) -> None:
    p = _walk_to(session, people, S.RECOMMENDED)
    for who in ("supplier", "operator"):
        with pytest.raises(PermissionDenied) as err:
            transition(session, p.id, S.APPROVED, by_user=people[who])
        assert "市の職員" in str(err.value.message)
    assert p.state == S.RECOMMENDED and p.gift_id is None


def test_submit_is_refused_while_the_rules_fail(session: Any, people: Any) -> None:
    p = ready(session, people, procurement_cost=9001)  # 30.003% of 30,000
    with pytest.raises(DomainError) as err:
        transition(session, p.id, S.SUBMITTED, by_user=people["supplier"])
    assert err.value.field == "procurement_cost" and p.state == S.DRAFT


def test_stale_decision_gets_conflict(session: Any, people: Any) -> None:
    p = _walk_to(session, people, S.RECOMMENDED)
    seen = p.lock_version
    transition(session, p.id, S.APPROVED, by_user=people["city"], expected_version=seen)
    p2 = _walk_to(session, people, S.RECOMMENDED)
    stale = p2.lock_version
    transition(session, p2.id, S.CHANGES_REQUESTED, by_user=people["city"], comment="再確認")
    transition(session, p2.id, S.RESUBMITTED, by_user=people["supplier"])
    transition(session, p2.id, S.UNDER_REVIEW, by_user=people["operator"])
    transition(session, p2.id, S.RECOMMENDED, by_user=people["operator"])
    with pytest.raises(Conflict):
        transition(session, p2.id, S.APPROVED, by_user=people["city"], expected_version=stale)


def test_suppliers_only_reach_their_own_proposals(session: Any, people: Any) -> None:
    p = ready(session, people)
    with pytest.raises(NotFound):
        get_for_supplier(session, p.id, people["other_supplier"])
    with pytest.raises(NotFound):
        update_draft(session, p.id, {"name": "x"}, by_user=people["other_supplier"])
    with pytest.raises(PermissionDenied):
        create_draft(session, fields("1"), by_user=people["operator"])


def test_submitted_proposal_is_not_editable(session: Any, people: Any) -> None:
    p = _walk_to(session, people, S.SUBMITTED)
    with pytest.raises(DomainError):
        update_draft(session, p.id, {"name": "後から変更"}, by_user=people["supplier"])


def test_a_10000_by_10000_photo_is_refused_before_decoding(
    session: Any, people: Any, app: Any
) -> None:
    """The header says 100 million pixels; its image data is junk, so any decoding would fail
    with the unreadable-image message instead of this one."""
    from tests.web.test_inputs import huge_png_header

    p = create_draft(session, fields("1"), by_user=people["supplier"])
    with pytest.raises(DomainError) as err:
        attach_photo(
            session,
            p.id,
            huge_png_header(),
            "big.png",
            upload_dir=app.config["UPLOAD_DIR"],
            by_user=people["supplier"],
        )
    assert err.value.field == "photo"
    assert "画素数が大きすぎます（30,000,000画素まで）" in str(err.value.message)
