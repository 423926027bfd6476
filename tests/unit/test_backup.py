"""Backup and restore bring every row back: SQLite through the online backup API, and
PostgreSQL through pg_dump / pg_restore when TEST_DATABASE_URL names one and the tools exist."""

from __future__ import annotations

import os
import shutil
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

import portal.models  # noqa: F401  (every table, as the portal has them)
from portal import create_app
from portal.accounts.models import Supplier, User
from portal.core import clock
from portal.core.audit import AuditEntry
from portal.core.backup import backup, restore
from portal.core.portals import Portal
from portal.core.roles import Role
from portal.donations.models import Donation, PaymentMethod
from portal.extensions import Model
from portal.incidents.models import Incident


def _fill(engine: sa.Engine) -> None:
    Model.metadata.create_all(engine)
    with Session(engine) as s:
        supplier = Supplier(code="S01", name="比婆牛ファーム庄原")
        s.add(supplier)
        s.flush()
        user = User(email="op@example.jp", name="運用 花子", role=Role.OPERATOR)
        s.add(user)
        s.flush()
        for n in range(1, 26):
            s.add(
                Donation(
                    donation_no=f"2026-{n:06d}",
                    portal=Portal.CHOICE,
                    portal_order_no=f"C-{n}",
                    donor_name=f"寄附 {n}",
                    donor_kana="キフ",
                    postal_code="7270011",
                    address="広島県庄原市東本町1-1",
                    phone="0824-72-0000",
                    amount=10000 + n,
                    applied_on=date(2026, 11, 1),
                    payment_method=PaymentMethod.CARD,
                )
            )
        s.add(
            AuditEntry(
                actor_user_id=user.id, action="view", subject_type="donation", subject_id="1"
            )
        )
        s.add(Incident(what="誤送信", noticed_at=clock.now(), reported_by_id=user.id, people=3))
        s.commit()


def _rows(engine: sa.Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in a stable order."""
    out = {}
    with engine.connect() as c:
        for table in Model.metadata.sorted_tables:
            rows = c.execute(sa.select(table)).all()
            out[table.name] = sorted(tuple(map(repr, r)) for r in rows)
    return out


def _rows_at(url: str | sa.URL) -> dict[str, list[tuple]]:
    engine = sa.create_engine(url)
    try:
        return _rows(engine)
    finally:
        engine.dispose()


def _wipe(engine: sa.Engine) -> None:
    with engine.begin() as c:
        c.execute(sa.delete(AuditEntry.__table__))
        c.execute(sa.delete(Incident.__table__))
        c.execute(sa.update(Donation.__table__).values(donor_name="消えた"))


def test_sqlite_backup_and_restore_find_every_row(tmp_path):
    live = tmp_path / "portal.sqlite3"
    engine = sa.create_engine(f"sqlite:///{live}")
    _fill(engine)
    before = _rows(engine)
    assert len(before["donation"]) == 25 and before["incident"] and before["audit_entry"]

    copy = backup(f"sqlite:///{live}", tmp_path / "backups" / "b.sqlite3")
    _wipe(engine)
    assert _rows(engine) != before

    restore(f"sqlite:///{live}", copy)
    engine.dispose()
    assert _rows_at(f"sqlite:///{live}") == before


def test_flask_backup_command_writes_a_restorable_copy(tmp_path):
    live = tmp_path / "portal.sqlite3"
    engine = sa.create_engine(f"sqlite:///{live}")
    _fill(engine)
    before = _rows(engine)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{live}",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    dest = tmp_path / "out.sqlite3"
    result = app.test_cli_runner().invoke(args=["backup", str(dest)])
    assert result.exit_code == 0 and "backup written" in result.output, result.output
    _wipe(engine)
    result = app.test_cli_runner().invoke(args=["restore", str(dest), "--yes"])
    assert result.exit_code == 0, result.output
    engine.dispose()
    assert _rows_at(f"sqlite:///{live}") == before


@pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
    or shutil.which("pg_dump") is None,
    reason="needs TEST_DATABASE_URL on PostgreSQL and pg_dump",
)
def test_postgresql_dump_and_restore_find_every_row(tmp_path):
    base = sa.make_url(os.environ["TEST_DATABASE_URL"])
    schema = "backup_test"
    admin = sa.create_engine(base)
    with admin.begin() as c:
        c.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        c.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    engine = sa.create_engine(url)
    try:
        _fill(engine)
        before = _rows(engine)
        dump = backup(url, tmp_path / "portal.dump")
        with admin.begin() as c:
            c.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
            c.execute(sa.text(f"CREATE SCHEMA {schema}"))
        engine.dispose()
        restore(url, dump)
        assert _rows_at(url) == before
    finally:
        engine.dispose()
        with admin.begin() as c:
            c.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
