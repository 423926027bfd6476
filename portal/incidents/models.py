"""A suspected security incident and its follow-up notes.

受託者向け情報セキュリティ遵守事項 第2: the city is told within 60 minutes of the moment the
incident was first noticed; 個人情報取扱特記事項 第14: at once, and its instructions followed.
Where more than 100 people's data may be involved (or the access was unauthorised, whatever
the number) the city in turn reports to the 個人情報保護委員会: a 速報 within about 3–5 days and
a 確報 within 30 days (60 when the leak came from unauthorised access). The record keeps when
each of those happened; the deadlines are computed from `noticed_at`, never stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.models import User
from portal.core.dates import to_jst
from portal.core.models import utcnow
from portal.extensions import Model

CITY_MINUTES = 60
PPC_THRESHOLD = 100  # 行政機関等: more than 100 people
PPC_PRELIMINARY_DAYS = 5  # 速報: 「速やかに」, about 3–5 days
PPC_FINAL_DAYS = 30
PPC_FINAL_DAYS_UNAUTHORISED = 60


class Incident(Model):
    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    what: Mapped[str] = mapped_column(sa.Text)  # 何が起きたか
    noticed_at: Mapped[datetime] = mapped_column(index=True)  # 最初に認識した日時
    data_involved: Mapped[str] = mapped_column(sa.Text, default="")  # 誰の情報が関わるか
    people: Mapped[int] = mapped_column(default=0)  # 関わる可能性のある人数
    unauthorised_access: Mapped[bool] = mapped_column(default=False)  # 不正アクセスの疑い
    reported_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    city_told_at: Mapped[datetime | None]  # 市へ連絡した日時 (mail sent, or recorded by hand)
    ppc_preliminary_at: Mapped[datetime | None]  # 速報
    ppc_final_at: Mapped[datetime | None]  # 確報
    closed_at: Mapped[datetime | None]

    reported_by: Mapped[User] = relationship()
    notes: Mapped[list[IncidentNote]] = relationship(
        back_populates="incident", order_by="IncidentNote.id", cascade="all, delete-orphan"
    )

    @property
    def label(self) -> str:
        """How an auditor names it: 事案 2026-0003 (year noticed, JST, and the id)."""
        return f"{to_jst(self.noticed_at).year}-{self.id:04d}"

    @property
    def city_due(self) -> datetime:
        return self.noticed_at + timedelta(minutes=CITY_MINUTES)

    @property
    def ppc_required(self) -> bool:
        return self.people > PPC_THRESHOLD or self.unauthorised_access

    @property
    def ppc_preliminary_due(self) -> datetime:
        return self.noticed_at + timedelta(days=PPC_PRELIMINARY_DAYS)

    @property
    def ppc_final_due(self) -> datetime:
        days = PPC_FINAL_DAYS_UNAUTHORISED if self.unauthorised_access else PPC_FINAL_DAYS
        return self.noticed_at + timedelta(days=days)

    def late(self, done: datetime | None, due: datetime, now: datetime) -> bool:
        return (done or now) > due


class IncidentNote(Model):
    __tablename__ = "incident_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(sa.ForeignKey("incident.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # "", "city-told", "ppc-preliminary", "ppc-final", "closed", "mail-sent", "mail-failed"
    action: Mapped[str] = mapped_column(sa.String(32), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    incident: Mapped[Incident] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()
