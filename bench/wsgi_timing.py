"""The in-process harness bench/support_poll.py and bench/donor_status.py share: the portal on a
fresh SQLite file (or a fresh schema of DATABASE_URL's PostgreSQL database), seeded, with a
bare route for the floor and every request's server time and CPU time taken inside the WSGI
call (the test client's request building left out)."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask

FLOOR = "/bench-floor"  # same app, cookie and session; no user, no query


@dataclass
class Timed:
    app: Flask
    url: str
    server_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)

    @property
    def backend(self) -> str:
        return "postgresql" if self.url.startswith("postgresql") else "sqlite"

    def clear(self) -> None:
        self.server_ms.clear()
        self.cpu_ms.clear()


def timed_portal(prefix: str, seed: Callable[[], dict[str, Any]]) -> tuple[Timed, dict[str, Any]]:
    """The app with its schema at head and `seed()`'s rows (its return value beside it)."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix=f'bench-{prefix}-')) / 'bench.sqlite3'}"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )

    @app.get(FLOOR)
    def bench_floor() -> tuple[str, int]:
        return "", 204

    timed = Timed(app, url)
    inner = app.wsgi_app

    def timed_app(environ, start_response):  # type: ignore[no-untyped-def]
        t, c = time.perf_counter(), time.process_time()
        body = b"".join(inner(environ, start_response))
        timed.cpu_ms.append((time.process_time() - c) * 1000)
        timed.server_ms.append((time.perf_counter() - t) * 1000)
        return [body]

    app.wsgi_app = timed_app  # type: ignore[method-assign]

    with app.app_context():
        if url.startswith("postgresql"):
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        upgrade()
        ids = seed()
        db.session.remove()
    return timed, ids
