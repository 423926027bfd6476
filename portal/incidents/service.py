"""Recording an incident, telling the city at once, follow-up notes until closed.

`report_incident` is the one step a staff member takes; the view queues `mail_city` after the
commit (real SMTP), which mails every address in INCIDENT_CONTACTS and stamps `city_told_at`
when the mail went. A mail that fails leaves a note saying so, and the page keeps showing the
60-minute deadline as open, so the reporter phones the city and records it by hand.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.core import clock
from portal.core.audit import audit
from portal.core.errors import DomainError
from portal.core.jobs import task
from portal.core.mail import send_mail_once
from portal.incidents.models import Incident, IncidentNote

log = logging.getLogger(__name__)

# What a follow-up may record besides its text.
ACTIONS = {
    "": _l("メモのみ"),
    "city-told": _l("市へ連絡した（電話など）"),
    "ppc-preliminary": _l("個人情報保護委員会へ速報した"),
    "ppc-final": _l("個人情報保護委員会へ確報した"),
    "closed": _l("対応を終えて閉じる"),
}
NOTE_LABELS = {
    **ACTIONS,
    "mail-sent": _l("市の連絡先へメールを送信"),
    "mail-failed": _l("市の連絡先へのメール送信に失敗"),
    "reported": _l("報告を記録"),
}


def contacts() -> list[str]:
    raw = current_app.config.get("INCIDENT_CONTACTS") or ""
    if isinstance(raw, str):
        raw = raw.replace(";", ",").split(",")
    return [a.strip() for a in raw if a and a.strip()]


def report_incident(
    session: Session,
    *,
    what: str,
    noticed_at: datetime,
    data_involved: str,
    people: int,
    unauthorised_access: bool,
    by: User,
    ip: str = "",
) -> Incident:
    if not (what or "").strip():
        raise DomainError(_("何が起きたかを入力してください。"), field="what")
    if people < 0:
        raise DomainError(_("人数は0以上で入力してください。"), field="people")
    if noticed_at > clock.now():
        raise DomainError(_("認識した日時が未来になっています。"), field="noticed_at")
    incident = Incident(
        what=what.strip(),
        noticed_at=noticed_at,
        data_involved=(data_involved or "").strip(),
        people=people,
        unauthorised_access=unauthorised_access,
        reported_by_id=by.id,
        created_at=clock.now(),
    )
    session.add(incident)
    session.flush()
    session.add(IncidentNote(incident_id=incident.id, author_id=by.id, action="reported"))
    audit(
        session,
        actor=by,
        action="create",
        subject_type="incident",
        subject_id=incident.id,
        detail=f"事案 {incident.label}",
        ip=ip,
    )
    session.flush()
    return incident


def follow_up(
    session: Session, incident: Incident, *, action: str, body: str, by: User, ip: str = ""
) -> IncidentNote:
    if action not in ACTIONS:
        raise DomainError(_("記録する内容を選んでください。"), field="action")
    if incident.closed_at is not None:
        raise DomainError(_("この事案は閉じられています。"))
    if not action and not (body or "").strip():
        raise DomainError(_("経過を入力してください。"), field="body")
    now = clock.now()
    stamp = {
        "city-told": "city_told_at",
        "ppc-preliminary": "ppc_preliminary_at",
        "ppc-final": "ppc_final_at",
        "closed": "closed_at",
    }.get(action)
    if stamp and getattr(incident, stamp) is None:
        setattr(incident, stamp, now)
    note = IncidentNote(
        incident_id=incident.id, author_id=by.id, action=action, body=(body or "").strip()
    )
    session.add(note)
    audit(
        session,
        actor=by,
        action="update",
        subject_type="incident",
        subject_id=incident.id,
        detail=f"事案 {incident.label} {action or 'note'}",
        ip=ip,
    )
    session.flush()
    return note


def incidents(session: Session) -> list[Incident]:
    return list(
        session.scalars(
            sa.select(Incident).order_by(
                Incident.closed_at.is_not(None), Incident.noticed_at.desc()
            )
        )
    )


def open_count(session: Session) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count()).select_from(Incident).where(Incident.closed_at.is_(None))
        )
        or 0
    )


@task
def mail_city(session: Session, incident_id: int) -> bool:
    """Mail the city's contacts about one incident; stamps city_told_at when it went.

    Idempotent: once city_told_at is set (this mail, or a phone call recorded by hand) a
    re-run sends nothing, and the mail is claimed by its key before it goes, so a run that
    crashed after sending but before stamping does not mail the city twice."""
    incident = session.get(Incident, incident_id)
    if incident is None or incident.city_told_at is not None:
        return False
    to = contacts()
    if not to:
        session.add(
            IncidentNote(
                incident_id=incident.id,
                action="mail-failed",
                body=_("INCIDENT_CONTACTS が設定されていません。電話で市へ連絡してください。"),
            )
        )
        return False
    from portal.core.links import public_url

    body = render_template(
        "mail/incident_report.txt",
        incident=incident,
        link=public_url("staff.incident_detail", incident_id=incident.id),
    )
    subject = _(
        "【至急・セキュリティ事案】%(city)sふるさと納税 事案 %(label)s",
        city=current_app.config["CITY_NAME"],
        label=incident.label,
    )
    try:
        send_mail_once(session, f"incident-city:{incident.id}", ", ".join(to), subject, body)
    except OSError as e:  # smtplib errors are OSErrors; the page then shows it as untold
        log.warning("incident %s: city mail failed: %s", incident.id, type(e).__name__)
        session.add(
            IncidentNote(
                incident_id=incident.id,
                action="mail-failed",
                body=_("メールを送れませんでした。電話で市へ連絡し、記録してください。"),
            )
        )
        return False
    incident.city_told_at = clock.now()
    session.add(IncidentNote(incident_id=incident.id, action="mail-sent", body=", ".join(to)))
    return True
