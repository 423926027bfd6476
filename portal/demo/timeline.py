"""Demo only: put the demo's timeline events on the days they describe.

The demo seeds a whole season in one go, so every event would carry the minute of seeding and
a donor's status page would say everything happened at once. This last demo step moves each
event of the demo donations to the date its own data gives (applied, paid, ordered, shipped,
issued, mailed, received), at a believable office hour in JST. Real events are never touched:
only donations whose portal order number starts with DEMO- are realigned, and running it again
sets the same values.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.core.dates import JST
from portal.core.timeline import TimelineEvent
from portal.donations.models import Donation

if TYPE_CHECKING:
    from portal.demo.programme import Context

# kind → the event's own data key holding its date (ISO), or a Donation attribute.
DATA_DATE = {
    "order.created": None,  # the paid date (orders are made the moment a donation is paid)
    "order.shipped": "shipped_on",
    "order.shipment_corrected": "shipped_on",
    "receipt.issued": "issued_on",
    "receipt.mailed": "mailed_on",
    "receipt.reissued": "reissued_on",
    "onestop.received": "received_on",
    "onestop.sent": "sent_on",
}
HOUR = {
    "donation.received": 9,
    "donation.paid": 10,
    "order.created": 10,
    "receipt.issued": 10,
    "receipt.reissued": 10,
    "onestop.received": 13,
    "order.shipped": 15,
    "receipt.mailed": 16,
    "onestop.sent": 16,
}


def _at(day: date, kind: str, n: int) -> datetime:
    return datetime.combine(day, time(HOUR.get(kind, 11), n % 50), JST)


def seed(session: Session, _ctx: Context) -> None:
    donations = {
        d.id: d
        for d in session.scalars(sa.select(Donation).where(Donation.portal_order_no.like("DEMO-%")))
    }
    if not donations:
        return
    events = session.scalars(
        sa.select(TimelineEvent)
        .where(
            TimelineEvent.subject_type == "donation",
            TimelineEvent.subject_id.in_(donations),
        )
        .order_by(TimelineEvent.id)
    )
    for n, event in enumerate(events):
        d = donations[event.subject_id]
        day: date | None = None
        if event.kind in ("donation.received", "line.held"):
            day = d.applied_on
        elif event.kind in ("donation.paid", "order.created"):
            day = d.paid_on or d.applied_on
        elif DATA_DATE.get(event.kind):
            raw = (event.data or {}).get(DATA_DATE[event.kind])
            day = date.fromisoformat(raw) if isinstance(raw, str) and raw else None
        if day is not None:
            event.at = _at(day, event.kind, n)
    session.flush()
