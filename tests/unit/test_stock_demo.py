"""Demo depth (h7): the operator's screens have something to decide on, and seeding twice
changes nothing anywhere."""

from __future__ import annotations

import sqlalchemy as sa

from portal.core.dates import today_jst
from portal.donations.substitution import LineSubstitution
from portal.extensions import db
from portal.gifts.models import Gift
from portal.gifts.stock import GiftAllocation, stock_overview
from portal.receipts.models import OnestopReturn


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
