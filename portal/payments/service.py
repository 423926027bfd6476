"""Payment runs: what each supplier and carrier is owed from confirmed statements, the 全銀
transfer file, marking a run paid, and corrections after payment.

A run belongs to a month and takes every confirmed statement line of that month or earlier
that no run has taken yet (a statement confirmed late is paid in the next run). Per supplier
(`Supplier.shipping_paid_by`):
- SUPPLIER pays the carrier: it is owed 調達費用 + 送料 of its payable lines.
- OPERATOR pays the carrier: the supplier is owed 調達費用 of its payable lines, minus the
  送料 of its own re-sends (the operator paid the carrier for the supplier's mistake); each
  carrier is owed the 送料 of every line of those suppliers, by the line's carrier.
A draft run may be rebuilt; marking it paid (on the date the bank paid) locks its lines for
good. A paid line is corrected by an ADJUSTMENT line on the supplier's next open statement.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import ShippingPayer, Supplier, User
from portal.core.audit import audit
from portal.core.errors import Conflict, DomainError, PermissionDenied
from portal.core.models import utcnow
from portal.core.roles import is_operator
from portal.core.timeline import record_event
from portal.payments import zengin
from portal.payments.models import PayeeKind, PaymentLine, PaymentRun, RunState
from portal.shipping.carriers import CARRIER_LABELS, Carrier
from portal.statements.models import (
    LineKind,
    Statement,
    StatementEvent,
    StatementLine,
    StatementState,
)
from portal.statements.service import month_range, normalise_month

NOTE_MAX = 1000


class PaymentEvent:
    BUILT = "payment_run.built"
    PAID = "payment_run.paid"
    ADJUSTED = "statement.adjusted"


def _staff(by_user: User | None) -> None:
    if by_user is not None and not is_operator(by_user):
        raise PermissionDenied(_l("支払の処理は運営事務局の職員が行います。"))


def _unpaid_lines(session: Session, month: str) -> list[StatementLine]:
    """Confirmed lines of `month` or earlier that no run has taken."""
    return list(
        session.scalars(
            sa.select(StatementLine)
            .join(Statement, Statement.id == StatementLine.statement_id)
            .where(
                Statement.state == StatementState.CONFIRMED,
                Statement.month <= normalise_month(month),
                StatementLine.paid_run_id.is_(None),
            )
            .options(selectinload(StatementLine.statement).selectinload(Statement.supplier))
            .order_by(Statement.supplier_id, Statement.month, StatementLine.id)
        )
    )


def _carrier_name(value: str) -> str:
    try:
        return str(CARRIER_LABELS[Carrier(value)])
    except (ValueError, KeyError):
        return value or "—"


@dataclass
class _Owed:
    cost: int = 0
    shipping: int = 0
    deduction: int = 0
    statement_id: int | None = None


def build_run(
    session: Session, month: str, *, transfer_on: date, by_user: User | None
) -> PaymentRun:
    """Make (or rebuild, while a draft) the month's run from the confirmed statements."""
    _staff(by_user)
    month = normalise_month(month)
    run = session.scalar(sa.select(PaymentRun).where(PaymentRun.month == month).with_for_update())
    if run is not None and run.is_paid:
        raise Conflict(_l("この月の支払は支払済みです。変更できません。"))
    if run is None:
        run = PaymentRun(
            month=month,
            transfer_on=transfer_on,
            created_by_id=by_user.id if by_user else None,
        )
        session.add(run)
        session.flush()
    else:
        run.transfer_on = transfer_on
        run.lines.clear()
        session.execute(
            sa.update(StatementLine)
            .where(StatementLine.paid_run_id == run.id)
            .values(paid_run_id=None)
        )
        session.flush()
    lines = _unpaid_lines(session, month)
    suppliers: dict[int, Supplier] = {}
    owed: dict[int, _Owed] = defaultdict(_Owed)
    carriers: dict[str, int] = defaultdict(int)
    for line in lines:
        st = line.statement
        supplier = st.supplier
        suppliers[supplier.id] = supplier
        o = owed[supplier.id]
        o.statement_id = st.id if o.statement_id is None or st.month == month else o.statement_id
        operator_pays = supplier.shipping_paid_by == ShippingPayer.OPERATOR
        if operator_pays:
            carriers[line.carrier] += line.shipping_total
        if line.payable:
            o.cost += line.cost_total
            if not operator_pays:
                o.shipping += line.shipping_total
        elif operator_pays:
            o.deduction += line.shipping_total
        line.paid_run_id = run.id
    for sup_id, o in sorted(owed.items(), key=lambda kv: suppliers[kv[0]].code):
        s = suppliers[sup_id]
        names = _bank_names(s)
        run.lines.append(
            PaymentLine(
                payee_kind=PayeeKind.SUPPLIER,
                payee_code=s.code,
                payee_name=s.name,
                supplier_id=s.id,
                statement_id=o.statement_id,
                cost_amount=o.cost,
                shipping_amount=o.shipping,
                deduction_amount=o.deduction,
                amount=o.cost + o.shipping - o.deduction,
                bank_code=s.bank_code,
                bank_name=names[0] or s.bank_name,
                branch_code=s.branch_code,
                branch_name=names[1] or s.bank_branch,
                account_type=s.bank_account_type,
                account_number=s.bank_account_number,
                account_holder_kana=s.bank_account_holder_kana,
            )
        )
    for carrier, amount in sorted(carriers.items()):
        if amount == 0:
            continue
        run.lines.append(
            PaymentLine(
                payee_kind=PayeeKind.CARRIER,
                payee_code=carrier or "-",
                payee_name=_carrier_name(carrier),
                carrier=carrier,
                shipping_amount=amount,
                amount=amount,
            )
        )
    session.flush()
    record_event(
        session, "payment_run", run.id, PaymentEvent.BUILT, by_user=by_user,
        total=run.total, suppliers=len(run.supplier_lines),
    )  # fmt: skip
    return run


def _bank_names(supplier: Supplier) -> tuple[str, str]:
    try:
        found = zengin.lookup(supplier.bank_code, supplier.branch_code)
    except DomainError:
        return "", ""
    return found.bank_name, found.branch_name


def transfers(run: PaymentRun) -> list[zengin.Transfer]:
    """The supplier lines to transfer (amount above zero); DomainError if one has no account."""
    missing = [
        ln.payee_name for ln in run.supplier_lines if ln.amount > 0 and not ln.has_bank_account
    ]
    if missing:
        raise DomainError(
            _l(
                "振込先の口座が登録されていない事業者があります：%(names)s",
                names="、".join(missing),
            )
        )
    return [
        zengin.Transfer(
            bank_code=ln.bank_code,
            branch_code=ln.branch_code,
            account_type=ln.account_type,
            account_number=ln.account_number,
            holder_kana=ln.account_holder_kana,
            amount=ln.amount,
            customer_code=str(ln.supplier_id or 0),
        )
        for ln in run.supplier_lines
        if ln.amount > 0
    ]


def transfer_file(
    session: Session, run: PaymentRun, remitter: zengin.Remitter, *, by_user: User | None
) -> bytes:
    """The run's 総合振込 file (bank accounts are personal data: the download is audited)."""
    raw = zengin.transfer_file(remitter, run.transfer_on, transfers(run))
    audit(
        session, actor=by_user, action="payment_run.transfer_file", subject_type="payment_run",
        subject_id=run.id,
    )  # fmt: skip
    return raw


def transfer_filename(run: PaymentRun) -> str:
    return f"sogofurikomi-{run.month}.txt"


def mark_paid(
    session: Session, run: PaymentRun, *, paid_on: date | None, by_user: User
) -> PaymentRun:
    """The bank paid the run on `paid_on`: its lines never change from now on."""
    _staff(by_user)
    if paid_on is None:
        raise DomainError(_l("支払日を入力してください。"), field="paid_on")
    if run.is_paid:
        if run.paid_on == paid_on:
            return run  # a double submit
        raise Conflict(_l("この支払はすでに支払済みです（%(day)s）。", day=run.paid_on))
    if not run.lines:
        raise DomainError(_l("支払う明細がありません。"))
    start, _ = month_range(run.month)
    if paid_on < start:
        raise DomainError(_l("支払日が対象月より前になっています。"), field="paid_on")
    run.state = RunState.PAID
    run.paid_on = paid_on
    run.paid_at = utcnow()
    run.paid_by_id = by_user.id
    session.flush()
    record_event(
        session, "payment_run", run.id, PaymentEvent.PAID, by_user=by_user,
        paid_on=paid_on.isoformat(), total=run.total,
    )  # fmt: skip
    return run


def _next_month(month: str) -> str:
    _, end = month_range(month)
    return f"{end.year:04d}-{end.month:02d}"


def add_adjustment(
    session: Session,
    line: StatementLine,
    *,
    cost_delta: int,
    shipping_delta: int,
    count: int = 0,
    note: str,
    by_user: User,
) -> StatementLine:
    """A correction of a paid line: a new ADJUSTMENT line (signed amounts) on the supplier's
    first statement after the paid one that is still open (created if there is none)."""
    _staff(by_user)
    if not line.is_paid:
        raise DomainError(_l("支払前の行は明細の修正で直してください。"))
    note = (note or "").strip()
    if not note:
        raise DomainError(_l("訂正の理由を入力してください。"), field="note")
    if len(note) > NOTE_MAX:
        raise DomainError(_l("内容は1000文字以内で入力してください。"), field="note")
    if not (cost_delta or shipping_delta or count):
        raise DomainError(_l("訂正する金額を入力してください。"), field="cost_delta")
    if count < 0:
        raise DomainError(_l("0以上の数を入力してください。"), field="count")
    month = _next_month(line.statement.month)
    while True:
        target = session.scalar(
            sa.select(Statement).where(
                Statement.supplier_id == line.statement.supplier_id, Statement.month == month
            )
        )
        if target is None or not target.is_locked:
            break
        month = _next_month(month)
    if target is None:
        target = Statement(supplier_id=line.statement.supplier_id, month=month)
        session.add(target)
        session.flush()
        record_event(session, "statement", target.id, StatementEvent.GENERATED, by_user=by_user)
    adjustment = StatementLine(
        gift_id=line.gift_id,
        gift_code=line.gift_code,
        gift_name=line.gift_name,
        kind=LineKind.ADJUSTMENT,
        carrier=line.carrier,
        resend_cause=line.resend_cause,
        count=count,
        unit_cost=0,
        unit_shipping=0,
        cost_amount=cost_delta,
        shipping_amount=shipping_delta,
        billable=line.billable,
        payable=line.payable,
        adjusts_line_id=line.id,
        correction_note=note,
        corrected_by_id=by_user.id,
        corrected_at=utcnow(),
        disputed=False,
    )
    target.lines.append(adjustment)
    if target.state == StatementState.DISPUTED:
        pass  # the supplier's open dispute stays: staff answer it as before
    session.flush()
    record_event(
        session, "statement", target.id, PaymentEvent.ADJUSTED, by_user=by_user,
        line_id=adjustment.id, adjusts_line_id=line.id, cost_delta=cost_delta,
        shipping_delta=shipping_delta,
    )  # fmt: skip
    return adjustment


# --- reading ---------------------------------------------------------------------------------


def _with_lines() -> sa.Select[PaymentRun]:
    return sa.select(PaymentRun).options(selectinload(PaymentRun.lines))


def runs(session: Session) -> list[PaymentRun]:
    return list(session.scalars(_with_lines().order_by(PaymentRun.month.desc())))


def get_run(session: Session, run_id: int) -> PaymentRun | None:
    return session.scalar(_with_lines().where(PaymentRun.id == run_id))


def run_for_month(session: Session, month: str) -> PaymentRun | None:
    return session.scalar(_with_lines().where(PaymentRun.month == normalise_month(month)))


def supplier_line(run: PaymentRun, supplier_id: int) -> PaymentLine | None:
    return next((ln for ln in run.supplier_lines if ln.supplier_id == supplier_id), None)


def lines_paid_by(session: Session, line: PaymentLine) -> list[StatementLine]:
    """The statement lines behind a supplier's payment line (for the advice and the page)."""
    if line.supplier_id is None:
        return []
    return list(
        session.scalars(
            sa.select(StatementLine)
            .join(Statement, Statement.id == StatementLine.statement_id)
            .where(
                StatementLine.paid_run_id == line.run_id,
                Statement.supplier_id == line.supplier_id,
            )
            .options(selectinload(StatementLine.statement))
            .order_by(Statement.month, StatementLine.gift_code, StatementLine.kind)
        )
    )


def supplier_payments(session: Session, supplier_id: int) -> list[PaymentLine]:
    """A supplier's payment lines of paid runs, newest first (its statements page)."""
    return list(
        session.scalars(
            sa.select(PaymentLine)
            .join(PaymentRun, PaymentRun.id == PaymentLine.run_id)
            .where(PaymentLine.supplier_id == supplier_id, PaymentRun.state == RunState.PAID)
            .options(selectinload(PaymentLine.run))
            .order_by(PaymentRun.month.desc())
        )
    )
