"""Demo statements: the last month with shipments before this one — one confirmed by its
supplier, one with a disputed line for staff to correct. Idempotent (generate skips existing
statements; confirm and dispute only act on an untouched OPEN statement)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.core.dates import today_jst
from portal.core.roles import Role
from portal.shipping.models import Shipment
from portal.statements import service
from portal.statements.models import StatementState

if TYPE_CHECKING:
    from portal.demo.programme import Context


def _demo_month(session: Session) -> str | None:
    first_of_month = today_jst().replace(day=1)
    last = session.scalar(
        sa.select(sa.func.max(Shipment.shipped_on)).where(Shipment.shipped_on < first_of_month)
    ) or session.scalar(sa.select(sa.func.max(Shipment.shipped_on)))
    return f"{last.year:04d}-{last.month:02d}" if last else None


def seed(session: Session, ctx: Context) -> None:
    month = _demo_month(session)
    if month is None:
        return
    service.generate(session, month)
    statements = service.month_statements(session, month)
    untouched = [
        st
        for st in statements
        if st.state == StatementState.OPEN and not any(ln.correction_note for ln in st.lines)
    ]
    actions = ["confirm", "dispute"] if len(untouched) == len(statements) else []
    comment = "発送数が1つ多いようです。伝票をご確認ください。"
    for st, action in zip(untouched, actions, strict=False):
        user = session.scalar(
            sa.select(User).where(User.supplier_id == st.supplier_id, User.role == Role.SUPPLIER)
        )
        if action == "confirm" and user is not None:
            service.confirm(session, st, by_user=user)
        elif action == "dispute" and user is not None:
            service.dispute(session, st, st.lines[0], comment=comment, by_user=user)
        elif action == "dispute":  # a supplier without a demo login: set the same state directly
            st.lines[0].disputed, st.lines[0].dispute_comment = True, comment
            st.state = StatementState.DISPUTED
    session.flush()
