"""The one clock: Japan's day turns at 15:00 UTC, and nothing in portal/ reads the time around it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from portal.accounts import totp
from portal.core import clock
from portal.core.models import utcnow
from tests.conftest import jst

PORTAL = Path(__file__).resolve().parents[2] / "portal"
READS_THE_TIME = re.compile(r"\b(datetime|date)\.(now|today|utcnow)\(|\btime\.time\(\)")


def test_the_day_in_japan_turns_at_15_utc(frozen_clock) -> None:
    frozen_clock.freeze(datetime(2026, 12, 31, 14, 59, 59, tzinfo=UTC))
    assert clock.today_jst() == date(2026, 12, 31)
    assert clock.now_jst() == jst(2026, 12, 31, 23, 59, 59)

    frozen_clock.advance(timedelta(seconds=1))
    assert clock.now() == datetime(2026, 12, 31, 15, 0, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    assert clock.today_jst() == date(2027, 1, 1)


def test_every_helper_reads_the_same_instant(frozen_clock) -> None:
    at = frozen_clock.freeze(jst(2027, 1, 1, 0, 0, 0))
    assert utcnow() == clock.now() == at
    assert clock.timestamp() == at.timestamp()


def test_totp_codes_follow_the_clock(frozen_clock) -> None:
    """A code is checked against the portal's time, so a frozen test clock signs in too."""
    import pyotp

    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    frozen_clock.freeze(jst(2026, 6, 3, 10, 0, 0))
    code = pyotp.TOTP(secret).at(clock.now())
    assert totp._matching_step(secret, code, clock.timestamp()) is not None
    frozen_clock.advance(timedelta(minutes=5))  # ten steps later the code is stale
    assert totp._matching_step(secret, code, clock.timestamp()) is None


def test_nothing_else_in_portal_reads_the_time() -> None:
    """datetime.now() / date.today() / time.time() outside portal/core/clock.py would bring
    back a second clock (the server's local or UTC day instead of Japan's)."""
    offenders = [
        f"{path.relative_to(PORTAL.parent)}:{n}: {line.strip()}"
        for path in sorted(PORTAL.rglob("*.py"))
        if path != PORTAL / "core" / "clock.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if READS_THE_TIME.search(line)
    ]
    assert offenders == []
