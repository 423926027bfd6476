"""Desk hours: the days the desk is closed or open apart from the usual calendar."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Response,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from portal.core import clock
from portal.core.errors import DomainError
from portal.core.roles import can_work_support_desk
from portal.extensions import db
from portal.support import hours
from portal.support.models import (
    DeskDay,
)
from portal.web import htmx
from portal.web.chat_forms import (
    DeskDayForm,
)
from portal.web.forms import apply_domain_error
from portal.web.guards import requires


@requires(can_work_support_desk, methods=["POST"])
def desk_hours() -> Response | str:
    form = DeskDayForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            hours.set_desk_day(
                db.session,
                form.day.data,
                is_open=form.mode.data == "open",
                opens_at=form.opens_at.data,
                closes_at=form.closes_at.data,
                note=form.note.data or "",
                by_user=current_user,
            )
            return htmx.redirect(url_for("support.desk_hours"))
        except DomainError as e:
            apply_domain_error(form, e)
    rows = db.session.scalars(sa.select(DeskDay).order_by(DeskDay.day)).all()
    cal = hours.load_calendar(db.session)
    now = clock.now()
    status = 422 if request.method == "POST" else 200
    return make_response(
        render_template(
            "support/hours.html",
            form=form,
            rows=rows,
            desk_open=cal.is_open(now),
            desk_next=cal.next_opening(now),
            can_work=can_work_support_desk(current_user),
        ),
        status,
    )


@requires(can_work_support_desk)
def desk_hours_delete(day_id: int) -> Response:
    hours.remove_desk_day(db.session, day_id)
    return htmx.redirect(url_for("support.desk_hours"))


# --- monthly analysis ----------------------------------------------------------------------
