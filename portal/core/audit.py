"""Audit log: every view of personal data and every privileged change leaves a row.

Rows name the subject by type and id, never by its content, so the log itself holds no
personal data.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.core.models import utcnow
from portal.extensions import Model

if TYPE_CHECKING:
    from portal.accounts.models import User


class AuditEntry(Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    # "user", "donor" (a donor session: actor_ref holds the donation number) or "system".
    actor_kind: Mapped[str] = mapped_column(sa.String(16), default="user")
    actor_ref: Mapped[str] = mapped_column(sa.String(64), default="")
    action: Mapped[str] = mapped_column(sa.String(64))  # e.g. "view", "update", "export"
    subject_type: Mapped[str] = mapped_column(sa.String(64))
    subject_id: Mapped[str] = mapped_column(sa.String(64))
    detail: Mapped[str] = mapped_column(sa.String(255), default="")
    ip: Mapped[str] = mapped_column(sa.String(45), default="")

    __table_args__ = (sa.Index("ix_audit_entry_subject", "subject_type", "subject_id"),)


def audit(
    session: Session,
    *,
    actor: User | None,
    action: str,
    subject_type: str,
    subject_id: object,
    detail: str = "",
    ip: str = "",
    actor_kind: str | None = None,
    actor_ref: str = "",
) -> AuditEntry:
    entry = AuditEntry(
        actor_user_id=actor.id if actor is not None else None,
        actor_kind=actor_kind or ("user" if actor is not None else "system"),
        actor_ref=actor_ref,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        detail=detail,
        ip=ip,
    )
    session.add(entry)
    return entry
