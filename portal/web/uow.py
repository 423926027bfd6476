"""One unit of work per request: the view adds and flushes, the request commits once.

A response below 400 commits the session; a 4xx/5xx response or an exception rolls it back,
so a refused or failed request leaves the database as it was. Work that must only happen once
the data is really stored (mail to a donor, a job for the worker) is registered with
`after_commit` and runs right after the commit, in order; it never runs after a rollback.
Views never call `commit()` themselves; CLI commands and the job runner (core/jobs.py) own
their transactions the same way.

Once the commit is done the answer is the one the user must see: a failing after-commit step
(the mail server down, an address that is not one) is logged and the others still run, rather
than turning a stored reply into a 500 the user would take for a lost one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, g

from portal.extensions import db
from portal.web import audit_trail

log = logging.getLogger(__name__)


def after_commit(fn: Callable[[], object]) -> None:
    """Run `fn` once this request's commit has succeeded (mail, queueing a job)."""
    g.setdefault("_after_commit", []).append(fn)


def init_app(app: Flask) -> None:
    @app.after_request
    def _finish(response: Response) -> Response:
        if response.status_code >= 400:
            db.session.rollback()
            g.pop("_after_commit", None)
            audit_trail.rewrite_kept_after_rollback()
            return response
        audit_trail.restore_kept()
        db.session.commit()
        for fn in g.pop("_after_commit", []):
            try:
                fn()
            except Exception:  # committed already: log it, keep the answer and the other steps
                log.exception("after-commit step failed")
        return response

    @app.teardown_request
    def _rollback_on_error(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()
            g.pop("_after_commit", None)
            audit_trail.rewrite_kept_after_rollback()
