"""Demo payments: the demo month's run made from its confirmed statements, left a draft for
staff to check, download and mark paid. Idempotent (a month has one run; a draft is rebuilt
from the same statements to the same lines)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from portal.core.roles import Role
from portal.payments import service
from portal.payments.cli import default_transfer_day
from portal.statements.models import StatementState
from portal.statements.service import month_statements

if TYPE_CHECKING:
    from portal.demo.programme import Context


def seed(session: Session, ctx: Context) -> None:
    from portal.demo.statements import _demo_month

    month = _demo_month(session)
    if month is None:
        return
    if not any(st.state == StatementState.CONFIRMED for st in month_statements(session, month)):
        return
    existing = service.run_for_month(session, month)
    if existing is not None:
        return
    service.build_run(
        session, month, transfer_on=default_transfer_day(month),
        by_user=ctx.users[Role.OPERATOR.value],
    )  # fmt: skip
    session.flush()
