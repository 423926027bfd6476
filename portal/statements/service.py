"""Monthly statement (相互確認): generate, confirm, dispute a line, correct it, export.

The month is a JST calendar month of Shipment.shipped_on. One line per gift: units shipped
(the donation lines' quantities), and the gift's 調達費用 and 送料 per unit as they were when
the statement was generated. Turns: OPEN (supplier confirms, or disputes a line) → DISPUTED
(operator staff correct the disputed lines; when none is left disputed it is OPEN again) →
CONFIRMED (locked: nothing can change it). Confirming twice is harmless.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import Supplier, User
from portal.core.audit import audit
from portal.core.dates import today_jst
from portal.core.errors import Conflict, DomainError, PermissionDenied
from portal.core.models import utcnow
from portal.core.roles import Role, is_operator
from portal.core.timeline import record_event
from portal.donations.models import DonationLine
from portal.gifts.models import Gift
from portal.shipping.carriers import Carrier
from portal.shipping.models import (
    BORNE_BY_SUPPLIER,
    NOT_BILLED_TO_CITY,
    Order,
    OrderStatus,
    Resend,
    ResendCause,
    Shipment,
)
from portal.statements.models import (
    LineKind,
    Statement,
    StatementEvent,
    StatementLine,
    StatementState,
)

COMMENT_MAX = 1000


def month_range(month: str) -> tuple[date, date]:
    """First day and the first day of the next month for '2026-10'; DomainError otherwise."""
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", (month or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise DomainError(_l("月は 2026-10 の形で指定してください。"), field="month")
    year, mon = int(match.group(1)), int(match.group(2))
    start = date(year, mon, 1)
    end = date(year + (mon == 12), mon % 12 + 1, 1)
    return start, end


def normalise_month(month: str) -> str:
    start, _ = month_range(month)
    return f"{start.year:04d}-{start.month:02d}"


def shipped_counts(
    session: Session, month: str, supplier_id: int | None = None
) -> Sequence[sa.Row[int, int, int]]:
    """(supplier_id, gift_id, units) first shipped in the month, by the shipment's date."""
    start, end = month_range(month)
    stmt = (
        sa.select(Order.supplier_id, DonationLine.gift_id, sa.func.sum(DonationLine.quantity))
        .join(Shipment, Shipment.order_id == Order.id)
        .join(DonationLine, DonationLine.id == Order.line_id)
        .where(
            Shipment.shipped_on >= start,
            Shipment.shipped_on < end,
            Order.status != OrderStatus.CANCELLED,
        )
        .group_by(Order.supplier_id, DonationLine.gift_id)
    )
    if supplier_id is not None:
        stmt = stmt.where(Order.supplier_id == supplier_id)
    return session.execute(stmt).all()


@dataclass
class _Group:
    units: int = 0
    fees: int = 0


# (gift_id, kind, carrier, cause) -> units and 送料
_Key = tuple[int, LineKind, str, str]


def _month_groups(
    session: Session, month: str, supplier_id: int | None
) -> dict[int, dict[_Key, _Group]]:
    """Per supplier: the month's shipments and re-sends grouped into statement lines."""
    start, end = month_range(month)
    by_supplier: dict[int, dict[_Key, _Group]] = {}
    first = (
        sa.select(
            Order.supplier_id, DonationLine.gift_id, Shipment.carrier,
            sa.func.sum(DonationLine.quantity), sa.func.sum(Shipment.shipping_fee),
        )
        .join(Shipment, Shipment.order_id == Order.id)
        .join(DonationLine, DonationLine.id == Order.line_id)
        .where(
            Shipment.shipped_on >= start, Shipment.shipped_on < end,
            Order.status != OrderStatus.CANCELLED,
        )
        .group_by(Order.supplier_id, DonationLine.gift_id, Shipment.carrier)
    )  # fmt: skip
    again = (
        sa.select(
            Order.supplier_id, DonationLine.gift_id, Resend.carrier, Resend.cause,
            sa.func.sum(Resend.quantity), sa.func.sum(Resend.shipping_fee),
        )
        .join(Resend, Resend.order_id == Order.id)
        .join(DonationLine, DonationLine.id == Order.line_id)
        .where(Resend.shipped_on >= start, Resend.shipped_on < end)
        .group_by(Order.supplier_id, DonationLine.gift_id, Resend.carrier, Resend.cause)
    )  # fmt: skip
    if supplier_id is not None:
        first = first.where(Order.supplier_id == supplier_id)
        again = again.where(Order.supplier_id == supplier_id)
    for sup_id, gift_id, carrier, units, fees in session.execute(first):
        key = (gift_id, LineKind.SHIPMENT, Carrier(carrier).value, "")
        group = by_supplier.setdefault(sup_id, {}).setdefault(key, _Group())
        group.units += int(units or 0)
        group.fees += int(fees or 0)
    for sup_id, gift_id, carrier, cause, units, fees in session.execute(again):
        key = (gift_id, LineKind.RESEND, Carrier(carrier).value, ResendCause(cause).value)
        group = by_supplier.setdefault(sup_id, {}).setdefault(key, _Group())
        group.units += int(units or 0)
        group.fees += int(fees or 0)
    return by_supplier


def generate(
    session: Session, month: str, *, supplier_id: int | None = None, by_user: User | None = None
) -> list[Statement]:
    """Create the month's statements for every supplier that shipped (idempotent: an existing
    statement is left as it is, whatever its state). Returns the ones created now.

    Lines: first shipments per gift and carrier; re-sends per gift, carrier and cause (see
    portal.statements.models for the flags the invoice filters on)."""
    month = normalise_month(month)
    by_supplier = _month_groups(session, month, supplier_id)
    existing = {
        st.supplier_id: st
        for st in session.scalars(
            _with_lines().where(
                Statement.month == month, Statement.supplier_id.in_(list(by_supplier))
            )
        )
    }
    created = []
    for sup_id, groups in sorted(by_supplier.items()):
        statement = existing.get(sup_id)
        if statement is not None and (
            statement.is_locked or any(ln.kind != LineKind.ADJUSTMENT for ln in statement.lines)
        ):
            continue  # generated before: left as it is
        # (A statement holding only adjustments of paid lines gets the month's lines.)
        gift_ids = sorted({key[0] for key in groups})
        gifts = {g.id: g for g in session.scalars(sa.select(Gift).where(Gift.id.in_(gift_ids)))}
        statement = statement or Statement(supplier_id=sup_id, month=month)
        for (gift_id, kind, carrier, cause), group in sorted(groups.items()):
            gift = gifts[gift_id]
            resend_cause = ResendCause(cause) if cause else None
            statement.lines.append(
                StatementLine(
                    gift_id=gift.id,
                    gift_code=gift.code,
                    gift_name=gift.name,
                    kind=kind,
                    carrier=carrier,
                    resend_cause=cause,
                    count=group.units,
                    unit_cost=gift.procurement_cost,
                    unit_shipping=gift.shipping_fee,
                    cost_amount=group.units * gift.procurement_cost,
                    shipping_amount=group.fees,
                    billable=resend_cause not in NOT_BILLED_TO_CITY,
                    payable=resend_cause not in BORNE_BY_SUPPLIER,
                    disputed=False,
                )
            )
        session.add(statement)
        session.flush()
        record_event(session, "statement", statement.id, StatementEvent.GENERATED, by_user=by_user)
        created.append(statement)
    return created


def previous_month(today: date) -> str:
    """The JST month that closed before `today` (a JST date)."""
    last = today.replace(day=1) - timedelta(days=1)
    return f"{last.year:04d}-{last.month:02d}"


def generate_closed_month(session: Session, today: date | None = None) -> list[Statement]:
    """The scheduled job's body: the statements of the month that closed (JST). Idempotent,
    so it may run every day (a late shipment of that month gets its supplier's statement)."""
    return generate(session, previous_month(today or today_jst()))


def _locked_check(statement: Statement, line: StatementLine | None = None) -> None:
    if line is not None and line.is_paid:
        raise Conflict(
            _l("支払済みの行は変更できません。訂正は翌月以降の明細に訂正行を加えてください。")
        )
    if statement.is_locked:
        raise Conflict(_l("確認済みの明細は変更できません。"))


def _own(statement: Statement, user: User) -> None:
    if user.role != Role.SUPPLIER or statement.supplier_id != user.supplier_id:
        raise PermissionDenied(_l("この明細は操作できません。"))


def confirm(session: Session, statement: Statement, *, by_user: User) -> Statement:
    """The supplier agrees with every line; then the statement is locked."""
    _own(statement, by_user)
    if statement.state == StatementState.CONFIRMED:
        return statement  # a double submit
    if statement.state == StatementState.DISPUTED:
        raise DomainError(_l("確認をお願いした行を市が確認中です。修正のあとで確定してください。"))
    statement.state = StatementState.CONFIRMED
    statement.confirmed_at = utcnow()
    statement.confirmed_by_id = by_user.id
    record_event(session, "statement", statement.id, StatementEvent.CONFIRMED, by_user=by_user)
    session.flush()
    return statement


def dispute(
    session: Session, statement: Statement, line: StatementLine, *, comment: str, by_user: User
) -> StatementLine:
    """The supplier disagrees with one line and says why."""
    _own(statement, by_user)
    if line.statement_id != statement.id:
        raise DomainError(_l("この明細の行ではありません。"))
    _locked_check(statement, line)
    comment = (comment or "").strip()
    if not comment:
        raise DomainError(_l("どこが違うかを入力してください。"), field="comment")
    if len(comment) > COMMENT_MAX:
        raise DomainError(_l("内容は1000文字以内で入力してください。"), field="comment")
    line.disputed = True
    line.dispute_comment = comment
    line.disputed_at = utcnow()
    statement.state = StatementState.DISPUTED
    record_event(
        session, "statement", statement.id, StatementEvent.DISPUTED, by_user=by_user,
        line_id=line.id, gift_name=line.gift_name,
    )  # fmt: skip
    session.flush()
    return line


def correct_line(
    session: Session,
    statement: Statement,
    line: StatementLine,
    *,
    count: int,
    unit_cost: int,
    unit_shipping: int,
    note: str,
    by_user: User,
) -> StatementLine:
    """Operator staff put a line right (with a note); the supplier then confirms again."""
    if not is_operator(by_user):
        raise PermissionDenied(_l("明細の修正は運営事務局の職員が行います。"))
    if line.statement_id != statement.id:
        raise DomainError(_l("この明細の行ではありません。"))
    _locked_check(statement, line)
    note = (note or "").strip()
    if not note:
        raise DomainError(_l("修正の理由を入力してください。"), field="note")
    for value, name in (
        (count, "count"),
        (unit_cost, "unit_cost"),
        (unit_shipping, "unit_shipping"),
    ):
        if value is None or value < 0:
            raise DomainError(_l("0以上の数を入力してください。"), field=name)
    before = {
        "count": line.count, "unit_cost": line.unit_cost, "unit_shipping": line.unit_shipping,
        "cost_amount": line.cost_amount, "shipping_amount": line.shipping_amount,
    }  # fmt: skip
    if (count, unit_shipping) != (line.count, line.unit_shipping):
        # A corrected count or per-unit fee re-prices the line's 送料; otherwise the
        # shipments' own fees stand.
        line.shipping_amount = count * unit_shipping
    line.count, line.unit_cost, line.unit_shipping = count, unit_cost, unit_shipping
    line.cost_amount = count * unit_cost
    line.correction_note = note
    line.corrected_by_id = by_user.id
    line.corrected_at = utcnow()
    line.disputed = False
    if not any(other.disputed for other in statement.lines):
        statement.state = StatementState.OPEN
    record_event(
        session, "statement", statement.id, StatementEvent.CORRECTED, by_user=by_user,
        line_id=line.id, before=before,
        after={
            "count": count, "unit_cost": unit_cost, "unit_shipping": unit_shipping,
            "cost_amount": line.cost_amount, "shipping_amount": line.shipping_amount,
        },
    )  # fmt: skip
    session.flush()
    return line


def _with_lines() -> sa.Select[Statement]:
    return sa.select(Statement).options(
        selectinload(Statement.lines), selectinload(Statement.supplier)
    )


def supplier_statements(session: Session, supplier_id: int) -> list[Statement]:
    return list(
        session.scalars(
            _with_lines()
            .where(Statement.supplier_id == supplier_id)
            .order_by(Statement.month.desc())
        )
    )


def own_statement(session: Session, supplier_id: int, statement_id: int) -> Statement | None:
    return session.scalar(
        _with_lines().where(Statement.id == statement_id, Statement.supplier_id == supplier_id)
    )


def get_statement(session: Session, statement_id: int) -> Statement | None:
    return session.scalar(_with_lines().where(Statement.id == statement_id))


def month_statements(session: Session, month: str) -> list[Statement]:
    month = normalise_month(month)
    return list(
        session.scalars(
            _with_lines()
            .join(Supplier, Supplier.id == Statement.supplier_id)
            .where(Statement.month == month)
            .order_by(Statement.state != StatementState.DISPUTED, Supplier.code)
        )
    )


def disputed_statements(session: Session) -> list[Statement]:
    return list(
        session.scalars(
            _with_lines()
            .where(Statement.state == StatementState.DISPUTED)
            .order_by(Statement.month.desc())
        )
    )


STATE_CSV = {
    StatementState.OPEN: "確認待ち",
    StatementState.DISPUTED: "確認依頼中",
    StatementState.CONFIRMED: "確認済",
}
KIND_CSV = {LineKind.SHIPMENT: "発送", LineKind.RESEND: "再送", LineKind.ADJUSTMENT: "訂正"}
CAUSE_CSV = {
    "supplier": "事業者の責", "operator": "運営事務局の責", "carrier": "配送事故",
    "donor": "寄附者の事情", "disaster": "災害", "": "",
}  # fmt: skip
CSV_HEADER = (
    "対象月", "事業者コード", "事業者名", "状態", "返礼品コード", "返礼品名", "発送数",
    "調達費用（単価）", "送料（単価）", "調達費用計", "送料計", "合計", "修正メモ",
    "区分", "再送の理由", "配送業者", "市への請求", "事業者への支払", "支払済",
)  # fmt: skip


def statements_csv(session: Session, month: str, *, by_user: User) -> bytes:
    """The month's lines for staff (UTF-8 with BOM so Excel opens it as UTF-8)."""
    statements = month_statements(session, month)
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for st in statements:
        for line in st.lines:
            writer.writerow(
                [
                    st.month, st.supplier.code, st.supplier.name, STATE_CSV[st.state],
                    line.gift_code, line.gift_name, line.count, line.unit_cost,
                    line.unit_shipping, line.cost_total, line.shipping_total, line.total,
                    line.correction_note, KIND_CSV[line.kind], CAUSE_CSV.get(line.resend_cause, ""),
                    line.carrier, "対象" if line.billable else "対象外",
                    "対象" if line.payable else "対象外", "済" if line.is_paid else "",
                ]
            )  # fmt: skip
    audit(
        session, actor=by_user, action="statement.export", subject_type="statement_month",
        subject_id=normalise_month(month),
    )  # fmt: skip
    return ("\ufeff" + out.getvalue()).encode("utf-8")
