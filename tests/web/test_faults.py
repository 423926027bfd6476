"""Faults: the database going away mid-request, and a mail job re-run after a crash."""

from __future__ import annotations

import os
import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from portal.core.mail import MailSent, send_mail_once
from portal.core.roles import Role
from portal.extensions import db
from portal.incidents import service
from portal.incidents.models import Incident
from tests.conftest import sign_in


class DatabaseDown:
    """Every statement fails as a dropped connection does, until `back()`: the error page
    that follows must therefore be rendered without one statement."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.statements = 0
        event.listen(engine, "before_cursor_execute", self._fail)

    def _fail(self, *_a: object, **_kw: object) -> None:
        self.statements += 1
        raise sa.exc.OperationalError(
            "SELECT", {}, sqlite3.OperationalError("server closed the connection unexpectedly")
        )

    def back(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._fail)


@pytest.mark.parametrize(
    "lang,text", [("ja", "データベースに一時的につながりません"), ("en", "database")]
)
def test_the_database_going_away_gives_a_translated_503_and_the_portal_recovers(
    client, make_user, make_donation, lang, text
):
    make_donation()
    sign_in(client, make_user(Role.OPERATOR))
    client.post("/lang", data={"lang": lang})
    assert client.get("/staff/donations").status_code == 200
    down = DatabaseDown(db.engine)
    try:
        r = client.get("/staff/donations")
        tried = down.statements
    finally:
        down.back()
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "30"
    assert text in r.get_data(as_text=True)
    assert tried == 1  # the failing statement only: the page itself asked nothing
    again = client.get("/staff/donations")  # the database is back: no restart needed
    assert again.status_code == 200


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="killing a server connection needs PostgreSQL",
)
@pytest.mark.usefixtures("app")
def test_a_killed_connection_is_replaced_by_pre_ping():
    engine = db.engine
    assert engine.pool._pre_ping
    with engine.connect() as conn:
        pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    other = sa.create_engine(engine.url, poolclass=sa.pool.NullPool)
    with other.connect() as killer:
        killer.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    other.dispose()
    with engine.connect() as conn:  # the pool's dead connection is tested and replaced
        assert conn.execute(sa.text("SELECT 1")).scalar() == 1


@pytest.fixture()
def contacts(app):
    app.config["INCIDENT_CONTACTS"] = "security@city.example"
    yield
    app.config["INCIDENT_CONTACTS"] = ""


@pytest.mark.usefixtures("contacts")
def test_a_mail_job_that_crashed_before_marking_done_mails_nothing_twice(
    session, make_user, mailbox
):
    from portal.core import clock

    user = make_user(Role.OPERATOR)
    incident = service.report_incident(
        session,
        what="誤送信",
        noticed_at=clock.now(),
        data_involved="",
        people=1,
        unauthorised_access=False,
        by=user,
    )
    session.commit()
    incident_id = incident.id

    def crash_before_done(sess, _ctx, _instances):
        if any(isinstance(o, Incident) and o.city_told_at for o in sess.dirty):
            raise RuntimeError("worker killed after sending, before marking done")

    event.listen(db.session, "before_flush", crash_before_done)
    try:
        with pytest.raises(Exception, match="worker killed"):
            service.mail_city(incident_id).get()
    finally:
        event.remove(db.session, "before_flush", crash_before_done)
    assert len(mailbox.messages) == 1
    service.mail_city(incident_id)  # the retry
    assert len(mailbox.messages) == 1  # the city got one mail, not two
    session.expire_all()
    assert db.session.get(Incident, incident_id).city_told_at is not None


def test_a_failed_send_leaves_no_claim_so_the_retry_sends(app, session, mailbox):
    app.config["MAIL_URL"], url = "smtp://127.0.0.1:9", app.config["MAIL_URL"]  # nobody there
    try:
        with pytest.raises(OSError):
            send_mail_once(session, "test:1", "a@example.jp", "件名", "本文")
    finally:
        app.config["MAIL_URL"] = url
    assert session.get(MailSent, "test:1") is None
    assert send_mail_once(session, "test:1", "a@example.jp", "件名", "本文") is True
    assert send_mail_once(session, "test:1", "a@example.jp", "件名", "本文") is False
    assert len(mailbox.messages) == 1
