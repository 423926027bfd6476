"""City staff (and the operator's administrator) read who saw what; nobody else does."""

import sqlalchemy as sa

from portal.core.audit import AuditEntry, audit
from portal.core.roles import Role


def _entries(session, operator, n=3):
    for i in range(n):
        audit(session, actor=operator, action="view", subject_type="donation", subject_id=100 + i)
    audit(
        session,
        actor=None,
        action="view",
        subject_type="donation",
        subject_id=7,
        actor_kind="donor",
        actor_ref="2026-000007",
    )
    session.flush()


def test_city_reads_the_log_with_filters(client, session, make_user, login) -> None:
    operator = make_user(Role.OPERATOR, name="受託 太郎")
    _entries(session, operator)
    login(make_user(Role.CITY))
    page = client.get("/staff/audit").get_data(as_text=True)
    assert "受託 太郎" in page and "閲覧" in page
    assert "寄附者（寄附受付番号 2026-000007）" in page
    assert 'href="/staff/donations/101"' in page  # the subject is one click away
    only = client.get(f"/staff/audit?who={operator.id}&subject_id=101").get_data(as_text=True)
    assert "#101" in only and "#102" not in only and "2026-000007" not in only


def test_keyset_pages_newest_first(client, session, make_user, login, monkeypatch) -> None:
    from portal.web.staff import audit as audit_view

    monkeypatch.setattr(audit_view, "PAGE", 2)
    operator = make_user(Role.OPERATOR)
    _entries(session, operator, n=3)  # ids: 100, 101, 102, then the donor's 7
    login(make_user(Role.OPERATOR_ADMIN))
    first = client.get("/staff/audit?subject_type=donation").get_data(as_text=True)
    assert "#7" in first and "#102" in first and "#101" not in first
    link = first.split('href="/staff/audit?')[1].split('"')[0].replace("&amp;", "&")
    second = client.get("/staff/audit?" + link).get_data(as_text=True)
    assert "#101" in second and "#100" in second and "#102" not in second


def test_export_is_a_bom_csv_and_is_itself_logged(client, session, make_user, login) -> None:
    operator = make_user(Role.OPERATOR)
    _entries(session, operator, n=2)
    city = make_user(Role.CITY)
    login(city)
    response = client.get("/staff/audit.csv?subject_type=donation")
    assert response.mimetype == "text/csv"
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff日時,操作した人")
    assert operator.email in text and "2026-000007" in text
    exported = session.scalar(sa.select(AuditEntry).where(AuditEntry.subject_type == "audit_log"))
    assert exported is not None and exported.actor_user_id == city.id


def test_operator_staff_cannot_read_the_log(client, make_user, login) -> None:
    login(make_user(Role.OPERATOR))
    assert client.get("/staff/audit").status_code == 403
    assert client.get("/staff/audit.csv").status_code == 403
    assert "操作ログ" not in client.get("/staff/").get_data(as_text=True)
