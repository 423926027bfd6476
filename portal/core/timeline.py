"""Event timeline: what happened to a thing, in order, for screens to show.

Each state machine writes an event when it moves; screens render `kind` through a
translated sentence, so the stored row holds no wording of its own. The kinds are StrEnums
beside their models (DonationEvent, OrderEvent, ReceiptEvent, …), stored as their values.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.core.models import utcnow
from portal.extensions import Model

if TYPE_CHECKING:
    from portal.accounts.models import User


class TimelineEvent(Model):
    __tablename__ = "timeline_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(sa.String(32))
    subject_id: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # Shown to the donor on the status page (internal events are not).
    public: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        sa.Index("ix_timeline_event_subject", "subject_type", "subject_id", "at"),
        # The donor notifier walks recent events of a few kinds (portal.donors.notify).
        sa.Index("ix_timeline_event_kind_at", "kind", "at"),
    )


def record_event(
    session: Session,
    subject_type: str,
    subject_id: int,
    kind: str,
    *,
    by_user: User | None = None,
    public: bool = False,
    at: datetime | None = None,
    **data: Any,
) -> TimelineEvent:
    event = TimelineEvent(
        subject_type=subject_type,
        subject_id=subject_id,
        kind=str(kind),  # a StrEnum's value: the row holds plain text
        actor_user_id=by_user.id if by_user is not None else None,
        data=data,
        public=public,
        at=at or utcnow(),
    )
    session.add(event)
    return event


def events_for(session: Session, subject_type: str, subject_id: int) -> list[TimelineEvent]:
    return list(
        session.scalars(
            sa.select(TimelineEvent)
            .where(
                TimelineEvent.subject_type == subject_type,
                TimelineEvent.subject_id == subject_id,
            )
            .order_by(TimelineEvent.at, TimelineEvent.id)
        )
    )
