"""Demo receipts as in a programme that prints weekly: one batch mailed (everything paid more
than a week ago except three left overdue, with a returned envelope, a reissue waiting and
one-stop forms back complete and incomplete), one batch printed but not yet posted, and the
rest still due; and last December's donation whose one-stop form came back after the deadline.
Idempotent: nothing happens once any receipt exists.

Every receipt is issued, batched, rendered and mailed by the staff screens' own functions. Two
liberties, both about dates: the first two batches hold receipts picked by hand (a real batch
takes everything due up to its 基準日, which would leave nothing overdue), and last December's
batch is dated last December (as the timeline step dates events)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from portal.core.dates import JST, today_jst
from portal.core.portals import Portal
from portal.donations.lifecycle import DonationData, create_donation
from portal.donations.models import Donation, PaymentMethod, PaymentState
from portal.receipts import batches, onestop, service
from portal.receipts.models import Receipt

if TYPE_CHECKING:
    from portal.accounts.models import User
    from portal.demo.programme import Context

FIRST_BATCH = 10  # at least
LEFT_OVERDUE = 3  # the oldest, to show what an overdue receipt looks like
MAX_FIRST_BATCH = 150  # keeps `flask seed-demo` quick
SECOND_BATCH = 6
NOTHING_NEW = date(2000, 1, 1)  # create_batch(until=…): only the receipts issued just before
LATE_ORDER_NO = "DEMO-2025-ONESTOP-LATE"


def seed(session: Session, ctx: Context) -> None:
    if session.scalar(sa.select(sa.func.count()).select_from(Receipt)):
        return
    today = today_jst()
    operator = ctx.users.get("operator")
    first = _weekly_batches(session, today, operator)
    # Before the reissue below: a batch gathers every receipt waiting to be printed.
    _late_onestop(session, today)
    if len(first) > 1:
        # One donor lost the receipt: a reissue waits for the next batch.
        service.request_reissue(session, first[1], reason="紛失（デモ）", by_user=operator)
    session.flush()


def _weekly_batches(session: Session, today: date, operator: User | None) -> list[Donation]:
    """The two batches of this season; returns the first batch's donations."""
    due = list(session.scalars(service.unissued_stmt()))
    if len(due) < FIRST_BATCH + SECOND_BATCH + 3:
        return []

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
    batch.until = today  # the 基準日 shown on the batch page: the day it was made
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
    return first


def _late_onestop(session: Session, today: date) -> None:
    """A December donation of the previous year, its receipt and one-stop form posted on
    26 December, the form back after the deadline (10 January, or the next business day)."""
    if session.scalar(sa.select(Donation.id).where(Donation.portal_order_no == LATE_ORDER_NO)):
        return
    year = today.year - 1
    if onestop.deadline(year) + timedelta(days=7) > today:
        year -= 1  # early January: last year's forms are not late yet, so the year before
    applied = date(year, 12, 20)
    came_back = onestop.deadline(year) + timedelta(days=7)
    donation = create_donation(
        session,
        DonationData(
            portal=Portal.CHOICE,
            portal_order_no=LATE_ORDER_NO,
            donor_name="渡辺 美咲",
            donor_kana="ワタナベ ミサキ",
            postal_code="7270011",
            address="広島県庄原市東本町3-3",
            phone="0824-72-9901",
            email="late-onestop@demo.example",
            amount=10000,
            applied_on=applied,
            payment_method=PaymentMethod.CARD,
            payment_state=PaymentState.PAID,
            paid_on=applied,
            purpose="市長におまかせ",
            onestop_requested=True,
            receipt_wanted=True,
            lines=[],
        ),
    )
    mailed = date(year, 12, 26)
    service.issue_receipt(session, donation, on=mailed)
    batch = batches.create_batch(session, until=mailed, on=mailed)  # just this receipt
    assert batch is not None
    # Made last December: mark_batch_mailed refuses a posting date before its batch was made.
    batch.created_at = datetime.combine(mailed, datetime.min.time(), JST).astimezone(UTC)
    batches.render_batch_files(session, batch, workers=1)
    service.mark_batch_mailed(session, batch, mailed, by_user=None)
    onestop.register_return(
        session,
        donation,
        received_on=came_back,
        missing=[],
        note="デモ：期限後に到着（寄附者へ確定申告をご案内）",
        by_user=None,
    )
