"""The desk's read models (portal/support/queries.py): a conversation's side panel, the
assignable staff, the city's complaints."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from portal.core.dates import today_jst
from portal.core.roles import Role
from portal.shipping import shipments
from portal.shipping.models import OrderStatus
from portal.support import conversations as conv_uc
from portal.support import queries
from portal.support.models import CannedReply, ConversationStatus, CustomerKind
from tests.unit.test_donation_queries import assert_plain


def _supplier_conv(session: Any, supplier: Any, user: Any, **kw: Any) -> Any:
    return conv_uc.start_conversation(
        session,
        customer_kind=CustomerKind.SUPPLIER,
        supplier_id=supplier.id,
        body="発送について",
        by_user=user,
        **kw,
    )


def test_beside_a_supplier_its_gifts_and_most_urgent_open_orders(
    session, make_supplier, make_user, make_gift, make_order
) -> None:
    today = today_jst()
    supplier = make_supplier()
    user = make_user(Role.SUPPLIER, supplier=supplier)
    b = make_gift(supplier=supplier, code="S-002")
    a = make_gift(supplier=supplier, code="S-001")
    late = make_order(a, ship_by=today - timedelta(days=1))
    soon = [make_order(b, ship_by=today + timedelta(days=d)) for d in range(1, 9)]
    make_order(a, status=OrderStatus.SHIPPED)  # not open
    make_order(make_gift(), ship_by=today - timedelta(days=9))  # another supplier's
    conv = _supplier_conv(session, supplier, user)

    ctx = queries.conversation_context(session, conv, today)

    assert [g.code for g in ctx.gifts] == ["S-001", "S-002"]
    orders = ctx.supplier_orders
    assert orders is not None
    assert (orders.total, orders.overdue) == (9, 1)
    assert len(orders.rows) == queries.OPEN_ORDER_ROWS
    assert orders.rows[0].order_no == shipments.order_no(late)
    assert [r.ship_by for r in orders.rows[1:]] == [o.ship_by for o in soon[:7]]
    assert ctx.donor_donation is None
    assert_plain(ctx)


def test_beside_a_donor_the_donation_it_names(session, make_gift, make_order) -> None:
    order = make_order(make_gift(name="しいたけ"))
    donation = order.line.donation
    conv = conv_uc.start_conversation(
        session,
        customer_kind=CustomerKind.DONOR,
        body="いつ届きますか",
        by_user=None,
        donation_ref=donation.donation_no,
        customer_name="寄附 太郎",
    )
    ctx = queries.conversation_context(session, conv, today_jst())
    d = ctx.donor_donation
    assert d is not None
    assert (d.id, d.donation_no, d.amount) == (donation.id, donation.donation_no, donation.amount)
    [line] = d.lines
    assert line.gift.name == "しいたけ"
    assert [(o.id, o.status) for o in line.orders] == [(order.id, OrderStatus.ORDERED)]
    assert ctx.supplier_orders is None and ctx.gifts == ()
    assert_plain(ctx)


def test_a_donor_conversation_naming_no_known_donation(session) -> None:
    conv = conv_uc.start_conversation(
        session,
        customer_kind=CustomerKind.DONOR,
        body="こんにちは",
        by_user=None,
        donation_ref="2099-999999",
        customer_name="寄附 花子",
    )
    assert queries.conversation_context(session, conv, today_jst()).donor_donation is None


def test_a_chosen_canned_reply_comes_with_its_placeholders_filled(
    session, make_supplier, make_user
) -> None:
    supplier = make_supplier(name="庄原ファーム")
    conv = _supplier_conv(session, supplier, make_user(Role.SUPPLIER, supplier=supplier))
    reply = CannedReply(title="zz お礼", body="{supplier_name} 様、ありがとうございます。")
    session.add(reply)
    session.flush()
    ctx = queries.conversation_context(session, conv, today_jst(), canned_id=reply.id)
    assert ctx.canned_text == "庄原ファーム 様、ありがとうございます。"
    assert ctx.canned[-1].title == "zz お礼"
    assert queries.conversation_context(session, conv, today_jst()).canned_text is None


def test_staff_members_are_active_staff_only(session, make_user) -> None:
    operator = make_user(Role.OPERATOR, name="あ 運営")
    make_user(Role.OPERATOR, name="い 退職", active=False)
    make_user(Role.SUPPLIER, name="う 事業者")
    names = [name for _, name in queries.staff_members(session)]
    assert "あ 運営" in names
    assert "い 退職" not in names and "う 事業者" not in names
    assert (str(operator.id), "あ 運営") in queries.staff_members(session)


def test_recent_complaints_unresolved_first_with_the_supplier(
    session, make_supplier, make_user
) -> None:
    supplier = make_supplier(name="苦情のある事業者")
    user = make_user(Role.SUPPLIER, supplier=supplier)
    done = _supplier_conv(session, supplier, user, subject="解決した苦情")
    open_ = _supplier_conv(session, supplier, user, subject="まだの苦情")
    _supplier_conv(session, supplier, user, subject="苦情ではない")
    for c in (done, open_):
        c.is_complaint = True
    done.status = ConversationStatus.CLOSED
    done.resolved_at = done.created_at + timedelta(hours=1)
    done.resolution = "返金しました"
    session.flush()
    rows = [r for r in queries.recent_complaints(session) if r.supplier_name == supplier.name]
    assert [(r.subject, r.closed, r.resolution) for r in rows] == [
        ("まだの苦情", False, ""),
        ("解決した苦情", True, "返金しました"),
    ]
