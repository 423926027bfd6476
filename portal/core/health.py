"""What `/healthz` reports: the database, Redis (where the portal uses it) and the job queue's
depth. A load balancer takes a web process out of rotation on 503; the figures carry no
personal data."""

from __future__ import annotations

from typing import Any

import redis
import sqlalchemy as sa
from flask import Flask

from portal.extensions import db

TIMEOUT_S = 1.0


def _redis_urls(app: Flask) -> list[str]:
    urls = [str(app.config.get(key) or "") for key in ("RATELIMIT_STORAGE_URI", "JOBS_URL")]
    return sorted({u for u in urls if u.startswith(("redis://", "rediss://"))})


def check(app: Flask) -> tuple[dict[str, Any], bool]:
    """(report, healthy). Each dependency is 'ok', 'unavailable' or 'not used'."""
    report: dict[str, Any] = {}
    healthy = True
    try:
        db.session.execute(sa.text("SELECT 1"))
        report["database"] = "ok"
        report["dialect"] = db.engine.dialect.name
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        report["database"] = "unavailable"
        healthy = False
    urls = _redis_urls(app)
    report["redis"] = "not used" if not urls else "ok"
    for url in urls:
        try:
            client = redis.Redis.from_url(
                url, socket_connect_timeout=TIMEOUT_S, socket_timeout=TIMEOUT_S
            )
            client.ping()
            client.close()
        except redis.RedisError:
            report["redis"] = "unavailable"
            healthy = False
    huey = app.extensions.get("huey")
    try:
        report["queue_depth"] = int(huey.pending_count()) if huey is not None else None
        report["queue"] = "ok"
    except Exception:
        report["queue_depth"] = None
        report["queue"] = "unavailable"
        healthy = False
    report["status"] = "ok" if healthy else "error"
    return report, healthy
