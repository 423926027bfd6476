"""Staff: donation imports — upload → preview → apply, each a background job whose page polls."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response
from wtforms import (
    FileField,
    HiddenField,
    SelectField,
)
from wtforms.validators import DataRequired, Length

from portal.core.audit import audit
from portal.core.errors import DomainError
from portal.core.jobs import JobRun, JobState
from portal.core.portals import Portal
from portal.core.roles import can_handle_donations
from portal.donations import import_jobs
from portal.donations.importers import PORTALS, import_file, rejected_csv
from portal.extensions import db
from portal.gifts.listings import LISTING_PORTALS, ListingData, set_listing
from portal.gifts.models import Gift
from portal.web import audit_trail, uow
from portal.web.forms import FlaskForm, choices, flash_domain_error
from portal.web.guards import requires
from portal.web.htmx import is_fragment_request, render
from portal.web.htmx import redirect as hx_redirect
from portal.web.labels import PORTAL_LABELS
from portal.web.staff.labels import import_counts

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


class ImportForm(FlaskForm):
    portal = SelectField(
        _l("取込形式"), choices=choices([(p, PORTAL_LABELS[Portal(p)]) for p in PORTALS])
    )
    file = FileField(_l("CSVファイル"), validators=[DataRequired()])


class MapIdForm(FlaskForm):
    """Map one unknown item ID of a preview to a gift (creates the gift's listing)."""

    item_id = HiddenField(validators=[DataRequired(), Length(max=64)])
    gift_id = SelectField(_l("返礼品"), coerce=int, validators=[DataRequired()])


def _gift_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(sa.select(Gift.id, Gift.code, Gift.name).order_by(Gift.code))
    return [(0, _("返礼品を選んでください"))] + [(i, f"{c} {n}") for i, c, n in rows]


def _upload_path(token: str) -> Path:
    if not TOKEN_RE.match(token or ""):
        abort(404)
    path = import_jobs.upload_path(token)
    if not path.is_file():
        abort(404)
    return path


def _import_limit() -> int:
    """Portal exports in December run to tens of MB: this upload has its own, larger limit."""
    return int(current_app.config.get("IMPORT_MAX_MB", 200)) * 1024 * 1024


def _job_result(run: JobRun) -> str:
    """The outcome. A preview also lists, a page at a time (?at= a byte offset of the preview
    file, in file order), the donations it would create or update, what looks damaged in
    them, and the item IDs no gift is known by, each with a form to map it to a gift."""
    meta = run.result
    token = meta.get("token", "")
    applied = meta.get("phase") == "apply"
    rows: list[dict] = []
    next_at = None
    warnings: list[dict] = []
    at = request.args.get("at", 0, type=int) or 0
    if not applied and run.state == JobState.DONE:
        rows, next_at = import_jobs.read_preview(token, run.id, max(at, 0))
        warnings = import_jobs.read_warnings(token, run.id)
        audit(  # donor names and amounts of the file: a view of personal data
            db.session,
            actor=current_user,
            action="view",
            subject_type="donation_import",
            subject_id=run.id,
            ip=request.remote_addr or "",
        )
    codes = {code for r in rows for code, _qty in r["gifts"]}
    names = {
        code: name
        for code, name in db.session.execute(
            sa.select(Gift.code, Gift.name).where(Gift.code.in_(codes))
        )
    }
    unknown = meta.get("unknown_ids", [])
    map_form = MapIdForm(formdata=None)
    if unknown:
        map_form.gift_id.choices = _gift_choices()
    return render(
        "staff/donation_preview.html",
        run=run,
        result=meta,
        token=token,
        portal=meta.get("portal", ""),
        portals=PORTAL_LABELS,
        applied=applied,
        counts=import_counts(meta),
        rows=rows,
        at=at,
        next_at=next_at,
        gift_names=names,
        warnings=warnings,
        unknown=unknown,
        unknown_projects=meta.get("unknown_projects", []),
        map_form=map_form,
        can_map=meta.get("portal") in {p.value for p in LISTING_PORTALS},
    )


@requires(can_handle_donations)
def donation_import() -> Response | str | tuple[str, int]:
    request.max_content_length = _import_limit()
    try:
        if (request.content_length or 0) > _import_limit():  # refuse before reading any of it
            raise RequestEntityTooLarge()
        form = ImportForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = ImportForm(formdata=None)
        form.file.errors = [
            _(
                "ファイルが大きすぎます（上限 %(mb)s MB）。ファイルを分けて取り込んでください。",
                mb=_import_limit() // (1024 * 1024),
            )
        ]
        return render("staff/donation_import.html", form=form), 413
    if valid:
        token = secrets.token_urlsafe(32)
        import_jobs.upload_dir().mkdir(parents=True, exist_ok=True)
        request.files["file"].save(import_jobs.upload_path(token))  # streamed to disk
        run_id = import_jobs.start_import(
            db.session, token, form.portal.data, apply=False, by_user=current_user
        )
        return _queue_import(run_id)
    return render("staff/donation_import.html", form=form)


@requires(can_handle_donations)
def donation_import_apply() -> Response | str:
    token = request.form.get("token", "")
    portal = request.form.get("portal", "")
    if portal not in PORTALS:
        abort(400)
    _upload_path(token)
    # A double submit finds the apply job already started for this upload and shows it.
    runs = db.session.scalars(
        sa.select(JobRun)
        .where(JobRun.kind == import_jobs.KIND, JobRun.created_by_id == current_user.id)
        .order_by(JobRun.id.desc())
        .limit(20)
    )
    for run in runs:
        if run.result.get("token") == token and run.result.get("phase") == "apply":
            return redirect(url_for("staff.donation_import_job", run_id=run.id), 303)
    run_id = import_jobs.start_import(db.session, token, portal, apply=True, by_user=current_user)
    return _queue_import(run_id)


def _queue_import(run_id: int) -> Response:
    """Queue the job once the run is committed, and show its page (redirect after POST, so
    the browser's Back never offers to send the file again)."""
    locale = str(get_locale() or "ja")

    def queue() -> None:
        import_jobs.run_import(run_id, locale)
        run = db.session.get(JobRun, run_id)  # done already when jobs run in-process
        if run is not None and run.state == JobState.DONE and run.result.get("phase") == "apply":
            flash(_("取り込みました：%(counts)s", counts=import_counts(run.result)), "success")

    uow.after_commit(queue)
    return redirect(url_for("staff.donation_import_job", run_id=run_id), 303)


def _own_run(run_id: int) -> JobRun:
    run = db.get_or_404(JobRun, run_id)
    if run.kind != import_jobs.KIND or run.created_by_id != current_user.id:
        abort(404)
    return run


@requires(can_handle_donations)
def donation_import_map(run_id: int) -> Response:
    """Map an unknown item ID of this preview to a gift (the gift's listing on the file's
    portal, audited), then run the preview of the same upload again (303 to its job page)."""
    run = _own_run(run_id)
    meta = run.result
    portal = meta.get("portal", "")
    _upload_path(meta.get("token", ""))
    form = MapIdForm()
    form.gift_id.choices = _gift_choices()
    back = url_for("staff.donation_import_job", run_id=run.id) + "#unknown-ids"
    if portal not in {p.value for p in LISTING_PORTALS}:
        abort(400)
    if not form.validate_on_submit() or not form.gift_id.data:
        flash(_("対応付ける返礼品を選んでください。"), "error")
        return redirect(back, 303)
    gift = db.get_or_404(Gift, form.gift_id.data)
    try:
        set_listing(
            db.session,
            gift,
            portal,
            ListingData(item_id=form.item_id.data or ""),
            by_user=current_user,
            replace=False,
        )
    except DomainError as err:
        flash_domain_error(err)
        return redirect(back, 303)
    flash(
        _(
            "ID %(id)s を返礼品 %(code)s に対応付けました。もう一度確認しています。",
            id=form.item_id.data,
            code=gift.code,
        ),
        "success",
    )
    new_run = import_jobs.start_import(
        db.session, meta["token"], portal, apply=False, by_user=current_user
    )
    return _queue_import(new_run)


@requires(can_handle_donations)
def donation_import_job(run_id: int) -> Response | str:
    """Progress (htmx polls the fragment every second) until the job is done, then its result."""
    run = _own_run(run_id)
    if run.state in (JobState.DONE, JobState.FAILED):
        if is_fragment_request():  # the poll noticed the end: load the result as a page
            return hx_redirect(url_for("staff.donation_import_job", run_id=run.id))
        return _job_result(run)
    return render(
        "staff/donation_import_job.html",
        "staff/_donation_import_progress.html",
        run=run,
        percent=import_jobs.percent(run),
        portals=PORTAL_LABELS,
    )


@requires(can_handle_donations)
def donation_import_rejected() -> Response:
    """The rejected rows as CSV (POST: the token never lands in a log as a URL)."""
    portal = request.form.get("portal", "")
    if portal not in PORTALS:
        abort(400)
    token = request.form.get("token", "")
    path = _upload_path(token)
    stored = import_jobs.rejected_path(token)
    if stored.is_file():
        data = stored.read_bytes()
    else:
        data = rejected_csv(import_file(db.session, portal, path, dry_run=True))
        db.session.rollback()
    # The rejected rows carry donors' names and addresses.
    audit_trail.record("export", "donation_import", portal, label=f"取込エラー行 {portal}")
    return Response(
        data,
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=rejected.csv"},
    )


# --- the 在庫超過 queue ------------------------------------------------------------------
