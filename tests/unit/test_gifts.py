import pytest
import sqlalchemy as sa

from portal.core.errors import DomainError, PermissionDenied
from portal.core.roles import Role
from portal.gifts import catalogue
from portal.gifts.models import GiftStatus, RequiredAmountChange


def _data(gift, **kw):
    values = {f: getattr(gift, f) for f in catalogue.GiftData.__dataclass_fields__}
    values.update(kw)
    return catalogue.GiftData(**values)


def test_only_city_changes_required_amount(session, make_user, make_gift) -> None:
    gift = make_gift(required_amount=10000)
    operator, city = make_user(Role.OPERATOR), make_user(Role.CITY)
    with pytest.raises(PermissionDenied):
        catalogue.update_gift(session, gift, _data(gift, required_amount=12000), by_user=operator)
    with pytest.raises(PermissionDenied):
        catalogue.change_required_amount(session, gift, 12000, by_user=operator)
    catalogue.change_required_amount(session, gift, 12000, by_user=city, reason="市場価格の改定")
    assert gift.required_amount == 12000
    change = session.scalar(
        sa.select(RequiredAmountChange).where(RequiredAmountChange.gift_id == gift.id)
    )
    assert (change.old_amount, change.new_amount, change.changed_by_id) == (10000, 12000, city.id)
    assert change.changed_at is not None


def test_operator_edits_other_fields_city_cannot(session, make_user, make_gift) -> None:
    gift = make_gift()
    catalogue.update_gift(
        session, gift, _data(gift, name="新しい名前"), by_user=make_user(Role.OPERATOR)
    )
    assert gift.name == "新しい名前"
    with pytest.raises(PermissionDenied):
        catalogue.update_gift(
            session, gift, _data(gift, name="市が変更"), by_user=make_user(Role.CITY)
        )


def test_three_tenths_rule_ignores_shipping(make_gift) -> None:
    assert not make_gift(
        required_amount=10000, procurement_cost=3000, shipping_fee=5000
    ).exceeds_return_limit
    over = make_gift(required_amount=10000, procurement_cost=3001, shipping_fee=0)
    assert over.exceeds_return_limit
    assert over.return_ratio == 30.0


def test_the_smallest_amount_within_three_tenths_is_exactly_the_limit(make_gift) -> None:
    for cost in (1, 2999, 3000, 3001, 3333, 12345):
        gift = make_gift(required_amount=10000, procurement_cost=cost)
        gift.required_amount = gift.min_required_amount
        assert not gift.exceeds_return_limit
        if gift.required_amount > 1:
            gift.required_amount -= 1
            assert gift.exceeds_return_limit


def test_search_over_limit_and_text(session, make_gift) -> None:
    ok = make_gift(name="比婆牛 ステーキ", procurement_cost=3000)
    over = make_gift(name="りんご", procurement_cost=3500)
    found = session.scalars(catalogue.search_gifts(over_limit=True)).all()
    assert over in found and ok not in found
    assert session.scalars(catalogue.search_gifts(q="比婆牛")).all() == [ok]


def test_gift_validation(session, make_user, make_gift) -> None:
    gift = make_gift()
    other = make_gift()
    op = make_user(Role.OPERATOR)
    with pytest.raises(DomainError) as e:
        catalogue.update_gift(session, gift, _data(gift, code=other.code), by_user=op)
    assert e.value.field == "code"


def test_listing_a_gift_is_the_citys(session, make_user, make_gift, make_supplier) -> None:
    operator, city = make_user(Role.OPERATOR), make_user(Role.CITY)
    data = catalogue.GiftData(
        code="NEW-1",
        name="新しい返礼品",
        supplier_id=make_supplier().id,
        required_amount=10000,
        procurement_cost=3000,
        status=GiftStatus.LISTED,
    )
    with pytest.raises(PermissionDenied):
        catalogue.create_gift(session, data, by_user=operator)
    data.status = GiftStatus.DRAFT
    gift = catalogue.create_gift(session, data, by_user=operator)
    ended = make_gift(status=GiftStatus.ENDED)
    for g in (gift, ended):  # neither 準備中 nor 終了 goes back on offer by the operator
        with pytest.raises(PermissionDenied):
            catalogue.update_gift(session, g, _data(g, status=GiftStatus.LISTED), by_user=operator)
    catalogue.change_required_amount(session, gift, 10000, by_user=city, list_it=True)
    assert gift.status == GiftStatus.LISTED
