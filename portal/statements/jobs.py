"""The scheduled statement job: after a month closes (JST) its statements exist without anyone
pressing a button. Runs daily at 01:05 JST (16:05 UTC; huey's crontab is UTC) and generates
the month that closed before today (JST); generating is idempotent, so the daily run is
harmless and a shipment recorded late for that month still gets its supplier's statement."""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.core.jobs import periodic
from portal.statements import service


@periodic(hour="16", minute="5")
def generate_closed_month(session: Session) -> int:
    return len(service.generate_closed_month(session))
