"""Audit log: every view of personal data and every privileged change leaves a row.

Rows name the subject by type and id plus a label a city auditor reads ("寄附 2026-000001",
"寄附一覧 20件: 2026-000001〜2026-000020"), never by its content (no name, address, e-mail of
a donor), so the log itself holds no personal data.

Rows are append-only: the ORM refuses to update or delete an `AuditEntry` (and on PostgreSQL
a trigger from migration 0017 refuses UPDATE/DELETE on the table).

API: `audit(session, ...)` writes a row in the given session (domain code, jobs, CLI);
`audit_insert(session, ...)` writes the same row at once by one Core INSERT (no ORM object,
no flush) for the pages where every view leaves one (the donor's status page).
Web code uses `portal.web.audit_trail` (`record`, `record_list`, `login_succeeded`,
`login_failed`, `totp_succeeded`, `totp_failed`, `logged_out`), which fills in the signed-in
actor and the client's address.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Required, TypedDict, TypeVar, Unpack

import sqlalchemy as sa
from flask import has_request_context, request
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
    # The subject in words: "寄附 2026-000001", "寄附一覧 20件: 2026-000001〜2026-000020".
    label: Mapped[str] = mapped_column(sa.String(255), default="")
    detail: Mapped[str] = mapped_column(sa.String(255), default="")
    ip: Mapped[str] = mapped_column(sa.String(45), default="")

    __table_args__ = (sa.Index("ix_audit_entry_subject", "subject_type", "subject_id"),)


# subject_type → how to name one subject in words ("寄附 2026-000001"). Domain packages
# register theirs (core does not import them); a row written without a label gets one here.
Labeler = Callable[[Session, str], str | None]
LABELERS: dict[str, Labeler] = {}


def register_label(subject_type: str, labeler: Labeler) -> None:
    LABELERS[subject_type] = labeler


def label_for(session: Session, subject_type: str, subject_id: object) -> str:
    labeler = LABELERS.get(subject_type)
    ref = str(subject_id)
    if labeler is None or ref in ("", "-"):
        return ""
    try:
        return (labeler(session, ref) or "")[:255]
    except (ValueError, LookupError):
        return ""


T = TypeVar("T")


def by_id(model: type[T], word: str, attr: Callable[[T], str]) -> Labeler:
    """A labeler that loads `model` by integer id and names it `word attr(obj)`."""

    def labeler(session: Session, ref: str) -> str | None:
        if not ref.isdigit():
            return None
        with session.no_autoflush:
            obj = session.get(model, int(ref))
        return label_text(word, attr(obj)) if obj is not None else None

    return labeler


def label_text(word: str, name: str) -> str:
    """How a labeler names a row ("寄附 2026-000123"), for a caller that has the name already."""
    return f"{word} {name}"


def request_ip() -> str:
    """The client's address when called during a request (the real one behind a trusted
    proxy once ProxyFix applies), else ""."""
    return (request.remote_addr or "") if has_request_context() else ""


class AuditFields(TypedDict, total=False):
    """What a caller says of one audit row (`audit`, `audit_insert`)."""

    actor: Required[User | None]
    action: Required[str]
    subject_type: Required[str]
    subject_id: Required[object]
    detail: str
    ip: str
    actor_kind: str | None
    actor_ref: str
    label: str


def _values(session: Session, row: AuditFields) -> dict[str, Any]:
    """One audit row's columns, as `audit` and `audit_insert` write them."""
    actor = row["actor"]
    subject_type, subject_id = row["subject_type"], row["subject_id"]
    return {
        "actor_user_id": actor.id if actor is not None else None,
        "actor_kind": row.get("actor_kind") or ("user" if actor is not None else "system"),
        "actor_ref": row.get("actor_ref", ""),
        "action": row["action"],
        "subject_type": subject_type,
        "subject_id": str(subject_id),
        "label": (row.get("label") or label_for(session, subject_type, subject_id))[:255],
        "detail": row.get("detail", "")[:255],
        "ip": row.get("ip") or request_ip(),
    }


def audit(session: Session, **row: Unpack[AuditFields]) -> AuditEntry:
    """Add one audit row to the session (flushed with it)."""
    entry = AuditEntry(**_values(session, row))
    session.add(entry)
    return entry


_INSERT = sa.insert(AuditEntry)  # built once: each call only binds values (Core, on the connection)


def audit_insert(session: Session, **row: Unpack[AuditFields]) -> None:
    """`audit`'s row, written now through the session's connection (so in its transaction,
    committed or rolled back with the request) without an ORM object or a flush."""
    session.connection().execute(_INSERT, {"at": utcnow(), **_values(session, row)})


def list_label(what: str, refs: list[str], total: int | None = None) -> str:
    """One row per list page: "寄附一覧 20件: 2026-000001〜2026-000020" (refs as shown, in order)."""
    count = len(refs) if total is None else total
    if not refs:
        return f"{what} 0件"
    span = refs[0] if len(refs) == 1 else f"{refs[0]}〜{refs[-1]}"
    return f"{what} {count}件: {span}"[:255]


class AuditRowImmutable(RuntimeError):
    """An audit row was about to be changed or deleted: the log is append-only."""


@sa.event.listens_for(AuditEntry, "before_update")
def _refuse_update(*_args: object) -> None:
    raise AuditRowImmutable("audit rows cannot be changed")


@sa.event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(*_args: object) -> None:
    raise AuditRowImmutable("audit rows cannot be deleted")


@sa.event.listens_for(Session, "do_orm_execute")
def _refuse_bulk(state: sa.orm.ORMExecuteState) -> None:
    """Bulk `update(AuditEntry)` / `delete(AuditEntry)` bypass the mapper events."""
    if (state.is_update or state.is_delete) and any(
        getattr(m, "class_", None) is AuditEntry for m in state.all_mappers
    ):
        raise AuditRowImmutable("audit rows cannot be changed or deleted")
