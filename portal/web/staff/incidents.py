"""Staff: security incidents (list, report in one step, detail with deadlines and follow-ups).

Operator staff record and follow up; city staff read every record (they are the ones told).
"""

from __future__ import annotations

from flask import abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.core import clock
from portal.core.audit import audit
from portal.core.clock import JST
from portal.core.errors import DomainError
from portal.core.roles import can_report_incidents
from portal.extensions import db
from portal.incidents import service
from portal.incidents.models import Incident
from portal.web import uow
from portal.web.forms import FlaskForm, apply_domain_error, choices
from portal.web.guards import requires
from portal.web.htmx import redirect, render


class IncidentForm(FlaskForm):
    what = TextAreaField(
        _l("何が起きたか（疑いを含む）"), validators=[DataRequired(), Length(max=5000)]
    )
    noticed_at = DateTimeLocalField(
        _l("最初に認識した日時"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()]
    )
    data_involved = TextAreaField(
        _l("誰の情報が関わる可能性があるか"), validators=[Optional(), Length(max=5000)]
    )
    people = IntegerField(
        _l("関わる可能性のある人数"),
        validators=[InputRequired(), NumberRange(min=0, max=10_000_000)],
    )
    unauthorised_access = BooleanField(_l("不正アクセス（不正の目的）の疑いがある"))


class FollowUpForm(FlaskForm):
    action = SelectField(_l("記録する内容"))
    body = TextAreaField(_l("経過・市からの指示など"), validators=[Optional(), Length(max=5000)])

    def __init__(self, *a, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*a, **kw)
        self.action.choices = choices((k, str(v)) for k, v in service.ACTIONS.items())


def _context() -> dict:
    return {"now": clock.now(), "contacts": service.contacts(), "note_labels": service.NOTE_LABELS}


def incidents() -> str:
    return render("staff/incidents.html", incidents=service.incidents(db.session), **_context())


@requires(can_report_incidents)
def incident_new() -> Response | str:
    form = IncidentForm()
    code = 200
    if request.method == "GET":
        form.noticed_at.data = clock.now_jst().replace(second=0, microsecond=0, tzinfo=None)
        form.people.data = 0
    elif form.validate_on_submit():
        assert form.noticed_at.data is not None
        try:
            incident = service.report_incident(
                db.session,
                what=form.what.data or "",
                noticed_at=form.noticed_at.data.replace(tzinfo=JST),
                data_involved=form.data_involved.data or "",
                people=form.people.data or 0,
                unauthorised_access=bool(form.unauthorised_access.data),
                by=current_user,
                ip=request.remote_addr or "",
            )
        except DomainError as err:
            apply_domain_error(form, err)
            code = 422
        else:
            incident_id = incident.id
            uow.after_commit(lambda: service.mail_city(incident_id))
            flash(_("事案を記録し、市の連絡先へメールを送りました。"), "success")
            return redirect(url_for("staff.incident_detail", incident_id=incident_id))
    else:
        code = 422
    return make_response(render("staff/incident_new.html", form=form, **_context()), code)


def _incident(incident_id: int) -> Incident:
    incident = db.session.get(Incident, incident_id)
    if incident is None:
        abort(404)
    return incident


def _detail(incident: Incident, form: FollowUpForm, code: int = 200) -> Response:
    # What happened and whose data: the record may name donors, so reading it is audited.
    audit(
        db.session,
        actor=current_user,
        action="view",
        subject_type="incident",
        subject_id=incident.id,
        detail=f"事案 {incident.label}",
        ip=request.remote_addr or "",
    )
    html = render("staff/incident.html", incident=incident, form=form, **_context())
    return make_response(html, code)


def incident_detail(incident_id: int) -> Response:
    return _detail(_incident(incident_id), FollowUpForm(formdata=None))


@requires(can_report_incidents)
def incident_follow_up(incident_id: int) -> Response:
    incident = _incident(incident_id)
    form = FollowUpForm()
    if not form.validate_on_submit():
        return _detail(incident, form, 422)
    try:
        service.follow_up(
            db.session,
            incident,
            action=form.action.data or "",
            body=form.body.data or "",
            by=current_user,
            ip=request.remote_addr or "",
        )
    except DomainError as err:
        apply_domain_error(form, err)
        return _detail(incident, form, 422)
    flash(_("経過を記録しました。"), "success")
    return redirect(url_for("staff.incident_detail", incident_id=incident.id))
