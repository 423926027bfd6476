"""`flask seed-demo`: a believable Shobara programme. Running it twice changes nothing.

Each step is a module with a `seed(session, ctx)` that is itself idempotent (it looks its rows
up by a natural key before creating them) and acts through the same use-case functions as the
screens, so the demo obeys the rules users do. Its only liberties are dates, since it plays
a whole season in one go: the timeline step puts events on the days they describe, and the
receipts step dates last December's batch then. The steps run in the order below because each
builds on what the earlier ones left.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from portal.demo import (
    donations,
    donors,
    monthly,
    payments,
    programme,
    proposals,
    receipts,
    shipping,
    statements,
    stock,
    support,
    timeline,
)
from portal.demo.donors import hint, showcase
from portal.demo.programme import DEMO_ACCOUNTS, Context

__all__ = ["DEMO_ACCOUNTS", "Context", "hint", "seed", "showcase"]


def seed(session: Session, *, password: str) -> list[tuple[str, str]]:
    """Seed every step; returns the demo logins as (email, role)."""
    ctx = programme.seed(session, password=password)  # suppliers, gifts, logins
    support.seed(session, ctx)  # FAQ, canned replies, one supplier conversation
    donations.seed(session, ctx)  # the season: donations, orders, some already shipped
    donors.seed(session, ctx)  # donor requests, on donations whose orders still wait
    shipping.seed(session, ctx)  # most past-due orders shipped; delivery problems
    proposals.seed(session, ctx)  # S001's proposals in every review state
    receipts.seed(session, ctx)  # after the payments: batches, returns, one-stop forms
    statements.seed(session, ctx)  # after the shipments: last month's statements
    payments.seed(session, ctx)  # after the statements: the confirmed ones' draft payment run
    stock.seed(session, ctx)  # after donations and receipts: stock decisions, substitution
    monthly.seed(session, ctx)  # contract rates, a city-paid ad, an article, a promotion
    timeline.seed(session, ctx)  # last: every event on the day it describes
    return [(email, role.value) for email, role, _, _ in DEMO_ACCOUNTS]
