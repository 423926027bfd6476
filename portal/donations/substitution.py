"""Gift substitution (代替品) with the donor's consent, for a line held as 在庫超過 or 受付期間外.

Staff agree a substitute with the donor (phone, e-mail or the web form), record how and when,
and the line switches gift: one unit set is taken from the substitute's allocation on the
donation's portal atomically (the same conditional UPDATE as any take), so a substitute can no
more be oversold than the original. The record stays as evidence of the consent; the donor's
status page shows the change (public timeline event "line.substituted").
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from portal.core.dates import today_jst
from portal.core.errors import DomainError
from portal.core.models import enum_column, utcnow
from portal.core.timeline import record_event
from portal.donations.lifecycle import (
    _gift_has_stock_control,
    create_orders,
    hold_for,
)
from portal.donations.models import DonationEvent, DonationLine, DonationState, LineHold
from portal.extensions import Model
from portal.gifts.models import Gift, GiftStatus
from portal.gifts.stock import take_units

if TYPE_CHECKING:
    from portal.accounts.models import User


class ConsentChannel(enum.StrEnum):
    PHONE = "phone"  # 電話
    EMAIL = "email"  # メール
    WEB = "web"  # ウェブ（問い合わせフォーム・寄附者ページ）


class LineSubstitution(Model):
    """One substitution of a line's gift and the donor's consent to it."""

    __tablename__ = "line_substitution"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(sa.ForeignKey("donation_line.id"), index=True)
    donation_id: Mapped[int] = mapped_column(sa.ForeignKey("donation.id"), index=True)
    from_gift_id: Mapped[int] = mapped_column(sa.ForeignKey("gift.id"))
    to_gift_id: Mapped[int] = mapped_column(sa.ForeignKey("gift.id"))
    held_as: Mapped[LineHold] = mapped_column(enum_column(LineHold))
    consent_via: Mapped[ConsentChannel] = mapped_column(enum_column(ConsentChannel))
    consent_on: Mapped[date]
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    from_gift: Mapped[Gift] = relationship(foreign_keys=[from_gift_id])
    to_gift: Mapped[Gift] = relationship(foreign_keys=[to_gift_id])


def substitute_candidates(session: Session, line: DonationLine, limit: int = 50) -> list[Gift]:
    """Listed gifts the donation's amount covers for this line's quantity (any supplier)."""
    budget = line.donation.amount // max(line.quantity, 1)
    return list(
        session.scalars(
            sa.select(Gift)
            .where(
                Gift.status == GiftStatus.LISTED,
                Gift.id != line.gift_id,
                Gift.required_amount <= budget,
                Gift.stock_paused.is_(False),
            )
            .order_by(Gift.required_amount.desc(), Gift.code)
            .limit(limit)
        )
    )


def substitute_line(
    session: Session,
    line: DonationLine,
    to_gift: Gift,
    *,
    consent_via: ConsentChannel,
    consent_on: date,
    note: str = "",
    by_user: User | None = None,
) -> LineSubstitution:
    """Switch a held line to a substitute gift the donor agreed to; orders follow if paid."""
    donation = line.donation
    if line.hold not in (LineHold.STOCK, LineHold.WINDOW):
        raise DomainError(_l("この行は保留中ではありません。"), field="line")
    if donation.state == DonationState.CANCELLED:
        raise DomainError(_l("取り消された寄附です。"), field="line")
    if to_gift.id == line.gift_id:
        raise DomainError(_l("元の返礼品とは別の返礼品を選んでください。"), field="gift_code")
    if to_gift.status != GiftStatus.LISTED:
        raise DomainError(_l("代替品は掲載中の返礼品から選んでください。"), field="gift_code")
    if to_gift.required_amount * line.quantity > donation.amount:
        raise DomainError(
            _l(
                "代替品の必要寄附額（%(amount)s円 × %(quantity)s）が寄附金額を超えます。",
                amount=f"{to_gift.required_amount:,}",
                quantity=line.quantity,
            ),
            field="gift_code",
        )
    if consent_on > today_jst():
        raise DomainError(_l("同意日に未来の日付は指定できません。"), field="consent_on")
    if consent_on < donation.applied_on:
        raise DomainError(_l("同意日が寄附日より前です。"), field="consent_on")
    if hold_for(to_gift, today_jst()) is not None:
        raise DomainError(
            _l("代替品は受付期間外か、在庫の受付を停止しています。"), field="gift_code"
        )
    controlled = _gift_has_stock_control(session, to_gift)
    if controlled and not take_units(
        session, to_gift.id, donation.portal.value, line.quantity, line_id=line.id, by_user=by_user
    ):
        raise DomainError(_l("代替品の在庫（このポータルの割当）が足りません。"), field="gift_code")
    from_gift = line.gift
    record = LineSubstitution(
        line_id=line.id,
        donation_id=donation.id,
        from_gift_id=from_gift.id,
        to_gift_id=to_gift.id,
        held_as=line.hold,
        consent_via=consent_via,
        consent_on=consent_on,
        note=(note or "").strip()[:300],
        by_user_id=by_user.id if by_user is not None else None,
    )
    session.add(record)
    line.gift = to_gift
    line.hold = LineHold.NONE
    line.stock_taken = controlled
    session.flush()
    record_event(
        session,
        "donation",
        donation.id,
        DonationEvent.LINE_SUBSTITUTED,
        by_user=by_user,
        public=True,
        line_id=line.id,
        from_gift=from_gift.name,
        to_gift=to_gift.name,
        consent_via=consent_via.value,
        consent_on=consent_on.isoformat(),
    )
    if donation.state == DonationState.PAID:
        create_orders(session, donation, by_user=by_user)
    return record


def substitutions_for(session: Session, donation_id: int) -> list[LineSubstitution]:
    return list(
        session.scalars(
            sa.select(LineSubstitution)
            .where(LineSubstitution.donation_id == donation_id)
            .order_by(LineSubstitution.id)
        )
    )
