"""Gap-free numbers (receipt numbers per year, donation numbers) from a counter row.

The counter is incremented with one UPDATE … RETURNING inside the caller's transaction: the
row lock serialises concurrent issuers on PostgreSQL, and SQLite's BEGIN IMMEDIATE does the
same; a rolled-back transaction takes its number back with it, so no gap appears.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.extensions import Model


class Counter(Model):
    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(16), primary_key=True)  # e.g. "2026"
    value: Mapped[int] = mapped_column(default=0)


def next_number(session: Session, name: str, scope: str = "") -> int:
    stmt = (
        sa.update(Counter)
        .where(Counter.name == name, Counter.scope == scope)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
    )
    value = session.execute(stmt).scalar_one_or_none()
    if value is None:
        # First number of this scope: create the row, tolerating a concurrent creator.
        try:
            with session.begin_nested():
                session.add(Counter(name=name, scope=scope, value=0))
        except sa.exc.IntegrityError:
            pass
        value = session.execute(stmt).scalar_one()
    return value
