"""The analytics of a 年度, kept for a few minutes per process.

At 1,000,000 donations the four grouped queries take seconds (bench/analytics.py); the page and
its eight CSVs all show the same figures, so one computation serves them for `seconds`. The
figures are as of `computed_at` (the page says so). `seconds=0` (the test configuration)
computes every time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from portal.analytics.queries import Analytics, analytics
from portal.core import clock


@dataclass(frozen=True)
class Kept:
    figures: Analytics
    computed_at: datetime
    expires: float


_KEPT: dict[tuple[str, int, date], Kept] = {}
_LOCK = threading.Lock()


def cached_analytics(
    session: Session, year: int, today: date, *, seconds: int, key: str = ""
) -> Kept:
    """The figures of `year` as of today, computed at most once per `seconds` for each `key`
    (the database the figures come from)."""
    slot = (key, year, today)
    now = clock.timestamp()
    with _LOCK:
        kept = _KEPT.get(slot)
    if kept is not None and kept.expires > now:
        return kept
    kept = Kept(analytics(session, year, today), clock.now(), now + seconds)
    if seconds > 0:
        with _LOCK:
            for old in [k for k, v in _KEPT.items() if v.expires <= now]:
                del _KEPT[old]
            _KEPT[slot] = kept
    return kept
