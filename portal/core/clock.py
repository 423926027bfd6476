"""The portal's one clock: every reading of the current time goes through here.

Times are stored in UTC and the city's days are days in Asia/Tokyo, so "today" is never the
server's local date nor the UTC date (between 15:00 and 24:00 UTC those are a day behind
Japan). Keeping the reads in one module means a test freezes one thing (tests/conftest.py's
`frozen_clock`, built on time-machine) and a grep for `datetime.now(` finds only this file.

Everything derives from `now()`, so the helpers can never disagree with each other.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


def now() -> datetime:
    """The current instant, timezone-aware in UTC (what the database columns store)."""
    return datetime.now(UTC)


def now_jst() -> datetime:
    """The current instant as a wall-clock time in Japan."""
    return now().astimezone(JST)


def today_jst() -> date:
    """The city's calendar day: receipts, deadlines and reports count in these days."""
    return now_jst().date()


def timestamp() -> float:
    """Seconds since the epoch, for code that counts in seconds (TOTP steps, session cookies)."""
    return now().timestamp()
