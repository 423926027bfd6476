"""Supplier stock page: own gifts only, every change with a reason and a ledger row."""

from __future__ import annotations

import sqlalchemy as sa

from portal.core.roles import Role
from portal.gifts.stock import GiftAllocation, StockLedger, set_allocation, total_remaining


def _ledger(session, gift):
    return session.scalars(
        sa.select(StockLedger).where(StockLedger.gift_id == gift.id).order_by(StockLedger.id)
    ).all()


def test_add_count_and_pause_each_leave_a_ledger_row(client, login, session, make_user, make_gift):
    gift = make_gift(name="庄原りんご 3kg")
    set_allocation(session, gift.id, "choice", 5, note="初期")
    user = make_user(Role.SUPPLIER, supplier=gift.supplier)
    login(user)
    page = client.get("/supplier/stock").get_data(as_text=True)
    assert "庄原りんご 3kg" in page and "残り合計 5" in page

    url = f"/supplier/stock/{gift.id}/change"
    assert (
        client.post(
            url,
            data={"mode": "add", "portal": "choice", "quantity": "20", "reason": "11月20日収穫"},
        ).status_code
        == 303
    )
    assert (
        client.post(
            url, data={"mode": "count", "portal": "rakuten", "quantity": "7", "reason": "棚卸し"}
        ).status_code
        == 303
    )
    assert total_remaining(session, gift.id) == 25 + 7
    pause = f"/supplier/stock/{gift.id}/pause"
    assert (
        client.post(pause, data={"paused": "1", "reason": "選果が追いつかない"}).status_code == 303
    )
    client.post(pause, data={"paused": "1", "reason": "選果が追いつかない"})  # double submit
    assert gift.stock_paused
    rows = [
        (r.reason, r.portal, r.before, r.after, r.note, r.by_user_id)
        for r in _ledger(session, gift)
    ]
    assert rows[1:] == [
        ("add", "choice", 5, 25, "11月20日収穫", user.id),
        ("set", "rakuten", 0, 7, "棚卸し", user.id),
        ("pause", "", 32, 32, "選果が追いつかない", user.id),
    ]
    page = client.get("/supplier/stock").get_data(as_text=True)
    assert "受付停止中" in page and "11月20日収穫" in page


def test_a_reason_is_required_and_nothing_changes_without_it(
    client, login, session, make_user, make_gift
):
    gift = make_gift()
    login(make_user(Role.SUPPLIER, supplier=gift.supplier))
    response = client.post(
        f"/supplier/stock/{gift.id}/change",
        data={"mode": "add", "portal": "choice", "quantity": "3", "reason": ""},
    )
    assert response.status_code == 422
    assert "理由を入力してください" in response.get_data(as_text=True)
    assert total_remaining(session, gift.id) == 0 and _ledger(session, gift) == []


def test_another_suppliers_gift_is_not_found(client, login, session, make_user, make_gift):
    gift = make_gift(name="よその返礼品")
    login(make_user(Role.SUPPLIER))
    assert "よその返礼品" not in client.get("/supplier/stock").get_data(as_text=True)
    response = client.post(
        f"/supplier/stock/{gift.id}/change",
        data={"mode": "add", "portal": "choice", "quantity": "3", "reason": "x"},
    )
    assert response.status_code == 404
    assert session.scalar(sa.select(sa.func.count(GiftAllocation.id))) == 0
