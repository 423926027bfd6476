"""The web import as background jobs: preview (dry run) and apply, each a JobRun with progress.

The uploaded file stays on disk under a random token (never in a URL of a GET, never the
donor data in a log); the job streams it through the engine, commits its progress (bytes read)
after every chunk so the staff page can poll it, and keeps the outcome in JobRun.result:
counts, the first rejected rows and conflicts (rendered in the language of the staff member
who started it), and writes the rejected rows as a CSV beside the upload for download.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.core.jobs import JobRun, JobState, Steps, start_job, tracked
from portal.donations.importers import import_file, rejected_csv
from portal.donations.importers.engine import Progress

KIND = "donation_import"
SHOWN = 500  # rejected rows / conflicts kept in the job's result for the page


def upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "imports"


def upload_path(token: str) -> Path:
    return upload_dir() / f"{token}.csv"


def rejected_path(token: str) -> Path:
    return upload_dir() / f"{token}.rejected.csv"


def start_import(
    session: Session,
    token: str,
    portal: str,
    *,
    apply: bool,
    by_user: User | None,
) -> int:
    """Create the JobRun for an uploaded file (flushed, not committed); returns its id. Queue
    it with `run_import(run_id, locale)` once the caller has committed."""
    run = start_job(
        session,
        KIND,
        by_user_id=by_user.id if by_user is not None else None,
        total=upload_path(token).stat().st_size,
    )
    run.result = {"token": token, "portal": portal, "phase": "apply" if apply else "preview"}
    return run.id


def process_import(session: Session, run: JobRun, steps: Steps, locale: str) -> dict[str, Any]:
    """The job's body: run the import for this JobRun and return its outcome. An apply
    commits after every chunk (through `steps`); a preview writes nothing."""
    meta = dict(run.result)
    apply = meta["phase"] == "apply"
    user = session.get(User, run.created_by_id) if run.created_by_id else None

    def progress(p: Progress) -> None:
        steps.progress(p.done_bytes, p.total_bytes)  # with apply, the chunk was committed too

    result = import_file(
        session,
        meta["portal"],
        upload_path(meta["token"]),
        dry_run=not apply,
        by_user=user,
        commit=steps.checkpoint if apply else None,
        progress=progress,
    )
    if not apply:
        steps.undo()  # a dry run writes nothing
    rejected_path(meta["token"]).write_bytes(rejected_csv(result))
    with force_locale(locale):
        return {
            "new": result.new,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "rejected_count": len(result.rejected),
            "conflict_count": len(result.conflicts),
            "rejected": [
                {"line": r.line, "reason": str(r.reason)} for r in result.rejected[:SHOWN]
            ],
            "conflicts": [list(c) for c in result.conflicts[:SHOWN]],
            "summary": result.summary(),
            "mapping_version": result.mapping_version,  # which 取込形式 version read the file
        }


run_import = tracked(process_import)


def percent(run: JobRun) -> int:
    if run.state == JobState.DONE:
        return 100
    return min(99, run.progress * 100 // run.total) if run.total else 0
