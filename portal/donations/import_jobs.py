"""The web import as background jobs: preview (dry run) and apply, each a JobRun with progress.

The uploaded file stays on disk under a random token (never in a URL of a GET, never the
donor data in a log); the job streams it through the engine, commits its progress (bytes read)
after every chunk so the staff page can poll it, and keeps the outcome in JobRun.result:
counts, the first rejected rows and conflicts (rendered in the language of the staff member
who started it), and writes the rejected rows as a CSV beside the upload for download.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from flask import current_app
from flask_babel import force_locale
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.core.jobs import JobRun, JobState, Steps, start_job, tracked
from portal.donations.importers import import_file, rejected_csv
from portal.donations.importers.engine import Preview, Progress

KIND = "donation_import"
SHOWN = 500  # rejected rows / conflicts / warnings kept for the page
PAGE = 50  # donations per page of the preview


def upload_dir() -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / "imports"


def upload_path(token: str) -> Path:
    return upload_dir() / f"{token}.csv"


def rejected_path(token: str) -> Path:
    return upload_dir() / f"{token}.rejected.csv"


def preview_path(token: str, run_id: int) -> Path:
    """The donations a preview would create or update, one JSON line each in file order (the
    page reads one page from a byte offset: a 100,000-row file is never read whole). Beside
    the upload, which holds the same personal data; never in the database or a log."""
    return upload_dir() / f"{token}.preview-{run_id}.jsonl"


def warnings_path(token: str, run_id: int) -> Path:
    return upload_dir() / f"{token}.warnings-{run_id}.jsonl"


def _preview_line(p: Preview) -> str:
    d = p.data
    return json.dumps(
        {
            "line": p.line,
            "action": p.action,
            "no": d.portal_order_no,
            "donation_no": p.donation_no,
            "name": d.donor_name,
            "amount": d.amount,
            "gifts": [[ln.gift_code, ln.quantity] for ln in d.lines],
            "paid": d.payment_state.value == "paid",
            "warnings": len(p.warnings),
        },
        ensure_ascii=False,
    )


def read_preview(token: str, run_id: int, at: int = 0) -> tuple[list[dict[str, Any]], int | None]:
    """One page of the preview from byte offset `at` (0, or an offset this function returned):
    the rows and the offset of the next page (None on the last). An offset that is not the
    start of a line starts from the top."""
    path = preview_path(token, run_id)
    if not path.is_file():
        return [], None
    rows: list[dict[str, Any]] = []
    with path.open("rb") as f:
        if at > 0:
            f.seek(at - 1)
            if f.read(1) != b"\n":
                f.seek(0)
        for raw in f:
            rows.append(json.loads(raw))
            if len(rows) == PAGE:
                nxt = f.tell()
                return rows, (nxt if f.read(1) else None)
    return rows, None


def read_warnings(token: str, run_id: int) -> list[dict[str, Any]]:
    path = warnings_path(token, run_id)
    if not path.is_file():
        return []
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


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

    shown_warnings = 0

    def write_preview(p: Preview, rows: IO[str], warned: IO[str]) -> None:
        nonlocal shown_warnings
        rows.write(_preview_line(p) + "\n")
        for w in p.warnings:
            if shown_warnings < SHOWN:
                shown_warnings += 1
                warned.write(
                    json.dumps({"no": p.data.portal_order_no, **w.__dict__}, ensure_ascii=False)
                    + "\n"
                )

    def go(preview: Any = None) -> Any:
        return import_file(
            session,
            meta["portal"],
            upload_path(meta["token"]),
            dry_run=not apply,
            by_user=user,
            commit=steps.checkpoint if apply else None,
            progress=progress,
            preview=preview,
        )

    if apply:
        result = go()
    else:
        token = meta["token"]
        with (
            preview_path(token, run.id).open("w", encoding="utf-8") as rows,
            warnings_path(token, run.id).open("w", encoding="utf-8") as warned,
        ):
            result = go(lambda p: write_preview(p, rows, warned))
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
            "warning_count": result.warning_count,
            # Item IDs no listing or gift code names, most used first (IDs, not personal data).
            "unknown_ids": sorted(result.unknown_ids.items(), key=lambda kv: (-kv[1], kv[0]))[
                :SHOWN
            ],
            # Project wordings no crowdfunding project names (titles, not personal data).
            "unknown_projects": sorted(
                result.unknown_projects.items(), key=lambda kv: (-kv[1], kv[0])
            )[:SHOWN],
            "summary": result.summary(),
            "mapping_version": result.mapping_version,  # which 取込形式 version read the file
        }


run_import = tracked(process_import)


def percent(run: JobRun) -> int:
    if run.state == JobState.DONE:
        return 100
    return min(99, run.progress * 100 // run.total) if run.total else 0
