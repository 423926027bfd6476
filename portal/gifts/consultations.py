"""Consultation log: staff record meetings and calls with suppliers [6(6)ケ], [7(1)オ].

`month_summary` is what the monthly report reads (counts per kind, and the entries).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.accounts.models import Supplier
from portal.core.errors import DomainError, PermissionDenied
from portal.core.roles import can_record_consultations
from portal.gifts.proposal_models import Consultation, ConsultationKind

if TYPE_CHECKING:
    from portal.accounts.models import User


def record_consultation(
    session: Session,
    *,
    supplier_id: int,
    held_on: date,
    kind: ConsultationKind | str,
    topic: str,
    outcome: str = "",
    next_step: str = "",
    proposal_id: int | None = None,
    by_user: User,
) -> Consultation:
    if not can_record_consultations(by_user):
        raise PermissionDenied(_l("相談記録をつけられるのは運営事務局の職員だけです。"))
    if session.get(Supplier, supplier_id) is None:
        raise DomainError(_l("事業者を選んでください。"), field="supplier_id")
    if not topic.strip():
        raise DomainError(_l("相談の内容（件名）を入力してください。"), field="topic")
    entry = Consultation(
        supplier_id=supplier_id,
        held_on=held_on,
        kind=ConsultationKind(kind),
        topic=topic.strip(),
        outcome=outcome.strip(),
        next_step=next_step.strip(),
        proposal_id=proposal_id,
        recorded_by_id=by_user.id,
    )
    session.add(entry)
    session.flush()
    return entry


def consultations(
    session: Session, *, date_from: date | None = None, date_to: date | None = None
) -> list[Consultation]:
    stmt = sa.select(Consultation).order_by(Consultation.held_on.desc(), Consultation.id.desc())
    if date_from:
        stmt = stmt.where(Consultation.held_on >= date_from)
    if date_to:
        stmt = stmt.where(Consultation.held_on <= date_to)
    return list(session.scalars(stmt))


def month_summary(session: Session, year: int, month: int) -> dict[str, Any]:
    """For the monthly report: how many consultations of each kind, and which."""
    first = date(year, month, 1)
    last = date(year + (month == 12), month % 12 + 1, 1)
    entries = [c for c in consultations(session, date_from=first) if c.held_on < last]
    counts = {k.value: 0 for k in ConsultationKind}
    for c in entries:
        counts[c.kind.value] += 1
    return {"total": len(entries), "by_kind": counts, "entries": entries}
