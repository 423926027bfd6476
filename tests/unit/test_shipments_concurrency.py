"""Two taps on 発送を登録 at the same moment (two tabs, two workers): one shipment, never two."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa

from portal.accounts.models import User
from portal.core.dates import today_jst
from portal.core.errors import Conflict
from portal.core.roles import Role
from portal.core.timeline import TimelineEvent
from portal.extensions import db
from portal.shipping import shipments
from portal.shipping.models import Order, OrderStatus, Shipment
from tests.unit.test_shipments import tracking


def _race(app: Any, order_id: int, user_id: int, numbers: list[str]) -> list[str]:
    barrier = threading.Barrier(len(numbers))
    outcome: list[str] = []

    def confirm(number: str) -> None:
        with app.app_context(), sa.orm.Session(db.engine) as s:
            user = s.get(User, user_id)
            order = s.get(Order, order_id)
            assert order is not None and order.line.gift is not None
            barrier.wait()
            try:
                shipments.confirm_shipment(s, order, "yamato", number, today_jst(), user)
                s.commit()
                outcome.append("ok")
            except Conflict:
                s.rollback()
                outcome.append("conflict")

    threads = [threading.Thread(target=confirm, args=(n,)) for n in numbers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcome


@pytest.mark.parametrize("same", [True, False])
@pytest.mark.usefixtures("postgres_only")
def test_simultaneous_confirmations_leave_one_shipment(
    committed: Any, make_user: Any, make_gift: Any, make_order: Any, same: bool
) -> None:
    gift = make_gift()
    user = make_user(Role.SUPPLIER, supplier=gift.supplier)
    order = make_order(gift)
    db.session.commit()
    numbers = [tracking(1), tracking(1) if same else tracking(2)]
    outcome = _race(committed, order.id, user.id, numbers)
    assert sorted(outcome) == (["ok", "ok"] if same else ["conflict", "ok"])
    with sa.orm.Session(db.engine) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Shipment)) == 1
        assert s.get(Order, order.id).status == OrderStatus.SHIPPED
        events = s.scalar(
            sa.select(sa.func.count())
            .select_from(TimelineEvent)
            .where(TimelineEvent.kind == "order.shipped")
        )
        assert events == 1
