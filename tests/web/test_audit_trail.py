"""The audit page's promise holds: every view and export of personal data, every change of
money, stock, approval and role, and every login writes a row — who, what in words, when,
from where — and no row can be changed or deleted."""

from __future__ import annotations

import pyotp
import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry, AuditRowImmutable, audit
from portal.core.roles import Role
from portal.donations import lifecycle
from portal.gifts import stock
from portal.support import conversations as uc
from portal.support.models import CustomerKind
from tests.conftest import PASSWORD

IP = "203.0.113.9"


def _rows(session, since: int = 0, **where) -> list[AuditEntry]:
    stmt = sa.select(AuditEntry).where(AuditEntry.id > since).order_by(AuditEntry.id)
    for k, v in where.items():
        stmt = stmt.where(getattr(AuditEntry, k) == v)
    return list(session.scalars(stmt))


def _last_id(session) -> int:
    return session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0


def _get(client, url: str, **kw):
    return client.get(url, environ_base={"REMOTE_ADDR": IP}, **kw)


def test_every_route_that_shows_personal_data_writes_a_row(
    client, session, make_user, make_order, login
) -> None:
    staff = make_user(Role.OPERATOR, name="受託 太郎")
    order = make_order()
    donation = order.line.donation
    conv = uc.start_conversation(
        session,
        customer_kind=CustomerKind.DONOR,
        customer_name="寄附 花子",
        body="届きません",
        by_user=None,
    )
    session.flush()
    login(staff)
    walk = [
        ("/staff/donations", "list", f"寄附一覧 1件: {donation.donation_no}"),
        (f"/staff/donations/{donation.id}", "view", f"寄附 {donation.donation_no}"),
        ("/staff/requests", "list", "寄附者からの申請一覧 0件"),
        ("/staff/donations/held", "list", "保留中の寄附 0件"),
        ("/staff/receipts", "list", "受領証明書の未発行・再発行待ち"),
        ("/support/", "list", f"問い合わせ一覧 1件: 問い合わせ {conv.id}"),
        (f"/support/{conv.id}", "view", f"問い合わせ {conv.id}"),
        (f"/support/{conv.id}/poll?v=0", "view", f"問い合わせ {conv.id}"),
        ("/support/analysis.csv", "export", ""),
        ("/staff/statements.csv?month=2026-11", "statement.export", ""),
    ]
    for url, action, label in walk:
        before = _last_id(session)
        response = _get(client, url)
        assert response.status_code == 200, (url, response.status_code)
        rows = _rows(session, before)
        assert [r.action for r in rows] == [action], (url, [(r.action, r.label) for r in rows])
        row = rows[0]
        assert row.actor_user_id == staff.id and row.ip == IP, url
        assert row.label.startswith(label), (url, row.label)
        assert "寄附 花子" not in row.label + row.detail  # the log holds no personal data

    supplier = make_user(Role.SUPPLIER, supplier=order.supplier)
    client.post("/logout")
    login(supplier)
    for url, action, label in [
        ("/supplier/orders", "list", "注文一覧 1件: "),
        (f"/supplier/orders/{order.id}", "view", "注文 "),
    ]:
        before = _last_id(session)
        assert _get(client, url).status_code == 200, url
        rows = _rows(session, before)
        assert [r.action for r in rows] == [action] and rows[0].label.startswith(label), url
        assert rows[0].ip == IP


def test_a_poll_with_nothing_new_writes_nothing(client, session, make_user, login) -> None:
    conv = uc.start_conversation(
        session, customer_kind=CustomerKind.DONOR, customer_name="x", body="y", by_user=None
    )
    login(make_user(Role.OPERATOR))
    page = client.get(f"/support/{conv.id}").get_data(as_text=True)
    import re

    version = re.search(r"/poll\?v=([0-9.]+)", page).group(1)
    before = _last_id(session)
    assert client.get(f"/support/{conv.id}/poll?v={version}").status_code == 204
    assert _rows(session, before) == []


def test_changes_of_money_stock_and_approval_are_recorded(
    session, make_donation, make_gift, make_user
) -> None:
    staff = make_user(Role.OPERATOR)
    d = make_donation(paid_on=None)
    lifecycle.mark_paid(session, d, d.applied_on, by_user=staff)
    gift = make_gift()
    stock.pause_gift(session, gift, True, "収穫遅れ", by_user=staff)
    stock.set_allocation(session, gift.id, "choice", 5, by_user=staff)
    session.flush()
    rows = {r.action: r for r in _rows(session, actor_user_id=staff.id)}
    assert rows["money.paid"].label == f"寄附 {d.donation_no}"
    assert "10000円" in rows["money.paid"].detail
    assert rows["stock.paused"].label == f"返礼品 {gift.code}"
    assert rows["stock.set"].detail.endswith("→ 5")


def test_logins_succeeded_failed_and_totp_are_recorded_with_the_address(
    client, session, make_user
) -> None:
    staff = make_user(Role.OPERATOR)
    env = {"REMOTE_ADDR": IP}
    before = _last_id(session)
    r = client.post("/login", data={"email": staff.email, "password": "wrong"}, environ_base=env)
    assert r.status_code == 200
    client.post("/login", data={"email": "nobody@example.jp", "password": "x"}, environ_base=env)
    client.post("/login", data={"email": staff.email, "password": PASSWORD}, environ_base=env)
    client.post("/login/code", data={"code": "000000"}, environ_base=env)
    staff.totp_last_step = None
    code = pyotp.TOTP(staff.totp_secret).now()
    assert client.post("/login/code", data={"code": code}, environ_base=env).status_code == 303
    rows = _rows(session, before)
    assert [(r.action, r.subject_id) for r in rows] == [
        ("login.failed", str(staff.id)),
        ("login.failed", "-"),
        ("login.succeeded", str(staff.id)),
        ("login.totp_failed", str(staff.id)),
        ("login.totp_succeeded", str(staff.id)),
    ]
    assert {r.ip for r in rows} == {IP}
    assert "nobody@example.jp" not in " ".join(r.label + r.detail + r.actor_ref for r in rows)


def test_a_locked_out_login_is_recorded_although_the_request_rolls_back(
    client, session, make_user, app, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "1/15 minutes")
    user = make_user(Role.SUPPLIER)
    client.post("/login", data={"email": user.email, "password": "wrong"})
    before = _last_id(session)
    r = client.post("/login", data={"email": user.email, "password": "wrong"})
    assert r.status_code == 429
    rows = _rows(session, before)
    assert [(r.action, r.detail) for r in rows] == [("login.failed", "試行回数の上限")]


def test_rows_cannot_be_changed_or_deleted_through_the_application(session, make_user) -> None:
    row = audit(session, actor=make_user(Role.CITY), action="view", subject_type="donation",
                subject_id=1)  # fmt: skip
    session.flush()
    row.detail = "rewritten"
    with pytest.raises(AuditRowImmutable):
        session.flush()
    session.rollback()
    row = audit(session, actor=None, action="view", subject_type="donation", subject_id=2)
    session.flush()
    session.delete(row)
    with pytest.raises(AuditRowImmutable):
        session.flush()
    session.rollback()
    with pytest.raises(AuditRowImmutable):
        session.execute(sa.update(AuditEntry).values(detail="x"))
    with pytest.raises(AuditRowImmutable):
        session.execute(sa.delete(AuditEntry))


def test_postgresql_refuses_update_and_delete_on_the_table(session, is_postgres) -> None:
    if not is_postgres:
        pytest.skip("the trigger is PostgreSQL's (TEST_DATABASE_URL)")
    audit(session, actor=None, action="view", subject_type="donation", subject_id=3)
    session.flush()
    for sql in ("UPDATE audit_entry SET detail = 'x'", "DELETE FROM audit_entry"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), session.begin_nested():
            session.execute(sa.text(sql))
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) >= 1
