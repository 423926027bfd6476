"""Demo receipts as in a programme that prints weekly: one batch mailed (everything paid more
than a week ago except three left overdue, with a returned envelope, a reissue waiting and
one-stop forms back complete and incomplete), one batch printed but not yet posted, and the
rest still due. Idempotent: nothing happens once any receipt exists."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.core.dates import today_jst
from portal.receipts import batches, onestop, service
from portal.receipts.models import Receipt

if TYPE_CHECKING:
    from portal.demo.programme import Context

FIRST_BATCH = 10  # at least
LEFT_OVERDUE = 3  # the oldest, to show what an overdue receipt looks like
MAX_FIRST_BATCH = 150  # keeps `flask seed-demo` quick
SECOND_BATCH = 6
NOTHING_NEW = date(2000, 1, 1)  # create_batch(until=…): only the receipts issued just before


def seed(session: Session, ctx: Context) -> None:
    if session.scalar(sa.select(sa.func.count()).select_from(Receipt)):
        return
    due = list(session.scalars(service.unissued_stmt()))
    if len(due) < FIRST_BATCH + SECOND_BATCH + 3:
        return
    today = today_jst()
    operator = ctx.users.get("operator")

    week_ago = today - timedelta(days=7)
    older = [d for d in due if d.received_on is not None and d.received_on <= week_ago]
    first = older[LEFT_OVERDUE:][:MAX_FIRST_BATCH]
    if len(first) < FIRST_BATCH:
        first = due[:FIRST_BATCH]
    chosen = {d.id for d in first}
    due = [d for d in due if d.id not in chosen]
    for d in first:
        service.issue_receipt(session, d, on=today)
    batch = batches.create_batch(session, until=NOTHING_NEW, on=today)
    assert batch is not None
    batch.until = today
    batches.render_batch_files(session, batch, workers=1)
    service.mark_batch_mailed(session, batch, today, by_user=operator)

    # One envelope came back (宛所不明): an open address-check case.
    returned = service.receipt_for(session, first[0])
    assert returned is not None
    service.record_returned(
        session, returned, returned_on=today, by_user=operator, note="デモ：転居先不明"
    )
    # One-stop forms back: one complete, one missing the マイナンバー確認書類.
    forms = [d for d in first[2:] if d.onestop_requested]
    if forms:
        onestop.register_return(session, forms[0], received_on=today, missing=[], by_user=operator)
    if len(forms) > 1:
        onestop.register_return(
            session, forms[1], received_on=today, missing=["mynumber"], by_user=operator
        )

    second = due[LEFT_OVERDUE : LEFT_OVERDUE + SECOND_BATCH]
    for d in second:
        service.issue_receipt(session, d, on=today)
    printed = batches.create_batch(session, until=NOTHING_NEW, on=today)  # not yet posted
    assert printed is not None
    printed.until = today
    batches.render_batch_files(session, printed, workers=1)
    # One donor lost the receipt: a reissue waits for the next batch.
    service.request_reissue(session, first[1], reason="紛失（デモ）", by_user=operator)
    session.flush()
