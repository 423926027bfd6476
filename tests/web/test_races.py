"""Races that used to let one secret or one action count several times (issue 16 item 8):
one TOTP code in 16 simultaneous logins, one donation marked paid by 8 simultaneous requests.
Real concurrent sessions on PostgreSQL (SQLite serialises every writer, so it is skipped)."""

from __future__ import annotations

import threading
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa

from portal.core.clock import today_jst
from portal.core.roles import Role
from portal.core.timeline import TimelineEvent
from portal.donations.models import Donation, DonationEvent, DonationState
from portal.extensions import db
from tests.conftest import PASSWORD, TOTP_SECRET


def _together(n: int, step) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        results[i] = step(i, barrier)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.usefixtures("postgres_only")
def test_one_totp_code_signs_in_exactly_one_of_16_simultaneous_logins(
    committed: Any, make_user: Any
) -> None:
    user = make_user(Role.OPERATOR)
    db.session.commit()
    clients = [committed.test_client() for _ in range(16)]
    for c in clients:  # every browser has passed the password step
        response = c.post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.location.endswith("/login/code")
    code = pyotp.TOTP(TOTP_SECRET).now()

    def enter_code(i: int, barrier: threading.Barrier) -> int:
        barrier.wait()
        return clients[i].post("/login/code", data={"code": code}).status_code

    statuses = _together(16, enter_code)
    assert statuses.count(303) == 1, statuses
    signed_in = [c.get("/staff/").status_code == 200 for c in clients]
    assert signed_in.count(True) == 1


@pytest.mark.usefixtures("postgres_only")
def test_a_donation_marked_paid_by_8_simultaneous_requests_is_paid_once(
    committed: Any, make_user: Any, make_donation: Any
) -> None:
    donation = make_donation(paid_on=None)
    staff = make_user(Role.OPERATOR)
    db.session.commit()
    donation_id, email = donation.id, staff.email
    assert donation.state == DonationState.RECEIVED
    clients = [committed.test_client() for _ in range(8)]
    for c in clients:
        response = c.post("/login", data={"email": email, "password": PASSWORD})
        if response.location.endswith("/login/code"):
            with committed.app_context():
                db.session.execute(sa.update(type(staff)).values(totp_last_step=None))
                db.session.commit()
            c.post("/login/code", data={"code": pyotp.TOTP(TOTP_SECRET).now()})
        assert c.get("/staff/").status_code == 200

    def mark_paid(i: int, barrier: threading.Barrier) -> int:
        barrier.wait()
        return (
            clients[i]
            .post(f"/staff/donations/{donation_id}/paid", data={"paid_on": today_jst().isoformat()})
            .status_code
        )

    assert _together(8, mark_paid) == [303] * 8  # the others are told it is already paid
    with sa.orm.Session(db.engine) as s:
        assert s.get(Donation, donation_id).state == DonationState.PAID
        paid_events = s.scalar(
            sa.select(sa.func.count())
            .select_from(TimelineEvent)
            .where(
                TimelineEvent.subject_type == "donation",
                TimelineEvent.subject_id == donation_id,
                TimelineEvent.kind == DonationEvent.PAID,
            )
        )
        assert paid_events == 1
