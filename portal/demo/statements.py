"""Demo statements: the last month with shipments before this one — one confirmed by its
supplier, one with a disputed line for staff to correct. Idempotent (generate skips existing
statements; confirm and dispute only act on an untouched OPEN statement)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.accounts import suppliers
from portal.accounts.models import Supplier, User
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


def _supplier_account(session: Session, supplier_id: int, ctx: Context) -> User:
    """Who confirms or disputes for the supplier: its demo login when it has one (S001), else
    its representative, invited by the operator as on the supplier page (no password yet: the
    invitation is still open), so the statement changes state through the same rules as on
    screen."""
    user = session.scalar(
        sa.select(User)
        .where(User.supplier_id == supplier_id, User.role == Role.SUPPLIER)
        .order_by(User.id)
    )
    if user is not None:
        return user
    supplier = session.get_one(Supplier, supplier_id)
    user, _token = suppliers.invite_supplier_user(
        session,
        supplier,
        supplier.email or f"{supplier.code.lower()}@supplier.demo.example",
        supplier.representative,
        by_user=ctx.users[Role.OPERATOR_ADMIN.value],
    )
    return user


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
        user = _supplier_account(session, st.supplier_id, ctx)
        if action == "confirm":
            service.confirm(session, st, by_user=user)
        else:
            service.dispute(session, st, st.lines[0], comment=comment, by_user=user)
    session.flush()
