"""Engine settings per backend.

SQLite: WAL so readers do not block the writer, a busy timeout, foreign keys on, and every
transaction begun with BEGIN IMMEDIATE — a deferred transaction that reads and then writes
fails with SQLITE_BUSY whatever the timeout (see SQLAlchemy's pysqlite notes).

A database server (PostgreSQL): a pooled connection that has sat idle for PING_AFTER_IDLE
seconds or more is pinged when it is checked out, and replaced if the server dropped it (a
restart, a failover, an idle timeout). One used moments ago is handed out as it is: under load
every request would otherwise pay a round trip (pool_pre_ping's SELECT 1, ~0.13 ms of the
worker's CPU per request). Should the server drop a connection within that second, the request
holding it gets the translated 503 (portal/web/errors.py) and SQLAlchemy empties the pool, so
the next request gets a fresh connection.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import sqlalchemy as sa

# Seconds a pooled server connection may sit unused before it is pinged at checkout.
PING_AFTER_IDLE = 1.0
_idle_clock = time.monotonic  # a pool's own interval clock, not the portal's wall clock


def configure_engine(engine: sa.Engine) -> None:
    if engine.dialect.name != "sqlite":
        _ping_when_idle(engine)
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


def _ping_when_idle(engine: sa.Engine) -> None:
    dialect = engine.dialect

    @sa.event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = _idle_clock()

    @sa.event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or _idle_clock() - since < PING_AFTER_IDLE:
            return  # just opened, or back in the pool moments ago
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_conn, None):
                # the pool disposes of this connection and checks out a fresh one
                raise sa.exc.DisconnectionError() from exc
            raise


def is_postgres(engine_or_session: object) -> bool:
    bind = getattr(engine_or_session, "bind", engine_or_session)
    return getattr(getattr(bind, "dialect", None), "name", "") == "postgresql"


def rowcount(result: sa.Result[Any]) -> int:
    """Rows an UPDATE or DELETE run through Session.execute() matched. The session hands back a
    CursorResult for those, but its execute() is typed as returning a plain Result."""
    if not isinstance(result, sa.CursorResult):
        raise TypeError(f"{type(result).__name__} has no rowcount (not an UPDATE or DELETE)")
    return result.rowcount
