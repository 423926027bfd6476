"""Engine settings per backend.

SQLite: WAL so readers do not block the writer, a busy timeout, foreign keys on, and every
transaction begun with BEGIN IMMEDIATE — a deferred transaction that reads and then writes
fails with SQLITE_BUSY whatever the timeout (see SQLAlchemy's pysqlite notes).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import sqlalchemy as sa


def configure_engine(engine: sa.Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def is_postgres(engine_or_session: object) -> bool:
    bind = getattr(engine_or_session, "bind", engine_or_session)
    return getattr(getattr(bind, "dialect", None), "name", "") == "postgresql"


def rowcount(result: sa.Result[Any]) -> int:
    """Rows an UPDATE or DELETE run through Session.execute() matched. The session hands back a
    CursorResult for those, but its execute() is typed as returning a plain Result."""
    if not isinstance(result, sa.CursorResult):
        raise TypeError(f"{type(result).__name__} has no rowcount (not an UPDATE or DELETE)")
    return result.rowcount
