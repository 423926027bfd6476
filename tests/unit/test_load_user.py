"""The signed-in user of a request (accounts.sessions.load_user, one SELECT): the cookie's user
id and session id must belong together, and the session must still count."""

from __future__ import annotations

from datetime import timedelta

from portal.accounts import sessions
from portal.core.roles import Role


def test_only_the_users_own_live_session_signs_them_in(session, make_user, frozen_clock) -> None:
    alice, bob = make_user(Role.SUPPLIER), make_user(Role.SUPPLIER)
    token = sessions.start(session, alice)
    assert sessions.load_user(session, alice.id, token) is alice
    assert sessions.load_user(session, bob.id, token) is None  # alice's session, bob's id
    assert sessions.load_user(session, alice.id, "not-a-session") is None
    assert sessions.load_user(session, alice.id, None) is None

    frozen_clock.advance(timedelta(hours=8, minutes=1))  # a supplier's idle limit
    assert sessions.load_user(session, alice.id, token) is None

    fresh = sessions.start(session, alice)
    sessions.revoke(session, fresh)
    session.expire_all()
    assert sessions.load_user(session, alice.id, fresh) is None

    again = sessions.start(session, alice)
    alice.active = False
    session.flush()
    assert sessions.load_user(session, alice.id, again) is None


def test_a_poll_does_not_touch_the_session(session, make_user, frozen_clock) -> None:
    user = make_user(Role.SUPPLIER)
    token = sessions.start(session, user)
    row = sessions.find_live(session, token)
    seen = row.last_seen_at
    frozen_clock.advance(timedelta(minutes=5))
    assert sessions.load_user(session, user.id, token, touch=False) is user
    assert row.last_seen_at == seen
    assert sessions.load_user(session, user.id, token) is user
    assert row.last_seen_at > seen
