"""Background jobs: a thin task around a plain domain function, progress in a job row.

Broker: Redis when JOBS_URL is a redis:// URL, otherwise a SQLite file beside the instance
(nothing to install). Tests and JOBS_IMMEDIATE=1 run each task at once, in-process. Run a
worker with `huey_consumer portal.core.jobs.huey`. A job must be safe to run twice.
"""

from __future__ import annotations

import enum
import functools
import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from huey import RedisHuey, SqliteHuey
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.config import INSTANCE
from portal.core.models import enum_column, utcnow
from portal.extensions import db


def _make_huey() -> RedisHuey | SqliteHuey:
    url = os.environ.get("JOBS_URL", os.environ.get("REDIS_URL", ""))
    if url.startswith("redis"):
        return RedisHuey("portal", url=url)
    INSTANCE.mkdir(exist_ok=True)
    return SqliteHuey("portal", filename=str(INSTANCE / "jobs.sqlite3"))


huey = _make_huey()


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class JobRun(db.Model):
    """What a long job is doing, for a page that can be left and come back to."""

    __tablename__ = "job_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[JobState] = mapped_column(enum_column(JobState), default=JobState.QUEUED)
    progress: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


_app: Flask | None = None


def init_app(app: Flask) -> None:
    global _app
    _app = app
    huey.immediate = bool(app.config.get("JOBS_IMMEDIATE") or app.testing)
    app.extensions["huey"] = huey


def _app_for_task() -> Flask:
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _app is not None:
        return _app
    from portal import create_app

    return create_app()


def job(fn: Callable[..., Any]) -> Any:
    """Make `fn(session, *args)` a background task that commits once, or rolls back."""

    @huey.task(name=f"{fn.__module__}.{fn.__name__}")
    @functools.wraps(fn)
    def task(*args: Any, **kwargs: Any) -> Any:
        app = _app_for_task()
        with app.app_context():
            try:
                result = fn(db.session, *args, **kwargs)
                db.session.commit()
                return result
            except Exception:
                db.session.rollback()
                raise

    return task


def start_job(
    session: Session, kind: str, *, by_user_id: int | None = None, total: int = 0
) -> JobRun:
    run = JobRun(kind=kind, created_by_id=by_user_id, total=total)
    session.add(run)
    session.flush()
    return run
