"""Background jobs: a thin runner around a plain domain function, progress in a job row.

A domain function never commits. Two kinds of task wrap one:
- `task(fn)`: `fn(session, *args)` runs in an app context and the runner commits once at the
  end (or rolls back), e.g. mailing a donor's access link.
- `tracked(fn)`: a long job with a `JobRun` row a page polls. The runner owns the row: it marks
  it running, hands `fn(session, run, steps, *args)` a `Steps` whose `progress()` and
  `checkpoint()` are the only commits in the job, then marks it done (with `fn`'s result) or
  failed (with the error), so the page never spins forever. A run that is not queued any more
  is not run again: a job delivered twice does its work once.

The broker is built from `app.config` in `init_app`: Redis when JOBS_URL is a redis:// URL, a
SQLite file in the instance folder otherwise; tests and JOBS_IMMEDIATE=1 run each task at once,
in-process, in memory (nothing is written to `instance/`). A worker runs
`huey_consumer portal.worker.huey`. Callers queue a task only after the commit that made its
rows visible (views: `portal.web.uow.after_commit`).
"""

from __future__ import annotations

import enum
import functools
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.core.models import enum_column, utcnow
from portal.extensions import Model, db

log = logging.getLogger(__name__)


class JobState(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class JobRun(Model):
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


def start_job(
    session: Session, kind: str, *, by_user_id: int | None = None, total: int = 0
) -> JobRun:
    run = JobRun(kind=kind, created_by_id=by_user_id, total=total)
    session.add(run)
    session.flush()
    return run


class Steps:
    """What a tracked job body may do with the transaction: end a durable step, report
    progress (committed, since a page polls it), or undo back to the last step. The CLI hands
    the same object (without a run) to the same domain function."""

    def __init__(self, session: Session, run: JobRun | None = None) -> None:
        self.session = session
        self.run = run

    def checkpoint(self) -> None:
        self.session.commit()

    def undo(self) -> None:
        self.session.rollback()

    def set_total(self, total: int) -> None:
        if self.run is not None:
            self.run.total = total

    def progress(self, done: int, total: int | None = None) -> None:
        if self.run is None:
            return
        self.run.progress = done
        if total is not None:
            self.run.total = total
        self.session.commit()


# --- the runner ------------------------------------------------------------------------------

_REGISTRY: dict[str, Callable[..., Any]] = {}  # task name -> the in-app-context callable


def _app() -> Flask:
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _last_app is not None:
        return _last_app
    from portal import create_app

    return create_app()


def run_tracked(
    session: Session, run_id: int, body: Callable[..., dict[str, Any] | None], *args: Any
) -> None:
    """Run `body(session, run, steps, *args)` for a queued JobRun; the runner owns its state."""
    run = session.get(JobRun, run_id)
    if run is None or run.state != JobState.QUEUED:
        return  # delivered twice: the first delivery did the work
    run.state = JobState.RUNNING
    session.commit()
    try:
        result = body(session, run, Steps(session, run), *args)
    except Exception as exc:  # the page must say it failed, not spin forever
        session.rollback()
        log.exception("job %s (%s) failed", run_id, body.__name__)
        failed = session.get(JobRun, run_id)
        assert failed is not None
        failed.state = JobState.FAILED
        failed.error = f"{type(exc).__name__}: {exc}"[:2000]
        failed.finished_at = utcnow()
        session.commit()
        return
    done = session.get(JobRun, run_id)
    assert done is not None
    done.result = {**done.result, **(result or {})}
    done.progress = max(done.progress, done.total)
    done.state = JobState.DONE
    done.finished_at = utcnow()
    session.commit()


def _queue(name: str, *args: Any, **kwargs: Any) -> Any:
    app = _app()
    tasks: dict[str, Any] = app.extensions["huey_tasks"]
    if name not in tasks:
        tasks[name] = app.extensions["huey"].task(name=name)(_REGISTRY[name])
    return tasks[name](*args, **kwargs)


def task(fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn(session, *args)` as a background task that commits once, or rolls back."""
    name = f"{fn.__module__}.{fn.__name__}"

    def in_app(*args: Any, **kwargs: Any) -> Any:
        with _app().app_context():
            try:
                result = fn(db.session, *args, **kwargs)
                db.session.commit()
                return result
            except Exception:
                db.session.rollback()
                raise

    _REGISTRY[name] = in_app
    return functools.wraps(fn)(functools.partial(_queue, name))


def tracked(fn: Callable[..., dict[str, Any] | None]) -> Callable[..., Any]:
    """`fn(session, run, steps, *args)` as a background task tracked by its JobRun; call the
    result with the run's id (never the row) and the other arguments."""
    name = f"{fn.__module__}.{fn.__name__}"

    def in_app(run_id: int, *args: Any) -> None:
        with _app().app_context():
            run_tracked(db.session(), run_id, fn, *args)

    _REGISTRY[name] = in_app
    return functools.wraps(fn)(functools.partial(_queue, name))


_PERIODIC: dict[str, tuple[dict[str, str], Callable[[], Any]]] = {}


def periodic(**schedule: str) -> Callable[[Callable[[Session], Any]], Callable[[Session], Any]]:
    """`fn(session)` run by the worker on a huey crontab schedule (UTC: huey's default), in
    one transaction like `task`. Returns `fn` itself, so a test or a command calls the body
    directly. The body must be idempotent: a schedule may fire twice or be caught up."""

    def wrap(fn: Callable[[Session], Any]) -> Callable[[Session], Any]:
        name = f"{fn.__module__}.{fn.__name__}"

        def in_app() -> Any:
            with _app().app_context():
                try:
                    result = fn(db.session())
                    db.session.commit()
                    return result
                except Exception:
                    db.session.rollback()
                    raise

        _PERIODIC[name] = (dict(schedule), in_app)
        return fn

    return wrap


def build_huey(config: dict[str, Any]) -> Huey:
    if config.get("JOBS_IMMEDIATE") or config.get("TESTING"):
        return MemoryHuey("portal", immediate=True)
    url = config.get("JOBS_URL") or ""
    if url.startswith("redis"):
        return RedisHuey("portal", url=url)
    from portal.config import INSTANCE

    INSTANCE.mkdir(exist_ok=True)
    return SqliteHuey(
        "portal", filename=config.get("JOBS_SQLITE") or str(INSTANCE / "jobs.sqlite3")
    )


_last_app: Flask | None = None


def init_app(app: Flask) -> None:
    global _last_app
    _last_app = app
    app.extensions["huey"] = build_huey(app.config)
    app.extensions["huey_tasks"] = {}


def register_all(app: Flask) -> Huey:
    """For the worker: every task known to the broker under its name."""
    for name in _REGISTRY:
        if name not in app.extensions["huey_tasks"]:
            app.extensions["huey_tasks"][name] = app.extensions["huey"].task(name=name)(
                _REGISTRY[name]
            )
    huey = app.extensions["huey"]
    for name, (schedule, body) in _PERIODIC.items():
        if name not in app.extensions["huey_tasks"]:
            app.extensions["huey_tasks"][name] = huey.periodic_task(crontab(**schedule), name=name)(
                body
            )
    return huey


def is_immediate() -> bool:
    return bool(_app().extensions["huey"].immediate)
