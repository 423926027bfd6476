"""The 5割 and 3割 watch on a constructed 年度 (FY2026, today 5 Dec 2026 JST): every category
recomputed by hand from the records behind it, the projection, the margins, and the gifts a
price change pushed to the 3割 margin."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from portal.core.errors import DomainError, PermissionDenied
from portal.core.portals import Portal
from portal.core.roles import Role
from portal.gifts import catalogue
from portal.monthly import contract, invoice, records
from portal.monthly.models import Rounding
from portal.oversight import costs, ratios
from portal.oversight.categories import ENTRY_ITEM, ITEMS, Category
from portal.oversight.models import CostKind, GiftPriceChange
from portal.receipts.models import BatchStatus, ItemKind, ReceiptBatch, ReceiptBatchItem
from portal.statements import service as statements
from tests.conftest import jst

TODAY = date(2026, 12, 5)


@pytest.fixture()
def year(session, make_supplier, make_gift, make_user, make_order, make_donation, make_receipt,
         frozen_clock):  # fmt: skip
    """October: one rice (3,000 + 送料 1,200) for a 20,000 donation, invoiced; November: one
    beef (9,000 + 1,500) for 30,000, a 10,000 donation without a gift, two receipts mailed,
    a city-paid ad of 5,500; costs entered in both months; last 年度: 40,000 before 5 Dec and
    100,000 after."""
    frozen_clock.freeze(jst(2026, 12, 5, 10, 0))
    staff, city = make_user(Role.OPERATOR), make_user(Role.CITY)
    farm, ranch = make_supplier(name="庄原農園"), make_supplier(name="比婆牧場")
    rice = make_gift(farm, name="庄原米", procurement_cost=3000, shipping_fee=1200)
    beef = make_gift(ranch, name="比婆牛", procurement_cost=9000, shipping_fee=1500)
    rice_order = make_order(
        rice, shipped_on=date(2026, 10, 10), paid_on=date(2026, 10, 2), amount=20000,
        ship_by=date(2026, 10, 20),
    )  # fmt: skip
    beef_order = make_order(
        beef, shipped_on=date(2026, 11, 20), paid_on=date(2026, 11, 15), amount=30000,
        portal=Portal.RAKUTEN, ship_by=date(2026, 11, 25),
    )  # fmt: skip
    plain = make_donation(
        lines=[], amount=10000, portal=Portal.FURUNAVI, paid_on=date(2026, 11, 20)
    )
    make_donation(lines=[], amount=40000, paid_on=date(2025, 6, 1))
    make_donation(lines=[], amount=80000, paid_on=date(2025, 12, 20))
    make_donation(lines=[], amount=20000, paid_on=date(2026, 2, 10))
    make_donation(lines=[], amount=99999, paid_on=None)  # not received: no income
    for month in ("2026-10", "2026-11"):
        for st in statements.generate(session, month):
            statements.confirm(session, st, by_user=make_user(Role.SUPPLIER, supplier=st.supplier))
    contract.add_rate(
        session, valid_from=date(2026, 4, 1), base_rate_bp=1200, no_gift_rate_bp=500,
        crowdfunding_rate_bp=850, mailing_unit_price=95, mailing_in_base=False,
        tax_rate_percent=10, tax_rounding=Rounding.FLOOR, by_user=staff,
    )  # fmt: skip
    invoice.issue(session, "2026-10", by_user=staff)
    batch = ReceiptBatch(label="B2026-0001", until=date(2026, 11, 24), status=BatchStatus.MAILED,
                         count=2, mailed_on=date(2026, 11, 25))  # fmt: skip
    for i, d in enumerate((beef_order.line.donation, plain)):
        batch.items.append(ReceiptBatchItem(receipt=make_receipt(d, on=date(2026, 11, 24)),
                                            position=i, set_id=f"S{i}", kind=ItemKind.FIRST))  # fmt: skip
    session.add(batch)
    records.add_advertisement(
        session, paid_on=date(2026, 11, 18), amount=5500, description="楽天 特集バナー",
        portal=Portal.RAKUTEN, evidence_ref="RK-2026-1118", by_user=staff,
    )  # fmt: skip
    for month, kind, amount, portal in (
        ("2026-10", CostKind.PORTAL_FEE, 3000, Portal.CHOICE),
        ("2026-11", CostKind.PAYMENT_FEE, 1000, None),
        ("2026-11", CostKind.ADVERTISING, 2000, None),
        ("2026-11", CostKind.ONESTOP, 500, None),
        ("2026-03", CostKind.PORTAL_FEE, 777_777, Portal.CHOICE),  # last 年度: not counted
    ):
        costs.add_entry(session, month=month, category=kind, amount=amount, portal=portal,
                        by_user=city)  # fmt: skip
    session.flush()
    assert rice_order.line.donation.received_on == date(2026, 10, 2)
    return {"staff": staff, "city": city, "rice": rice, "beef": beef}


# By hand. October (issued invoice): base 20,000 × 12% = 2,400, tax 240; rice 3,000 + 1,200.
# November (draft): base 30,000 × 12% = 3,600 and 10,000 × 5% = 500, mailing 2 × 95 = 190,
# tax (3,600 + 500 + 190) × 10% = 429; beef 9,000 + 1,500; the city's ad 5,500 → 広報 and
# off the operator's fee.
PROCUREMENT = 3000 + 9000
SHIPPING = 1200 + 1500
PUBLICITY = 5500 + 2000
PAYMENT = 1000
OPERATOR_FEE = (2400 + 240) + (3600 + 500 + 429) - 5500
ADMIN = OPERATOR_FEE + 3000 + 500 + 190  # + portal fee, one-stop, receipts mailed
TOTAL = PROCUREMENT + SHIPPING + PUBLICITY + PAYMENT + ADMIN  # 28,559
INCOME = 20000 + 30000 + 10000


@pytest.mark.usefixtures("year")
def test_costs_by_category_match_a_hand_computation(session):
    b = ratios.breakdown(session, TODAY)
    assert (b.start, b.end) == (date(2026, 4, 1), date(2027, 3, 31))
    assert b.income == INCOME
    assert {c: b.category_total(c) for c in Category} == {
        Category.PROCUREMENT: PROCUREMENT,
        Category.SHIPPING: SHIPPING,
        Category.PUBLICITY: PUBLICITY,
        Category.PAYMENT: PAYMENT,
        Category.ADMIN: ADMIN,
    }
    assert b.item_total("operator_fee") == OPERATOR_FEE
    assert b.item_total("receipt") == 190
    assert b.total == TOTAL == 28559
    assert b.month_category("2026-10", Category.PROCUREMENT) == 3000
    assert b.monthly_income == {"2026-10": 20000, "2026-11": 40000}
    assert b.no_rate_months == []


@pytest.mark.usefixtures("year")
def test_ratios_and_the_projection(session):
    w = ratios.watch(session, TODAY)
    assert w.fifty_now_bp == TOTAL * 10000 // INCOME == 4759
    assert w.thirty_now_bp == 2000  # 12,000 / 60,000
    # Last 年度: 40,000 by 5 Dec 2025, 100,000 after → the rest of this year 100,000 × 60,000
    # / 40,000 = 150,000; costs that grow with donations keep their share, 広報 runs at its
    # daily rate (249 days elapsed, 116 to go).
    p = w.projection
    assert p.method == ratios.Method.LAST_YEAR
    assert p.income == INCOME + 150000
    rest = 150000
    assert p.costs == {
        Category.PROCUREMENT: PROCUREMENT + rest * PROCUREMENT // INCOME,
        Category.SHIPPING: SHIPPING + rest * SHIPPING // INCOME,
        Category.PAYMENT: PAYMENT + rest * PAYMENT // INCOME,
        Category.ADMIN: ADMIN + rest * ADMIN // INCOME,
        Category.PUBLICITY: PUBLICITY + PUBLICITY * 116 // 249,
    }
    assert w.fifty_projected_bp == p.total * 10000 // p.income == 4033


def test_projection_is_a_straight_line_without_last_year(session, make_donation, frozen_clock):
    frozen_clock.freeze(jst(2026, 12, 5, 10, 0))
    make_donation(lines=[], amount=24900, paid_on=date(2026, 6, 1))
    w = ratios.watch(session, TODAY)
    assert w.projection.method == ratios.Method.LINEAR
    assert w.projection.income == 24900 + 24900 * 116 // 249


def test_warning_at_the_margin_and_not_below(session, year):
    city = year["city"]
    costs.set_margins(session, fifty="47.59", thirty="28", by_user=city)
    w = ratios.watch(session, TODAY)
    assert (w.fifty_now, w.thirty_now) == (ratios.Level.WARN, ratios.Level.OK)
    assert w.warned
    costs.set_margins(session, fifty="47.6", thirty="28", by_user=city)
    w = ratios.watch(session, TODAY)
    assert w.fifty_now == ratios.Level.OK  # 47.598…% is below 47.60%
    assert w.fifty_projected == ratios.Level.OK
    assert not w.warned
    costs.set_margins(session, fifty="47", thirty="20", by_user=city)
    w = ratios.watch(session, TODAY)
    assert w.thirty_now == ratios.Level.WARN  # exactly 20.00% of the income
    # Over the limit: another 1,500 of costs takes 28,559 → 30,059 > 30,000.
    costs.add_entry(session, month="2026-12", category=CostKind.ADMIN_OTHER, amount=1500,
                    by_user=city)  # fmt: skip
    assert ratios.watch(session, TODAY).fifty_now == ratios.Level.OVER


def test_default_margins_are_47_and_28(session):
    s = ratios.settings(session)
    assert (s.fifty_margin_bp, s.thirty_margin_bp) == (4700, 2800)


def test_margins_refuse_bad_input_and_the_wrong_people(session, make_user):
    city, operator = make_user(Role.CITY), make_user(Role.OPERATOR)
    for fifty, thirty, field in (("abc", "28", "fifty_margin"), ("51", "28", "fifty_margin"),
                                 ("47", "0", "thirty_margin"), ("47", "28.123", "thirty_margin")):  # fmt: skip
        with pytest.raises(DomainError) as err:
            costs.set_margins(session, fifty=fifty, thirty=thirty, by_user=city)
        assert err.value.field == field
    with pytest.raises(PermissionDenied):
        costs.set_margins(session, fifty="47", thirty="28", by_user=operator)
    admin = make_user(Role.OPERATOR_ADMIN)
    assert (
        costs.set_margins(session, fifty="45", thirty="27.5", by_user=admin).thirty_margin_bp
        == 2750
    )


def test_cost_entries_are_checked_and_audited(session, make_user, frozen_clock):
    from portal.core.audit import AuditEntry

    frozen_clock.freeze(jst(2026, 12, 5, 10, 0))
    staff, supplier = make_user(Role.OPERATOR), make_user(Role.SUPPLIER)
    with pytest.raises(DomainError) as err:
        costs.add_entry(session, month="2027-01", category="portal_fee", amount=1, by_user=staff)
    assert err.value.field == "month"
    with pytest.raises(DomainError) as err:
        costs.add_entry(session, month="2026-13", category="portal_fee", amount=1, by_user=staff)
    assert err.value.field == "month"
    with pytest.raises(DomainError) as err:
        costs.add_entry(session, month="2026-11", category="portal_fee", amount=0, by_user=staff)
    assert err.value.field == "amount"
    with pytest.raises(PermissionDenied):
        costs.add_entry(session, month="2026-11", category="portal_fee", amount=1, by_user=supplier)
    entry = costs.add_entry(session, month="2026-11", category="portal_fee", amount=1200,
                            portal="rakuten", by_user=staff)  # fmt: skip
    costs.update_entry(session, entry, month="2026-10", category="portal_fee", amount=1300,
                       portal="rakuten", by_user=staff)  # fmt: skip
    rows = (
        session.query(AuditEntry).filter_by(subject_type="cost_entry").order_by(AuditEntry.id).all()
    )
    assert [r.action for r in rows] == ["oversight.cost_added", "oversight.cost_changed"]
    assert "1200円" in rows[1].detail and "1300円" in rows[1].detail


def test_every_entry_kind_has_one_category():
    keys = {item.key for item in ITEMS}
    assert set(ENTRY_ITEM) == set(CostKind)
    assert set(ENTRY_ITEM.values()) <= keys
    assert len(keys) == len(ITEMS)


def test_gifts_a_price_change_took_to_the_3wari_margin(session, make_gift, make_user, frozen_clock):
    frozen_clock.freeze(jst(2026, 12, 1, 9, 0))
    city = make_user(Role.CITY)
    creeping = make_gift(code="G-CREEP", required_amount=10000, procurement_cost=2500)
    cut = make_gift(code="G-CUT", required_amount=10000, procurement_cost=2000)
    born_over = make_gift(code="G-BORN", required_amount=10000, procurement_cost=3100)
    fine = make_gift(code="G-FINE", required_amount=10000, procurement_cost=2000)
    frozen_clock.freeze(jst(2026, 12, 3, 9, 0))
    creeping.procurement_cost = 2900  # the supplier's new price: 29% (margin 28%, not over)
    fine.procurement_cost = 2500  # 25%: below the margin
    catalogue.change_required_amount(session, cut, 6000, by_user=city)  # 2,000 / 6,000 = 33%
    session.flush()

    drifts = ratios.drifted_gifts(session, 2800)
    assert [(d.gift.code, d.before_bp, d.after_bp, d.over) for d in drifts] == [
        ("G-CREEP", 2500, 2900, False),
        ("G-CUT", 2000, 3333, True),
    ]
    assert born_over.exceeds_return_limit  # over, but no price change took it there
    history = (
        session.query(GiftPriceChange).filter_by(gift_id=cut.id).order_by(GiftPriceChange.id).all()
    )
    assert [(h.old_required_amount, h.new_required_amount) for h in history] == [
        (None, 10000),
        (10000, 6000),
    ]


def test_a_cost_set_on_an_expired_gift_keeps_its_old_value(session, make_gift):
    gift = make_gift(required_amount=10000, procurement_cost=2000)
    session.expire(gift)
    gift.procurement_cost = 3200  # not loaded first: the attribute has no old value of its own
    session.flush()
    latest = session.scalars(
        sa.select(GiftPriceChange)
        .where(GiftPriceChange.gift_id == gift.id)
        .order_by(GiftPriceChange.id.desc())
    ).first()
    assert (latest.old_procurement_cost, latest.new_procurement_cost) == (2000, 3200)
    assert latest.old_required_amount == latest.new_required_amount == 10000
