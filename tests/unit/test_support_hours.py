from datetime import date, datetime, time

import pytest

from portal.core.dates import JST
from portal.support.hours import DeskCalendar, load_calendar, set_desk_day


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JST)


@pytest.mark.parametrize(
    ("when", "is_open"),
    [
        ("2026-12-28T10:00", True),  # Monday before the year-end break
        ("2026-12-28T17:00", False),  # closing time itself is closed
        ("2026-12-28T08:59", False),
        ("2026-12-29T10:00", False),  # 年末年始
        ("2027-01-04T09:00", True),  # first Monday after 3 January
        ("2027-01-11T10:00", False),  # 成人の日
        ("2026-05-06T10:00", False),  # 振替休日 (5/3 was a Sunday)
        ("2026-11-28T10:00", False),  # Saturday
        ("2026-11-26T16:59", True),  # an ordinary Thursday
    ],
)
def test_real_dates(when: str, is_open: bool) -> None:
    assert DeskCalendar().is_open(at(when)) is is_open


def test_next_opening_across_golden_week() -> None:
    cal = DeskCalendar()
    # Mon 3 May 2027 憲法記念日, 4 みどりの日, 5 こどもの日 → Thursday 6 May 9:00.
    assert cal.next_opening(at("2027-05-03T10:00")).isoformat() == "2027-05-06T09:00:00+09:00"
    # Friday evening before 成人の日 weekend → Tuesday 12 January.
    assert cal.next_opening(at("2027-01-08T17:30")) == at("2027-01-12T09:00")
    # Year-end: from 28 Dec evening to 4 Jan.
    assert cal.next_opening(at("2026-12-28T18:00")) == at("2027-01-04T09:00")
    # Open now: the instant itself.
    assert cal.next_opening(at("2026-11-26T10:00")) == at("2026-11-26T10:00")


def test_business_time_counts_only_desk_hours() -> None:
    cal = DeskCalendar()
    # Friday 16:00 → Monday 10:00 (weekend between): 1 h Friday + 1 h Monday.
    assert cal.business_seconds(at("2026-11-27T16:00"), at("2026-11-30T10:00")) == 2 * 3600
    # A question sent on Saturday, answered Monday 9:30: 30 desk minutes.
    assert cal.business_seconds(at("2026-11-28T11:00"), at("2026-11-30T09:30")) == 1800
    assert cal.business_seconds(at("2026-11-30T10:00"), at("2026-11-30T09:00")) == 0


def test_staff_overrides(session) -> None:
    # Open a Saturday in December with short hours, close a Golden Week Friday.
    set_desk_day(session, date(2026, 12, 26), is_open=True, opens_at=time(10), closes_at=time(15))
    set_desk_day(session, date(2027, 4, 30), is_open=False, note="GW")
    set_desk_day(session, date(2026, 12, 1), is_open=True, opens_at=time(9), closes_at=time(12))
    cal = load_calendar(session)
    assert cal.is_open(at("2026-12-26T10:30"))
    assert not cal.is_open(at("2026-12-26T09:30"))
    assert not cal.is_open(at("2027-04-30T10:00"))
    assert not cal.is_open(at("2026-12-01T13:00"))
    assert cal.next_opening(at("2027-04-28T18:00")) == at("2027-05-06T09:00")


def test_override_rejects_backwards_hours(session) -> None:
    from portal.core.errors import DomainError

    with pytest.raises(DomainError):
        set_desk_day(session, date(2026, 12, 1), is_open=True, opens_at=time(15), closes_at=time(9))


def test_desk_status_command(runner) -> None:
    result = runner.invoke(args=["desk-status", "--at", "2027-05-03T10:00"])
    assert result.output.strip() == "closed until 2027-05-06T09:00+09:00"
    result = runner.invoke(args=["desk-status", "--at", "2026-12-28T10:00"])
    assert result.output.strip() == "open"
