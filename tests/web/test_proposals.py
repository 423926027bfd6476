"""Gift proposals through the screens: supplier drafts and submits, staff review, city decides."""

from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa
from flask import g
from flask_babel import refresh
from PIL import Image

from portal.core.roles import Role
from portal.gifts.models import Gift, GiftStatus
from portal.gifts.proposal_models import Proposal, ProposalState
from tests.conftest import sign_in

PASSWORD = "correct horse battery"

DRAFT = {
    "criterion": "3",
    "name": "庄原そば 乾麺 10束",
    "description": "北海道産のそば粉を庄原市内の工場で製麺しました。",
    "contents": "乾麺 200g×10",
    "allergens": "そば・小麦",
    "best_before": "製造から1年",
    "temperature": "ambient",
    "size": "60",
    "required_amount": "１００００",
    "procurement_cost": "3000",
    "shipping_fee": "1200",
    "capacity_per_month": "100",
    "materials-0-material": "そば粉",
    "materials-0-origin": "北海道",
    "materials-0-share": "80",
    "steps-0-step": "製麺・乾燥",
    "steps-0-place": "庄原市東城町",
    "steps-0-share": "70",
    "value_added": "北海道産のそば粉を市内の工場で製麺・乾燥して乾麺に仕上げる",
}


class signed_in:
    """One browser per person. Tests run inside one app context, where Flask-Login caches the
    last user on `g`; each request drops that cache so the cookie decides who is asking."""

    def __init__(self, app: Any, user: Any) -> None:
        self.client = app.test_client()
        g.pop("_login_user", None)
        sign_in(self.client, user, PASSWORD)

    def get(self, *a: Any, **kw: Any) -> Any:
        g.pop("_login_user", None)
        return self.client.get(*a, **kw)

    def post(self, *a: Any, **kw: Any) -> Any:
        g.pop("_login_user", None)
        return self.client.post(*a, **kw)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 10)).save(out, "JPEG")
    return out.getvalue()


def test_article_3_proposal_from_draft_to_catalogue(app, session, make_user, make_supplier):
    company = make_supplier()
    supplier = signed_in(app, make_user(Role.SUPPLIER, supplier=company))
    operator = signed_in(app, make_user(Role.OPERATOR))
    city = signed_in(app, make_user(Role.CITY))

    # The form for 第3号 asks for steps and materials, not for a lodging price.
    form = supplier.get("/supplier/proposals/new?criterion=3").get_data(as_text=True)
    assert "steps-0-place" in form and "materials-0-origin" in form
    assert "price_per_person_night" not in form

    r = supplier.post("/supplier/proposals/new", data={**DRAFT, "action": "save"})
    assert r.status_code == 303
    p = session.query(Proposal).filter_by(supplier_id=company.id).one()
    assert p.state == ProposalState.DRAFT and p.required_amount == 10000
    assert p.steps == [{"step": "製麺・乾燥", "place": "庄原市東城町", "share": 70.0}]

    r = supplier.post(
        f"/supplier/proposals/{p.id}/files",
        data={"kind": "photo", "file": (io.BytesIO(jpeg()), "soba.jpg")},
        content_type="multipart/form-data",
    )
    assert r.status_code == 303 and len(p.files) == 1

    r = supplier.post(f"/supplier/proposals/{p.id}", data={**DRAFT, "action": "submit"})
    assert r.status_code == 303
    assert p.state == ProposalState.SUBMITTED

    queue = operator.get("/staff/proposals").get_data(as_text=True)
    assert "庄原そば 乾麺 10束" in queue
    operator.post(f"/staff/proposals/{p.id}/move", data={"to": "under_review"})
    operator.post(
        f"/staff/proposals/{p.id}/move",
        data={"to": "changes_requested", "comment": "内容量に1束の重さを書いてください"},
    )
    assert p.state == ProposalState.CHANGES_REQUESTED
    listing = supplier.get("/supplier/proposals").get_data(as_text=True)
    assert "修正依頼" in listing and "1束の重さ" in listing

    changed = {**DRAFT, "contents": "乾麺 1束200g×10", "action": "submit"}
    assert supplier.post(f"/supplier/proposals/{p.id}", data=changed).status_code == 303
    assert p.state == ProposalState.RESUBMITTED

    operator.post(f"/staff/proposals/{p.id}/move", data={"to": "under_review"})
    review = operator.get(f"/staff/proposals/{p.id}").get_data(as_text=True)
    assert "前回の提出からの変更" in review and "乾麺 1束200g×10" in review
    operator.post(f"/staff/proposals/{p.id}/move", data={"to": "recommended"})
    # The operator cannot approve for the city.
    operator.post(f"/staff/proposals/{p.id}/move", data={"to": "approved"})
    assert p.state == ProposalState.RECOMMENDED

    version = p.lock_version
    city.post(f"/staff/proposals/{p.id}/move", data={"to": "approved", "version": version})
    assert p.state == ProposalState.APPROVED
    gift = session.get(Gift, p.gift_id)
    assert gift.name == "庄原そば 乾麺 10束" and gift.status == GiftStatus.LISTED
    # A second decision from a page opened before the first one is told it lost.
    r = city.post(
        f"/staff/proposals/{p.id}/move",
        data={"to": "rejected", "version": version, "comment": "x"},
        follow_redirects=True,
    )
    assert p.state == ProposalState.APPROVED
    assert "この状態からはその操作はできません" in r.get_data(as_text=True)


def test_live_check_warns_on_three_tenths_without_saving(app, session, make_user):
    supplier = signed_in(app, make_user(Role.SUPPLIER))
    r = supplier.post(
        "/supplier/proposals/check",
        data={**DRAFT, "procurement_cost": "3500", "shipping_fee": "0"},
        headers={"HX-Request": "true"},
    )
    body = r.get_data(as_text=True)
    assert "30%" in body and "<html" not in body
    ok = supplier.post(
        "/supplier/proposals/check",
        data={**DRAFT, "shipping_fee": "9000"},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert "そろっています" in ok  # shipping is outside the 3割
    assert session.query(Proposal).count() == 0


def test_supplier_cannot_open_another_companys_proposal(app, session, make_user):
    owner = signed_in(app, make_user(Role.SUPPLIER))
    owner.post("/supplier/proposals/new", data={**DRAFT, "action": "save"})
    pid = session.query(Proposal).one().id
    other = signed_in(app, make_user(Role.SUPPLIER))
    assert other.get(f"/supplier/proposals/{pid}").status_code == 404
    assert other.post(f"/supplier/proposals/{pid}", data=DRAFT).status_code == 404
    assert other.post(f"/supplier/proposals/{pid}/files", data={}).status_code == 404
    assert "庄原そば" not in other.get("/supplier/proposals").get_data(as_text=True)


def test_fake_photo_is_refused(app, session, make_user):
    supplier = signed_in(app, make_user(Role.SUPPLIER))
    supplier.post("/supplier/proposals/new", data={**DRAFT, "action": "save"})
    p = session.query(Proposal).one()
    r = supplier.post(
        f"/supplier/proposals/{p.id}/files",
        data={"kind": "photo", "file": (io.BytesIO(b"GIF89a not really"), "cat.jpg")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "JPEG・PNG・WebP" in r.get_data(as_text=True) and p.files == []


def test_temperature_band_is_chosen_never_defaulted(app, session, make_user, make_supplier):
    # 常温 preselected let an approved beef gift be listed as ambient.
    company = make_supplier()
    supplier = signed_in(app, make_user(Role.SUPPLIER, supplier=company))
    form = supplier.get("/supplier/proposals/new?criterion=3").get_data(as_text=True)
    select = form[form.index('name="temperature"') :]
    select = select[: select.index("</select>")]
    assert "selected" not in select and select.index('value=""') < select.index('value="ambient"')
    draft = {**DRAFT, "temperature": ""}  # what the browser sends when none is chosen
    assert (
        supplier.post("/supplier/proposals/new", data={**draft, "action": "save"}).status_code
        == 303
    )
    p = session.query(Proposal).filter_by(supplier_id=company.id).one()
    assert p.temperature is None  # a draft may wait for it
    r = supplier.post(f"/supplier/proposals/{p.id}", data={**draft, "action": "submit"})
    assert r.status_code != 303  # the form again, not submitted
    assert "温度帯を選んでください。" in r.get_data(as_text=True)
    assert p.state == ProposalState.DRAFT


def test_lodging_forms_ask_what_each_article_needs(app, session, make_user, make_supplier):
    supplier = signed_in(app, make_user(Role.SUPPLIER, supplier=make_supplier()))
    own = supplier.get("/supplier/proposals/new?criterion=7-2").get_data(as_text=True)
    assert 'name="operator_in_prefecture"' in own and 'name="brand_outside_prefecture"' in own
    assert 'name="lodging_cost_per_person_night"' not in own
    capped = supplier.get("/supplier/proposals/new?criterion=7-3i").get_data(as_text=True)
    assert 'name="lodging_cost_per_person_night"' in capped
    assert "調達に要する費用" in capped
    shared = supplier.get("/supplier/proposals/new?criterion=8").get_data(as_text=True)
    assert 'name="shared_kind"' in shared and "広島県が地域資源として認定したもの" in shared

    # Saved with a price over ¥50,000 and a procurement cost under it: nothing to fix.
    values = {
        **DRAFT,
        "criterion": "7-3i",
        "service_place": "庄原市 かんぽの郷",
        "price_per_person_night": "60000",
        "lodging_cost_per_person_night": "４５０００",
    }
    for key in [k for k in values if k.startswith(("materials-", "steps-"))] + ["value_added"]:
        values.pop(key)
    assert supplier.post("/supplier/proposals/new", data=values).status_code == 303
    p = session.scalars(sa.select(Proposal).order_by(Proposal.id.desc())).first()
    assert p.origin_details["lodging_cost_per_person_night"] == 45000
    page = supplier.get(f"/supplier/proposals/{p.id}").get_data(as_text=True)
    assert "50,000円を超えています" not in page


@pytest.mark.usefixtures("session")
def test_a_portal_granting_points_is_warned_about(app, make_user):
    operator = signed_in(app, make_user(Role.OPERATOR))
    city = signed_in(app, make_user(Role.CITY))
    assert "ポイントを付与するポータル" not in operator.get("/staff/").get_data(as_text=True)
    app.config["PORTALS_GRANTING_POINTS"] = "rakuten, unknown"
    try:
        for who, url in ((operator, "/staff/"), (city, "/staff/"), (operator, "/staff/gifts")):
            page = who.get(url).get_data(as_text=True)
            assert "ポイントを付与するポータル" in page and "楽天ふるさと納税" in page
        operator.post("/lang", data={"lang": "en"})
        refresh()  # the test's app context keeps the locale of the last request
        english = operator.get("/staff/").get_data(as_text=True)
        assert "grants points" in english and "Rakuten" in english
    finally:
        app.config["PORTALS_GRANTING_POINTS"] = ""
