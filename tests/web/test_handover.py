"""The operator administrator's handover button: a job that exports everything, a zip only its
runner may download, and an audit row for the run and for each download."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from portal.accounts.models import User
from portal.core.audit import AuditEntry
from portal.core.jobs import JobRun, JobState
from portal.core.roles import Role
from tests.conftest import sign_in


@pytest.fixture()
def handover_dir(app: Flask, tmp_path: Path) -> Any:
    app.config["HANDOVER_DIR"] = str(tmp_path / "handover")
    yield tmp_path / "handover"
    app.config.pop("HANDOVER_DIR", None)


def _audit(session: Any) -> list[AuditEntry]:
    return list(
        session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.subject_type == "handover")
            .order_by(AuditEntry.id)
        )
    )


@pytest.mark.usefixtures("frozen_clock")
def test_admin_exports_everything_and_downloads_the_zip(
    client: Any, login: Any, make_user: Any, make_supplier: Any, session: Any, handover_dir: Path
) -> None:
    admin = make_user(Role.OPERATOR_ADMIN)
    admin_id = admin.id
    make_supplier(name="=1+2 農園")
    login(admin)
    page = client.get("/staff/handover")
    assert page.status_code == 200
    assert "引継ぎデータの書き出し" in page.text

    started = client.post("/staff/handover")
    assert started.status_code in (302, 303) or "HX-Redirect" in started.headers
    run = session.scalar(sa.select(JobRun).where(JobRun.kind == "handover"))
    assert run is not None and run.state == JobState.DONE, run and run.error
    assert run.result["tables"] > 40

    job_page = client.get(f"/staff/handover/jobs/{run.id}")
    assert "zipをダウンロード" in job_page.text

    download = client.get(f"/staff/handover/jobs/{run.id}/handover.zip")
    assert download.status_code == 200
    assert download.mimetype == "application/zip"
    data = download.data
    download.close()  # send_file streams from the file
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = set(zf.namelist())
        assert {"handover/manifest.json", "handover/README.md", "handover/handover.xlsx"} <= names
        manifest = json.loads(zf.read("handover/manifest.json"))
        supplier_csv = zf.read("handover/supplier.csv").decode("utf-8-sig")
    assert manifest["tables"]["supplier"]["rows"] >= 1
    assert "'=1+2 農園" in supplier_csv
    # only the zip stays on the server, and only under HANDOVER_DIR
    assert sorted(p.name for p in handover_dir.iterdir()) == [f"handover-{run.id}.zip"]

    rows = _audit(session)
    assert [(r.action, r.actor_user_id) for r in rows] == [
        ("export", admin_id),  # the run
        ("export", admin_id),  # the download
    ]
    assert rows[1].detail.startswith("zip ")


@pytest.mark.usefixtures("frozen_clock")
def test_another_admin_cannot_fetch_the_zip_and_a_new_run_replaces_the_old(
    app: Flask, client: Any, login: Any, make_user: Any, session: Any, handover_dir: Path
) -> None:
    first, second = make_user(Role.OPERATOR_ADMIN), make_user(Role.OPERATOR_ADMIN)
    second_id = second.id
    login(first)
    client.post("/staff/handover")
    run_id = session.scalar(sa.select(JobRun.id).where(JobRun.kind == "handover"))
    other = app.test_client()
    sign_in(other, session.get(User, second_id))  # the job's app context let go of `second`
    assert other.get(f"/staff/handover/jobs/{run_id}/handover.zip").status_code == 404
    assert other.get(f"/staff/handover/jobs/{run_id}").status_code == 404
    other.post("/staff/handover")
    newer = session.scalar(
        sa.select(JobRun).where(JobRun.kind == "handover").order_by(JobRun.id.desc())
    )
    assert newer.id != run_id and newer.created_by_id == second_id
    assert sorted(p.name for p in handover_dir.iterdir()) == [f"handover-{newer.id}.zip"]


def test_the_button_needs_its_csrf_token(
    app: Flask, client: Any, login: Any, make_user: Any, session: Any, handover_dir: Path
) -> None:
    login(make_user(Role.OPERATOR_ADMIN))
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/staff/handover").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert session.scalar(sa.select(JobRun).where(JobRun.kind == "handover")) is None
    assert not handover_dir.exists()
