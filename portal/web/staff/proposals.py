"""Staff: the proposal queue and review — operators review and recommend, the city decides."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import abort, current_app, flash, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from portal.core.errors import Conflict, DomainError
from portal.core.roles import STAFF_ROLES, can_review_proposals
from portal.core.timeline import events_for
from portal.documents.proposal_sheet import approved_in_period, render_sheets, sheet_for
from portal.extensions import db
from portal.gifts import proposals as uc
from portal.gifts.proposal_models import Proposal, ProposalFile, ProposalState
from portal.web.forms import flash_domain_error
from portal.web.guards import requires
from portal.web.htmx import redirect, render
from portal.web.labels import (
    CRITERION_LABELS,
    PROPOSAL_FIELD_LABELS,
    PROPOSAL_STATE_CLASS,
    PROPOSAL_STATE_LABELS,
    SHARED_KIND_LABELS,
)
from portal.web.staff.labels import MOVE_LABELS


def proposals() -> str:
    state = request.args.get("state", "")
    stmt = sa.select(Proposal).order_by(Proposal.updated_at)
    if state in {s.value for s in ProposalState}:
        stmt = stmt.where(Proposal.state == ProposalState(state))
    elif state != "all":
        stmt = stmt.where(Proposal.state.in_(uc.queue_for(current_user)))
    rows = db.session.scalars(stmt.where(Proposal.state != ProposalState.DRAFT)).all()
    return render(
        "staff/proposals.html",
        proposals=rows,
        state=state,
        state_labels=PROPOSAL_STATE_LABELS,
        state_class=PROPOSAL_STATE_CLASS,
        criterion_labels=CRITERION_LABELS,
    )


def proposal_detail(proposal_id: int) -> str:
    p = db.session.get(Proposal, proposal_id)
    if p is None or p.state == ProposalState.DRAFT:
        abort(404)
    return render(
        "staff/proposal_detail.html",
        p=p,
        findings=uc.assess(p),
        diff=uc.latest_diff(p),
        events=events_for(db.session, uc.SUBJECT, p.id),
        moves=uc.allowed_moves(p, current_user),
        move_labels=MOVE_LABELS,
        labels=PROPOSAL_FIELD_LABELS,
        state_labels=PROPOSAL_STATE_LABELS,
        criterion_labels=CRITERION_LABELS,
        shared_kinds=SHARED_KIND_LABELS,
        choice_category=uc.choice_category(p),
        criterion=uc.criteria().get(p.criterion),
    )


@requires(can_review_proposals)
def proposal_move(proposal_id: int) -> Response:
    p = db.session.get(Proposal, proposal_id)
    if p is None:
        abort(404)
    version = request.form.get("version", "")
    try:
        uc.transition(
            db.session,
            p.id,
            request.form.get("to", ""),
            by_user=current_user,
            comment=request.form.get("comment", ""),
            expected_version=int(version) if version.isdigit() else None,
        )
        flash(_("提案の状態を更新しました。"), "success")
    except (Conflict, DomainError) as err:
        flash_domain_error(err)
    except ValueError:
        abort(400)
    return redirect(url_for("staff.proposal_detail", proposal_id=proposal_id))


def _pdf(pdf: bytes, filename: str) -> Response:
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def proposal_sheet(proposal_id: int) -> Response:
    """The printable A4 sheet of one proposal, for the city's file and 総務省."""
    p = db.session.get(Proposal, proposal_id)
    if p is None or p.state == ProposalState.DRAFT:
        abort(404)
    pdf = render_sheets([sheet_for(db.session, p)])
    return _pdf(pdf, f"proposal-{p.id}.pdf")


def proposal_sheets() -> Response:
    """The sheets of every proposal approved in a period (?from=YYYY-MM-DD&to=YYYY-MM-DD)."""
    try:
        bounds = [
            date.fromisoformat(v) if (v := request.args.get(k, "")) else None
            for k in ("from", "to")
        ]
    except ValueError:
        abort(400)
    found = approved_in_period(db.session, *bounds)
    if not found:
        flash(_("この期間に承認された提案はありません。"), "info")
        return redirect(url_for("staff.proposals", state=ProposalState.APPROVED.value))
    pdf = render_sheets([sheet_for(db.session, p) for p in found])
    return _pdf(pdf, "proposals-approved.pdf")


def proposal_file(file_id: int) -> Response:
    f = db.session.get(ProposalFile, file_id)
    if f is None:
        abort(404)
    path = Path(current_app.config["UPLOAD_DIR"]) / "proposals" / f.stored_name
    return send_file(path, mimetype=f.content_type, download_name=f.original_name)


def proposals_waiting() -> int:
    """For the staff navigation: proposals waiting for this user's side (operator or city)."""
    if not current_user.is_authenticated or current_user.role not in STAFF_ROLES:
        return 0
    return uc.waiting_count(db.session, current_user)
