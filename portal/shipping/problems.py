"""Delivery problems: a delay, damage, a redelivery, a return to sender, or an out-of-stock.

Reported by the supplier (its own orders only) or by staff; each one is a PUBLIC event on the
donation's timeline in plain words ("delivery.problem"), shows in the staff list of open
problems at once, and is closed with a resolution ("delivery.problem_resolved"). An
out-of-stock also pauses the gift, so new lines for it are held (never oversold) until staff
act; the pause is a stock-ledger row like any other stock change.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, Session, joinedload, mapped_column, relationship

from portal.accounts.models import User
from portal.core.errors import Conflict, DomainError, PermissionDenied
from portal.core.models import TimestampMixin, enum_column, utcnow
from portal.core.roles import STAFF_ROLES, Role
from portal.core.timeline import record_event
from portal.donations.models import DonationLine
from portal.extensions import Model
from portal.gifts.models import Gift
from portal.gifts.stock import pause_gift
from portal.shipping.models import Order, OrderStatus


class ProblemKind(enum.StrEnum):
    DELAY = "delay"  # 遅延
    DAMAGE = "damage"  # 破損
    REDELIVERY = "redelivery"  # 再配達
    RETURNED = "returned"  # 返送
    OUT_OF_STOCK = "out_of_stock"  # 欠品


PROBLEM_LABELS = {
    ProblemKind.DELAY: _l("お届けの遅れ"),
    ProblemKind.DAMAGE: _l("破損"),
    ProblemKind.REDELIVERY: _l("再配達"),
    ProblemKind.RETURNED: _l("差出人への返送"),
    ProblemKind.OUT_OF_STOCK: _l("欠品（発送できない）"),
}

NOTE_MAX = 1000


class ProblemEvent(enum.StrEnum):
    """Timeline kinds of a delivery problem (public, on the donation's timeline)."""

    REPORTED = "delivery.problem"
    RESOLVED = "delivery.problem_resolved"


class DeliveryProblem(TimestampMixin, Model):
    __tablename__ = "delivery_problem"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("gift_order.id"), index=True)
    kind: Mapped[ProblemKind] = mapped_column(enum_column(ProblemKind))
    expected_on: Mapped[date | None]  # new expected delivery date (delay)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    reported_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)
    resolution: Mapped[str] = mapped_column(sa.Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    order: Mapped[Order] = relationship()
    reported_by: Mapped[User] = relationship(foreign_keys=[reported_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


def _gift(order: Order) -> Gift:
    return order.line.gift


def report_problem(
    session: Session,
    order: Order,
    *,
    kind: ProblemKind | str,
    note: str = "",
    expected_on: date | None = None,
    by_user: User,
    today: date,
) -> DeliveryProblem:
    """Record a problem on one order; a supplier only on its own company's orders."""
    kind = ProblemKind(kind)
    if by_user.role == Role.SUPPLIER:
        if order.supplier_id != by_user.supplier_id:
            raise PermissionDenied(_l("この注文は操作できません。"))
    elif by_user.role not in STAFF_ROLES:
        raise PermissionDenied(_l("この注文は操作できません。"))
    if order.status == OrderStatus.CANCELLED:
        raise DomainError(_l("取消済みの注文です。"))
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise DomainError(_l("内容は1000文字以内で入力してください。"), field="note")
    if kind == ProblemKind.DELAY:
        if expected_on is None:
            raise DomainError(_l("新しいお届け予定日を入力してください。"), field="expected_on")
        if expected_on < today:
            raise DomainError(_l("お届け予定日に過去の日付は入力できません。"), field="expected_on")
    else:
        expected_on = None
    if kind != ProblemKind.DELAY and not note:
        raise DomainError(_l("何があったかを入力してください。"), field="note")
    # A double submit of the same report is harmless: the open one is returned.
    existing = session.scalar(
        sa.select(DeliveryProblem).where(
            DeliveryProblem.order_id == order.id,
            DeliveryProblem.kind == kind,
            DeliveryProblem.resolved_at.is_(None),
            DeliveryProblem.note == note,
            DeliveryProblem.expected_on == expected_on
            if expected_on
            else DeliveryProblem.expected_on.is_(None),
        )
    )
    if existing is not None:
        return existing
    problem = DeliveryProblem(
        order_id=order.id,
        kind=kind,
        expected_on=expected_on,
        note=note,
        reported_by_id=by_user.id,
    )
    session.add(problem)
    gift = _gift(order)
    if kind == ProblemKind.OUT_OF_STOCK and not gift.stock_paused:
        pause_gift(session, gift, True, note, by_user=by_user)
    record_event(
        session,
        "donation",
        order.line.donation_id,
        ProblemEvent.REPORTED,
        by_user=by_user,
        public=True,
        order_id=order.id,
        gift_name=gift.name,
        problem_kind=kind.value,
        expected_on=expected_on.isoformat() if expected_on else None,
    )
    session.flush()
    return problem


def resolve_problem(
    session: Session, problem: DeliveryProblem, *, resolution: str, by_user: User
) -> DeliveryProblem:
    """Staff close a problem with what was done; closing twice is refused, not repeated."""
    if by_user.role not in STAFF_ROLES:
        raise PermissionDenied(_l("対応の完了は職員が記録します。"))
    resolution = (resolution or "").strip()
    if not resolution:
        raise DomainError(_l("どう対応したかを入力してください。"), field="resolution")
    if len(resolution) > NOTE_MAX:
        raise DomainError(_l("内容は1000文字以内で入力してください。"), field="resolution")
    if problem.resolved_at is not None:
        raise Conflict(_l("この問題はすでに対応済みです。"))
    problem.resolved_at = utcnow()
    problem.resolution = resolution
    problem.resolved_by_id = by_user.id
    order = problem.order
    record_event(
        session,
        "donation",
        order.line.donation_id,
        ProblemEvent.RESOLVED,
        by_user=by_user,
        public=True,
        order_id=order.id,
        gift_name=_gift(order).name,
        problem_kind=problem.kind.value,
    )
    session.flush()
    return problem


def _with_order() -> sa.Select[DeliveryProblem]:
    return sa.select(DeliveryProblem).options(
        joinedload(DeliveryProblem.order)
        .joinedload(Order.line)
        .options(joinedload(DonationLine.donation), joinedload(DonationLine.gift))
    )


def open_problems(session: Session, limit: int = 500) -> list[DeliveryProblem]:
    """Newest first, for the staff list."""
    return list(
        session.scalars(
            _with_order()
            .where(DeliveryProblem.resolved_at.is_(None))
            .order_by(DeliveryProblem.reported_at.desc(), DeliveryProblem.id.desc())
            .limit(limit)
        ).unique()
    )


def supplier_problems(
    session: Session, supplier_id: int, limit: int = 200
) -> list[DeliveryProblem]:
    return list(
        session.scalars(
            _with_order()
            .join(Order, Order.id == DeliveryProblem.order_id)
            .where(Order.supplier_id == supplier_id)
            .order_by(DeliveryProblem.resolved_at.is_not(None), DeliveryProblem.reported_at.desc())
            .limit(limit)
        ).unique()
    )


def problems_for_order(session: Session, order_id: int) -> list[DeliveryProblem]:
    return list(
        session.scalars(
            sa.select(DeliveryProblem)
            .where(DeliveryProblem.order_id == order_id)
            .order_by(DeliveryProblem.reported_at.desc())
        )
    )
