"""Declarative base, naming convention and the mixins every model uses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

from portal.core import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Indexes that exist on one backend only (created through `Index.ddl_if(dialect=…)`): name →
# the dialect that has it. Autogenerate comparisons (migrations/env.py, tests/test_platform.py)
# leave them out on the other backends, where neither the models nor the database have them.
BACKEND_ONLY_INDEXES: dict[str, str] = {
    # beside PostgreSQL's trigram index on search_email; on SQLite ix_donation_search_email is
    # this very B-tree already (0036 drops the copy there)
    "ix_donation_search_email_eq": "postgresql",
}


def backend_index(*args: object, **kw: object) -> sa.Index:
    """An Index that exists only on the backend BACKEND_ONLY_INDEXES names for it."""
    index = sa.Index(*args, **kw)  # type: ignore[arg-type]
    assert isinstance(index.name, str)
    return index.ddl_if(dialect=BACKEND_ONLY_INDEXES[index.name])


def schema_object_filter(dialect_name: str) -> Callable[..., bool]:
    """An alembic `include_object` hook: leaves out the indexes another backend has only."""

    def include(
        _obj: object, name: str | None, type_: str, _reflected: bool, _other: object
    ) -> bool:
        if type_ == "index" and name in BACKEND_ONLY_INDEXES:
            return BACKEND_ONLY_INDEXES[name] == dialect_name
        return True

    return include


def utcnow() -> datetime:
    """The column default for every timestamp; the time itself comes from the one clock."""
    return clock.now()


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware datetimes stored as UTC; SQLite hands back naive values otherwise."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, _dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def enum_column(enum_cls: type, **kw: object) -> sa.Enum:
    """Enums stored by value as plain strings (no native PG enum: migrations stay simple)."""
    return sa.Enum(
        enum_cls,
        values_callable=lambda e: [m.value for m in e],
        native_enum=False,
        validate_strings=True,
        length=32,
        **kw,
    )
