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
