"""Staff: the audit log — who saw or changed what, when, from where (PRODUCT: city staff
audit who saw what). Rows name subjects by type and id only, so the page shows no personal
data itself; filters by period, person, action and subject; newest first with keyset pages;
CSV export (UTF-8 with BOM for Excel), which is itself audited."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import Response, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal.accounts.models import User
from portal.core.audit import AuditEntry, audit
from portal.core.dates import JST
from portal.core.roles import can_read_audit_log
from portal.core.spreadsheet import csv_writer
from portal.extensions import db
from portal.web.guards import requires
from portal.web.htmx import render
from portal.web.staff.labels import ACTION_LABELS, SUBJECT_LABELS

PAGE = 100

# Labels are recorded in Japanese, the city auditor's language: 寄附 2026-000001, or for a list
# page 寄附一覧 20件: 2026-000001〜2026-000020. Other languages show the subject's translated
# name with the same identifiers.
_LIST_LABEL = re.compile(r"^\S+ (\d+)件: (.*)$")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")


def recorded_lang(text: str | None) -> str:
    """lang="ja" for recorded text that is Japanese (labels and details are written in the
    city auditor's language), so an English page says which words are data."""
    return "ja" if _JAPANESE.search(text or "") else ""


def shown_label(row: AuditEntry) -> str:
    subject = str(SUBJECT_LABELS.get(row.subject_type, row.subject_type))
    label = row.label or ""
    if not label:
        return f"{subject} #{row.subject_id}"
    locale = get_locale()
    if locale is None or locale.language == "ja":
        return label
    listed = _LIST_LABEL.match(label)
    if listed:
        return _(
            "%(subject)s一覧 %(n)s件: %(span)s",
            subject=subject,
            n=listed.group(1),
            span=listed.group(2).replace("〜", " – "),
        )
    word, _sep, rest = label.partition(" ")
    if rest and _JAPANESE.search(word):
        return f"{subject} {rest}"
    return subject if _JAPANESE.search(label) else label


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _filtered() -> tuple[sa.Select[tuple[AuditEntry]], dict[str, object]]:
    args = request.args
    start, end = _day(args.get("from")), _day(args.get("to"))
    who = args.get("who", type=int)
    action = args.get("action", "")
    subject_type = args.get("subject_type", "")
    subject_id = args.get("subject_id", "").strip()
    stmt = sa.select(AuditEntry)
    if start:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(start, time(), JST))
    if end:
        stmt = stmt.where(AuditEntry.at < datetime.combine(end + timedelta(days=1), time(), JST))
    if who:
        stmt = stmt.where(AuditEntry.actor_user_id == who)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if subject_type:
        stmt = stmt.where(AuditEntry.subject_type == subject_type)
    if subject_id:
        stmt = stmt.where(AuditEntry.subject_id == subject_id)
    values = {
        "from": start.isoformat() if start else "",
        "to": end.isoformat() if end else "",
        "who": who or "",
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
    }
    return stmt, values


def _distinct(column: sa.ColumnElement[str]) -> list[str]:
    return list(db.session.scalars(sa.select(column).distinct().order_by(column)))


def _users(ids: set[int]) -> dict[int, User]:
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(ids)))}


@requires(can_read_audit_log)
def audit_log() -> str:
    stmt, values = _filtered()
    before = request.args.get("before", type=int)
    if before:
        stmt = stmt.where(AuditEntry.id < before)
    rows = list(db.session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(PAGE + 1)))
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    actors = sorted(
        db.session.scalars(
            sa.select(User).where(User.id.in_(sa.select(AuditEntry.actor_user_id).distinct()))
        ),
        key=lambda u: u.name or u.email,
    )
    next_url = (
        url_for("staff.audit_log", **{k: v for k, v in values.items() if v}, before=rows[-1].id)
        if more
        else None
    )
    return render(
        "staff/audit.html",
        rows=rows,
        users=_users({r.actor_user_id for r in rows if r.actor_user_id}),
        actors=actors,
        actions=_distinct(AuditEntry.action),
        subject_types=_distinct(AuditEntry.subject_type),
        values=values,
        next_url=next_url,
        export_url=url_for("staff.audit_export", **{k: v for k, v in values.items() if v}),
        action_labels=ACTION_LABELS,
        subject_labels=SUBJECT_LABELS,
        shown_label=shown_label,
        recorded_lang=recorded_lang,
    )


@requires(can_read_audit_log)
def audit_export() -> Response:
    stmt, values = _filtered()
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 with a BOM
    writer = csv_writer(out)
    writer.writerow(
        [
            _("日時"),
            _("操作した人"),
            _("種別"),
            _("操作"),
            _("対象"),
            _("対象ID"),
            _("対象（名称）"),
            _("詳細"),
            _("IPアドレス"),
        ]
    )
    users: dict[int, User] = {}
    for row in db.session.scalars(stmt.order_by(AuditEntry.id).execution_options(yield_per=1000)):
        if row.actor_user_id and row.actor_user_id not in users:
            users.update(_users({row.actor_user_id}))
        who = users.get(row.actor_user_id) if row.actor_user_id else None
        writer.writerow(
            [
                row.at.astimezone(JST).strftime("%Y-%m-%d %H:%M:%S"),
                who.email if who else row.actor_ref,
                row.actor_kind,
                row.action,
                row.subject_type,
                row.subject_id,
                row.label,
                row.detail,
                row.ip,
            ]
        )
    audit(
        db.session,
        actor=current_user,
        action="export",
        subject_type="audit_log",
        subject_id="-",
        label="操作ログ",
        detail=" ".join(f"{k}={v}" for k, v in values.items() if v)[:255],
        ip=request.remote_addr or "",
    )
    return Response(
        out.getvalue().encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=audit-log.csv"},
    )


def _audit_nav() -> dict[str, object]:
    """The staff navigation (also drawn by the support desk's pages) shows the log to its readers."""
    return {"can_read_audit_log": can_read_audit_log}
