"""Running the handover: the one function the CLI and the button share (it writes the audit
row), and the button's tracked job, which zips the export for the administrator who ran it.

The button's files live under HANDOVER_DIR (default: `handover/` beside DOCUMENT_DIR, in the
instance folder): the job writes `run-<id>/`, zips it to `handover-<id>.zip`, removes the
directory, and removes the zips of earlier runs — one copy of every donor's data on the
server at a time, downloadable only by the administrator who started it.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy.orm import Session

from portal.core.audit import audit
from portal.core.jobs import JobRun, Steps, start_job, tracked
from portal.extensions import Model

if TYPE_CHECKING:
    from portal.accounts.models import User

JOB_KIND = "handover"
LABEL = "引継ぎデータ"


class DirectoryNotEmpty(ValueError):
    pass


def run_export(
    session: Session,
    directory: Path,
    *,
    actor: User | None,
    ip: str = "",
    steps: Steps | None = None,
    subject_id: object = "-",
) -> dict[str, Any]:
    """Export everything into `directory` (new or empty) and record who did it (the caller
    commits). A non-empty directory is refused: a README beside another run's files would
    describe neither."""
    from portal.handover.export import export_all
    from portal.handover.schema import export_tables

    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise DirectoryNotEmpty(f"{directory} is not an empty directory")
    total = len(export_tables(Model.metadata))
    done: set[str] = set()

    def progress(table: str, _rows: int) -> None:
        done.add(table)
        if steps is not None:
            steps.progress(len(done) - 1, total)

    manifest = export_all(session.get_bind(), Model.metadata, directory, progress=progress)
    rows = sum(t["rows"] for t in manifest["tables"].values())
    audit(
        session,
        actor=actor,
        action="export",
        subject_type="handover",
        subject_id=subject_id,
        label=LABEL,
        detail=f"{len(manifest['tables'])}表 {rows}行",
        ip=ip,
    )
    return manifest


def handover_root() -> Path:
    configured = current_app.config.get("HANDOVER_DIR")
    if configured:
        return Path(configured)
    return Path(current_app.config["DOCUMENT_DIR"]).parent / "handover"


def zip_path(run: JobRun) -> Path:
    return handover_root() / f"handover-{run.id}.zip"


def start(session: Session, *, by_user: User) -> JobRun:
    """The JobRun for a button press (the caller commits, then queues `export_job(run.id)`)."""
    return start_job(session, JOB_KIND, by_user_id=by_user.id)


def _zip(directory: Path, target: Path) -> None:
    partial = target.with_suffix(".zip.part")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(directory.iterdir()):
            zf.write(path, arcname=f"handover/{path.name}")
    partial.replace(target)


def export_body(session: Session, run: JobRun, steps: Steps, ip: str = "") -> dict[str, Any]:
    from portal.accounts.models import User

    actor = session.get(User, run.created_by_id) if run.created_by_id else None
    root = handover_root()
    root.mkdir(parents=True, exist_ok=True)
    work = root / f"run-{run.id}"
    shutil.rmtree(work, ignore_errors=True)
    try:
        manifest = run_export(session, work, actor=actor, ip=ip, steps=steps, subject_id=run.id)
        target = zip_path(run)
        _zip(work, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for old in root.glob("handover-*.zip"):
        if old != target:
            old.unlink(missing_ok=True)
    return {
        "zip": target.name,
        "tables": len(manifest["tables"]),
        "rows": sum(t["rows"] for t in manifest["tables"].values()),
        "bytes": target.stat().st_size,
    }


export_job = tracked(export_body)
