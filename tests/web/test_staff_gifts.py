import sqlalchemy as sa

from portal.core.roles import Role
from portal.gifts.models import Gift, GiftStatus, RequiredAmountChange


def test_gift_list_warns_over_three_tenths(client, make_user, make_gift, login) -> None:
    login(make_user(Role.OPERATOR))
    make_gift(name="普通の返礼品", required_amount=10000, procurement_cost=3000)
    make_gift(name="高すぎる返礼品", required_amount=10000, procurement_cost=3500, shipping_fee=0)
    body = client.get("/staff/gifts").get_data(as_text=True)
    assert "35.0%・3割超過" in body
    assert "30.0%・3割超過" not in body
    filtered = client.get("/staff/gifts?over_limit=1").get_data(as_text=True)
    assert "高すぎる返礼品" in filtered and "普通の返礼品" not in filtered


def test_htmx_search_returns_rows_fragment(client, make_user, make_gift, login) -> None:
    login(make_user(Role.OPERATOR))
    make_gift(name="比婆牛 ステーキ")
    response = client.get("/staff/gifts?q=比婆牛", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert "比婆牛 ステーキ" in body and "<html" not in body
    boosted = client.get(
        "/staff/gifts?q=比婆牛", headers={"HX-Request": "true", "HX-Boosted": "true"}
    )
    assert "<html" in boosted.get_data(as_text=True)


def test_operator_creates_gift(client, make_user, make_supplier, login, session) -> None:
    login(make_user(Role.OPERATOR))
    supplier = make_supplier()
    response = client.post(
        "/staff/gifts/new",
        data={
            "code": "ＨＢ－０９９",
            "name": "比婆牛 カレー",
            "supplier_id": supplier.id,
            "required_amount": "１２０００",
            "procurement_cost": "3600",
            "shipping_fee": "1000",
            "size": "60",
            "temperature": "frozen",
            "status": "draft",
            "lead_days": "10",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    gift = session.scalar(sa.select(Gift).where(Gift.code == "HB-099"))
    assert gift.required_amount == 12000
    assert gift.status == GiftStatus.DRAFT


def _new_gift_form(supplier, **kw):
    return {
        "code": "HB-100",
        "name": "比婆牛 ハンバーグ",
        "supplier_id": supplier.id,
        "required_amount": "15000",
        "procurement_cost": "4500",
        "shipping_fee": "1000",
        "size": "60",
        "temperature": "frozen",
        "status": "draft",
        "lead_days": "10",
        **kw,
    }


def test_staff_created_gifts_start_unlisted_and_only_the_city_lists_them(
    client, make_user, make_supplier, login, session
) -> None:
    """Operator staff cannot offer a gift at an amount the city never set."""
    operator = make_user(Role.OPERATOR)
    login(operator)
    supplier = make_supplier()
    session.commit()  # a savepoint: the refused request's rollback keeps the supplier
    refused = client.post("/staff/gifts/new", data=_new_gift_form(supplier, status="listed"))
    assert refused.status_code == 200
    assert "返礼品の掲載は市の職員が必要寄附額を確認して行います。" in refused.get_data(
        as_text=True
    )
    assert session.scalar(sa.select(Gift).where(Gift.code == "HB-100")) is None

    assert client.post("/staff/gifts/new", data=_new_gift_form(supplier)).status_code == 303
    gift = session.scalar(sa.select(Gift).where(Gift.code == "HB-100"))
    assert gift.status == GiftStatus.DRAFT
    for status in ("listed", "paused"):
        edited = client.post(
            f"/staff/gifts/{gift.id}/edit", data=_new_gift_form(supplier, status=status)
        )
        assert edited.status_code == 200
        assert "返礼品の掲載は市の職員が必要寄附額を確認して行います。" in edited.get_data(
            as_text=True
        )
    assert gift.status == GiftStatus.DRAFT

    client.post("/logout")
    city = make_user(Role.CITY)
    login(city)
    page = client.get(f"/staff/gifts/{gift.id}/amount").get_data(as_text=True)
    assert "この金額で掲載する" in page
    listed = client.post(
        f"/staff/gifts/{gift.id}/amount",
        data={"required_amount": "16000", "reason": "市が確認", "list_gift": "y"},
    )
    assert listed.status_code == 303
    assert gift.status == GiftStatus.LISTED and gift.required_amount == 16000
    last = session.scalars(
        sa.select(RequiredAmountChange)
        .where(RequiredAmountChange.gift_id == gift.id)
        .order_by(RequiredAmountChange.id.desc())
    ).first()
    assert last.changed_by_id == city.id and last.new_amount == 16000


def test_operator_still_pauses_and_resumes_a_listed_gift(client, make_user, make_gift, login):
    gift = make_gift(status=GiftStatus.LISTED)
    login(make_user(Role.OPERATOR))
    form = {
        "code": gift.code,
        "name": gift.name,
        "supplier_id": gift.supplier_id,
        "required_amount": str(gift.required_amount),
        "procurement_cost": str(gift.procurement_cost),
        "shipping_fee": "0",
        "size": "60",
        "temperature": "ambient",
        "lead_days": "14",
    }
    assert (
        client.post(f"/staff/gifts/{gift.id}/edit", data={**form, "status": "paused"}).status_code
        == 303
    )
    assert gift.status == GiftStatus.PAUSED
    assert (
        client.post(f"/staff/gifts/{gift.id}/edit", data={**form, "status": "listed"}).status_code
        == 303
    )
    assert gift.status == GiftStatus.LISTED


def test_bad_gift_input_keeps_what_was_typed(client, make_user, make_supplier, login) -> None:
    login(make_user(Role.OPERATOR))
    supplier = make_supplier()
    response = client.post(
        "/staff/gifts/new",
        data={
            "code": "X-1",
            "name": "残る名前",
            "supplier_id": supplier.id,
            "required_amount": "abc",
            "procurement_cost": "100",
            "size": "60",
            "temperature": "ambient",
            "status": "draft",
            "lead_days": "5",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="残る名前"' in body
    assert "field__error" in body


def test_city_changes_amount_operator_cannot(client, make_user, make_gift, login, session) -> None:
    gift = make_gift(required_amount=10000)
    login(make_user(Role.OPERATOR))
    assert (
        client.post(
            f"/staff/gifts/{gift.id}/amount", data={"required_amount": "9000", "reason": "x"}
        ).status_code
        == 403
    )
    # Sneaking the amount through the operator's edit form does not change it either.
    client.post(
        f"/staff/gifts/{gift.id}/edit",
        data={
            "code": gift.code,
            "name": gift.name,
            "supplier_id": gift.supplier_id,
            "required_amount": "1",
            "procurement_cost": "3000",
            "shipping_fee": "0",
            "size": "60",
            "temperature": "ambient",
            "status": "listed",
            "lead_days": "14",
        },
    )
    assert gift.required_amount == 10000
    client.post("/logout")
    city = make_user(Role.CITY)
    login(city)
    response = client.post(
        f"/staff/gifts/{gift.id}/amount", data={"required_amount": "11000", "reason": "見直し"}
    )
    assert response.status_code == 303
    assert gift.required_amount == 11000
    history = client.get(f"/staff/gifts/{gift.id}").get_data(as_text=True)
    assert "11,000円" in history and "見直し" in history
    changes = session.scalars(
        sa.select(RequiredAmountChange).where(RequiredAmountChange.gift_id == gift.id)
    ).all()
    assert [c.changed_by_id for c in changes] == [city.id]


def test_gift_list_and_form_in_english_show_the_percent_sign(
    client, make_user, make_gift, login
) -> None:
    # A bare % in the English catalogue made the list a 500 and the form read "30{}ule".
    login(make_user(Role.OPERATOR))
    make_gift(name="高すぎる返礼品", required_amount=10000, procurement_cost=3500, shipping_fee=0)
    client.post("/lang", data={"lang": "en"})
    listing = client.get("/staff/gifts")
    assert listing.status_code == 200
    assert "Over the 30% limit only" in listing.get_data(as_text=True)
    form = client.get("/staff/gifts/new").get_data(as_text=True)
    assert "Counts towards the 30% rule (shipping excluded)." in form
    assert "{}" not in form


def test_gift_form_has_no_temperature_default(client, make_user, make_supplier, login) -> None:
    login(make_user(Role.OPERATOR))
    supplier = make_supplier()
    form = client.get("/staff/gifts/new").get_data(as_text=True)
    select = form[form.index('name="temperature"') :]
    select = select[: select.index("</select>")]
    assert "selected" not in select.replace('selected value=""', "")
    response = client.post(
        "/staff/gifts/new",
        data={
            "code": "HB-100",
            "name": "比婆牛 ロース",
            "supplier_id": supplier.id,
            "required_amount": "20000",
            "procurement_cost": "6000",
            "shipping_fee": "1500",
            "size": "60",
            "status": "unlisted",
        },
    )
    assert response.status_code == 200  # the form again, nothing saved
    assert "温度帯を選んでください。" in response.get_data(as_text=True)


def test_operator_keeps_the_gift_listing_ids_one_per_portal(make_user, make_gift, login, session):
    from portal.core.audit import AuditEntry
    from portal.gifts.listings import GiftListing

    beef_id = make_gift(code="HB-001").id
    other_id = make_gift(code="HJ-002").id
    client = login(make_user(Role.OPERATOR))
    page = client.get(f"/staff/gifts/{beef_id}").get_data(as_text=True)
    assert page.count('name="item_id"') == 5 and page.count('name="manage_code"') == 1
    saved = client.post(
        f"/staff/gifts/{beef_id}/listings/satofull",
        data={
            "item_id": "４８０９３５７",
            "url": "https://www.satofull.jp/products/detail.php?product_id=4809357",
        },
    )
    assert saved.status_code == 303 and saved.headers["Location"].endswith("#listings")
    listing = session.scalar(sa.select(GiftListing))
    assert (listing.portal, listing.item_id) == ("satofull", "4809357")
    assert "4809357" in client.get(f"/staff/gifts/{beef_id}").get_data(as_text=True)
    # Another gift cannot take the same ID on the same portal: said beside the field.
    taken = client.post(f"/staff/gifts/{other_id}/listings/satofull", data={"item_id": "4809357"})
    assert taken.status_code == 422
    assert "ID 4809357 は返礼品 HB-001 の掲載に使われています。" in taken.get_data(as_text=True)
    bad = client.post(
        f"/staff/gifts/{other_id}/listings/choice", data={"item_id": "C1", "url": "not a url"}
    )
    assert bad.status_code == 422 and "URLの形式ではありません。" in bad.get_data(as_text=True)
    # An empty ID removes the listing.
    client.post(f"/staff/gifts/{beef_id}/listings/satofull", data={"item_id": ""})
    assert session.scalar(sa.select(sa.func.count()).select_from(GiftListing)) == 0
    actions = session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.subject_type == "gift_listing")
    ).all()
    assert sorted(actions) == ["create", "delete"]


def test_city_reads_the_listing_ids_but_cannot_change_them(make_user, make_gift, login):
    gift_id = make_gift(code="HB-001").id
    client = login(make_user(Role.CITY))
    page = client.get(f"/staff/gifts/{gift_id}").get_data(as_text=True)
    assert "ポータルの掲載ID" in page and 'name="item_id"' not in page
    assert (
        client.post(f"/staff/gifts/{gift_id}/listings/satofull", data={"item_id": "1"}).status_code
        == 403
    )
