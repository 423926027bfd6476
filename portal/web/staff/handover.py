"""Staff: the handover export [12(4)] for the operator's administrator — a button that runs
`flask export-all` as a tracked job, and the zip download for the administrator who ran it.
Every run and every download is audited; the files stay under HANDOVER_DIR (one zip at a time)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, request, send_file, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.core.jobs import JobRun, JobState
from portal.core.roles import can_export_all
from portal.extensions import db
from portal.handover import jobs
from portal.web import audit_trail, uow
from portal.web.forms import FlaskForm
from portal.web.guards import requires
from portal.web.htmx import redirect as hx_redirect
from portal.web.htmx import render
from portal.web.staff.labels import JOB_LABELS


class StartForm(FlaskForm):
    """Only the CSRF token: the button has nothing to choose."""


def _running() -> JobRun | None:
    return db.session.scalar(
        sa.select(JobRun)
        .where(JobRun.kind == jobs.JOB_KIND, JobRun.state.in_([JobState.QUEUED, JobState.RUNNING]))
        .order_by(JobRun.id.desc())
    )


def _own_run(run_id: int) -> JobRun:
    """A run of this administrator's: another's is not found (its zip is theirs to fetch)."""
    run = db.session.get(JobRun, run_id)
    if run is None or run.kind != jobs.JOB_KIND or run.created_by_id != current_user.id:
        abort(404)
    return run


@requires(can_export_all)
def handover() -> str:
    runs = db.session.scalars(
        sa.select(JobRun)
        .where(JobRun.kind == jobs.JOB_KIND, JobRun.created_by_id == current_user.id)
        .order_by(JobRun.id.desc())
        .limit(5)
    ).all()
    return render(
        "staff/handover.html",
        form=StartForm(),
        runs=runs,
        job_labels=JOB_LABELS,
        available={run.id for run in runs if jobs.zip_path(run).is_file()},
    )


@requires(can_export_all)
def handover_start() -> Response:
    form = StartForm()
    if not form.validate_on_submit():
        abort(400)
    running = _running()
    if running is not None:  # a double click, or another administrator's run
        if running.created_by_id == current_user.id:
            return hx_redirect(url_for("staff.handover_job", run_id=running.id))
        return hx_redirect(url_for("staff.handover"))
    run = jobs.start(db.session, by_user=current_user)
    run_id, ip = run.id, request.remote_addr or ""
    uow.after_commit(lambda: jobs.export_job(run_id, ip))
    return hx_redirect(url_for("staff.handover_job", run_id=run_id))


@requires(can_export_all)
def handover_job(run_id: int) -> str:
    run = _own_run(run_id)
    return render(
        "staff/handover_job.html",
        "staff/_handover_job.html",
        run=run,
        job_labels=JOB_LABELS,
        finished=run.state in (JobState.DONE, JobState.FAILED),
        available=jobs.zip_path(run).is_file(),
    )


@requires(can_export_all)
def handover_download(run_id: int) -> Response:
    run = _own_run(run_id)
    path = jobs.zip_path(run)
    if run.state != JobState.DONE or not path.is_file():
        abort(404)
    audit_trail.record(
        "export", "handover", run.id, label=jobs.LABEL, detail=f"zip {path.stat().st_size} bytes"
    )
    return send_file(
        path,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"handover-{run.id}.zip",
        max_age=0,
    )
