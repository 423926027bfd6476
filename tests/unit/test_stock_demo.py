"""Demo depth (h7): the operator's screens have something to decide on, and seeding twice
changes nothing anywhere."""

from __future__ import annotations

import sqlalchemy as sa

from portal.core.dates import today_jst
from portal.core.timeline import TimelineEvent, events_for
from portal.donations.substitution import LineSubstitution
from portal.extensions import db
from portal.gifts.models import Gift
from portal.gifts.stock import GiftAllocation, stock_overview
from portal.receipts.models import OnestopReturn, Receipt, ReceiptStatus
from portal.shipping.carriers import validate_tracking
from portal.shipping.models import Order, OrderStatus, Shipment
from portal.statements.models import Statement, StatementState


def test_demo_depth_is_there_and_idempotent(seeded_demo) -> None:
    first, second = (
        {name: n for name, n in counts.items() if name not in {"audit_entry"}}
        for counts in seeded_demo.counts
    )
    assert second == first

    with seeded_demo.app.app_context():
        session = db.session
        overview = {g.gift.code: g for g in stock_overview(session, today_jst())}
        assert any(a.portal == "rakuten" for a in overview["HB-005"].low)  # low on one portal
        assert ("choice", "empty") in overview["KR-001"].close  # a listing to close
        paused = session.scalar(sa.select(Gift).where(Gift.code == "KR-002"))
        assert paused.stock_paused and paused.stock_paused_reason
        # Limited gifts are split across the portals, the largest share on さとふる.
        allocs = {
            a.portal: a
            for a in session.scalars(
                sa.select(GiftAllocation).join(Gift).where(Gift.code == "KM-003")
            )
        }
        assert len(allocs) == 6
        sub = session.scalar(sa.select(LineSubstitution))
        assert sub is not None and sub.consent_on and sub.note
        late = session.scalar(sa.select(OnestopReturn).where(OnestopReturn.late.is_(True)))
        assert late is not None


def test_demo_states_come_from_the_use_cases_that_own_them(seeded_demo) -> None:
    """What a screen shows beside a state is there because the demo made the change the way
    a user does: a shipped order has the supplier's shipment and the donor's event, a mailed
    receipt its batch, a disputed statement its dispute on the timeline."""
    with seeded_demo.app.app_context():
        session = db.session
        shipped = session.scalars(sa.select(Order).where(Order.status == OrderStatus.SHIPPED)).all()
        assert len(shipped) > 100
        for order in shipped:
            assert order.shipped_at is not None
            shipment = session.scalar(sa.select(Shipment).where(Shipment.order_id == order.id))
            assert shipment is not None and shipment.shipped_on >= order.ordered_on
            assert validate_tracking(shipment.carrier, shipment.tracking_no)
        event_orders = {
            e.data["order_id"]
            for e in session.scalars(
                sa.select(TimelineEvent).where(TimelineEvent.kind == "order.shipped")
            )
        }
        assert {o.id for o in shipped} <= event_orders

        mailed = list(
            session.scalars(sa.select(Receipt).where(Receipt.status == ReceiptStatus.MAILED))
        )
        assert any(r.year < today_jst().year for r in mailed)  # last December's, late form
        assert all(r.last_batch is not None and r.last_batch.mailed_on for r in mailed)

        disputed = session.scalars(
            sa.select(Statement).where(Statement.state == StatementState.DISPUTED)
        ).all()
        assert disputed
        for st in disputed:
            kinds = {e.kind for e in events_for(session, "statement", st.id)}
            assert "statement.disputed" in kinds
            assert any(line.disputed and line.disputed_at for line in st.lines)
