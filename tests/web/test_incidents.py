"""The incident report [受託者向け 第2, 個人情報 第14]: one step, the city mailed at once, the
60-minute deadline and the 個人情報保護委員会 deadlines shown and tracked, follow-ups until closed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.roles import Role
from portal.incidents import service
from portal.incidents.models import Incident
from tests.conftest import jst, sign_in


@pytest.fixture()
def contacts(app):
    app.config["INCIDENT_CONTACTS"] = "security@city.example, kikaku@city.example"
    yield
    app.config["INCIDENT_CONTACTS"] = ""


def report(client, **kw):
    data = {
        "what": "寄附者一覧のCSVを誤って事業者へメール送信した",
        "noticed_at": "2026-06-03T09:30",
        "data_involved": "2026年5月の寄附者の氏名・住所",
        "people": "120",
        **kw,
    }
    return client.post("/staff/incidents/new", data=data)


@pytest.mark.usefixtures("contacts")
def test_one_step_report_mails_the_city_and_shows_the_deadlines(
    client, session, make_user, mailbox, frozen_clock
):
    frozen_clock.freeze(jst(2026, 6, 3, 10, 0))
    operator = make_user(Role.OPERATOR)
    sign_in(client, operator)
    r = report(client)
    assert r.status_code == 303
    incident = session.scalars(sa.select(Incident)).one()
    # The city's contacts got the mail at once (real SMTP), and the record says when.
    assert len(mailbox.messages) == 1
    msg = mailbox.messages[0]
    assert "security@city.example" in msg["To"] and "kikaku@city.example" in msg["To"]
    assert "セキュリティ事案" in msg["Subject"]
    assert "誤って事業者へメール送信" in mailbox.body()
    assert f"/staff/incidents/{incident.id}" in mailbox.body()
    session.refresh(incident)
    assert incident.city_told_at is not None
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "市への連絡（60分以内）" in page
    assert "2026年6月3日" in page and "10:30" in page  # 60 minutes from 09:30 noticed
    assert "期限内" in page
    # More than 100 people: the 速報 (5 days) and 確報 (30 days) deadlines.
    assert "速報" in page and "2026年6月8日" in page
    assert "確報（30日以内）" in page and "2026年7月3日" in page


def test_unauthorised_access_gives_60_days_for_the_final_report(client, make_user):
    sign_in(client, make_user(Role.OPERATOR))
    r = report(client, people="3", unauthorised_access="y")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "確報（60日以内）" in page


def test_at_most_100_people_needs_no_commission_report(client, make_user):
    sign_in(client, make_user(Role.OPERATOR))
    r = report(client, people="100")
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "義務の対象外" in page and "速報（3〜5日以内）" not in page


def test_without_contacts_the_page_says_the_city_is_not_told_yet(
    client, make_user, mailbox, frozen_clock
):
    frozen_clock.freeze(jst(2026, 6, 3, 10, 45))
    sign_in(client, make_user(Role.OPERATOR))
    assert "INCIDENT_CONTACTS" in client.get("/staff/incidents/new").get_data(as_text=True)
    r = report(client)
    assert mailbox.messages == []
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "期限超過・未了" in page  # noticed 09:30, now 10:45, nobody told
    assert "電話で市へ連絡" in page
    # The reporter phones the city and records it: the deadline shows as met late.
    incident_id = int(r.headers["Location"].rsplit("/", 1)[1])
    client.post(
        f"/staff/incidents/{incident_id}/notes",
        data={"action": "city-told", "body": "企画課 山田様へ電話で報告"},
    )
    page = client.get(f"/staff/incidents/{incident_id}").get_data(as_text=True)
    assert "期限後" in page and "企画課 山田様へ電話で報告" in page


@pytest.mark.usefixtures("contacts")
def test_follow_ups_until_closed(client, make_user, session, frozen_clock):
    frozen_clock.freeze(jst(2026, 6, 3, 10, 0))
    operator = make_user(Role.OPERATOR)
    sign_in(client, operator)
    location = report(client).headers["Location"]
    incident_id = int(location.rsplit("/", 1)[1])
    notes = f"/staff/incidents/{incident_id}/notes"
    frozen_clock.advance(timedelta(days=2))
    sign_in(client, session.merge(operator))  # two days later: a new staff session
    assert (
        client.post(notes, data={"action": "ppc-preliminary", "body": "市が速報"}).status_code
        == 303
    )
    assert client.post(notes, data={"action": "", "body": ""}).status_code == 422  # nothing said
    assert (
        client.post(notes, data={"action": "closed", "body": "再発防止策を実施"}).status_code == 303
    )
    incident = session.get(Incident, incident_id)
    session.refresh(incident)
    assert incident.ppc_preliminary_at is not None and incident.closed_at is not None
    page = client.get(location).get_data(as_text=True)
    assert "再発防止策を実施" in page and "経過を記録する" not in page  # closed: no more notes
    assert client.post(notes, data={"action": "", "body": "追記"}).status_code == 422


@pytest.mark.usefixtures("contacts")
def test_city_staff_read_but_do_not_record(client, make_user, session):
    operator = make_user(Role.OPERATOR)
    sign_in(client, operator)
    location = report(client).headers["Location"]
    client.post("/logout")
    city = make_user(Role.CITY)
    sign_in(client, city)
    listing = client.get("/staff/incidents").get_data(as_text=True)
    assert "誤って事業者へメール送信" in listing and "事案を報告する" not in listing
    assert client.get(location).status_code == 200
    assert report(client).status_code == 403
    viewed = session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.subject_type == "incident", AuditEntry.actor_user_id == city.id
        )
    ).all()
    assert [a.action for a in viewed] == ["view"]


def test_a_future_noticed_time_is_refused(client, make_user, frozen_clock):
    frozen_clock.freeze(jst(2026, 6, 3, 10, 0))
    sign_in(client, make_user(Role.OPERATOR))
    r = report(client, noticed_at="2026-06-03T11:00")
    assert r.status_code == 422 and "未来" in r.get_data(as_text=True)


@pytest.mark.usefixtures("contacts")
def test_re_running_the_city_mail_sends_nothing_twice(client, make_user, mailbox):
    sign_in(client, make_user(Role.OPERATOR))
    incident_id = int(report(client).headers["Location"].rsplit("/", 1)[1])
    assert len(mailbox.messages) == 1
    service.mail_city(incident_id)  # a re-run (a retried job)
    assert len(mailbox.messages) == 1
    assert re.search(r"事案 \d{4}-\d{4}", mailbox.messages[0]["Subject"])
