"""The order's state machine: the one function that moves an order.

Every status change of an order — shipped by a confirmation, delivered, cancelled with its
donation — comes here: the move is checked against ORDER_TRANSITIONS (beside the model),
made by one conditional UPDATE (so a cancellation committed meanwhile is never overwritten
by a shipment, nor the other way round), written on the donation's timeline, and the new
state returned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from portal.core.database import rowcount
from portal.core.errors import DomainError
from portal.core.models import utcnow
from portal.core.timeline import record_event
from portal.shipping.models import ORDER_MOVE_EVENTS, ORDER_TRANSITIONS, Order, OrderStatus

if TYPE_CHECKING:
    from portal.accounts.models import User


def can_move(order: Order, to: OrderStatus) -> bool:
    return to in ORDER_TRANSITIONS[order.status]


def move_order(
    session: Session,
    order: Order,
    to: OrderStatus,
    *,
    by_user: User | None = None,
    refused: object = None,
    public: bool = True,
    **data: Any,
) -> OrderStatus:
    """Move `order` to `to`, or raise DomainError (`refused` is the caller's wording for
    why not, e.g. "this order was cancelled: do not ship it"). `data` goes on the event."""
    before = order.status
    message = refused or _l("この注文はこの状態に変更できません。")
    if to not in ORDER_TRANSITIONS[before]:
        raise DomainError(message)
    values: dict[str, Any] = {"status": to}
    if to == OrderStatus.SHIPPED:
        values["shipped_at"] = utcnow()
    moved = rowcount(
        session.execute(
            sa.update(Order)
            .where(Order.id == order.id, Order.status == before)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    )
    if moved != 1:
        session.refresh(order)  # someone else moved it first: show what it is now
        raise DomainError(message)
    for key, value in values.items():
        set_committed_value(order, key, value)
    kind = ORDER_MOVE_EVENTS[to]
    if kind is not None:
        record_event(
            session,
            "donation",
            order.line.donation_id,
            kind,
            by_user=by_user,
            public=public,
            **{"order_id": order.id, "gift_name": order.line.gift.name, **data},
        )
    return to
