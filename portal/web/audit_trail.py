"""The audit trail as the web layer writes it: who (the signed-in user, or a donor session),
what (an action and a subject in words a city auditor reads), when, and from where
(`request.remote_addr`, the real client behind a trusted proxy once ProxyFix applies).

    record("view", "donation", d.id, label=f"寄附 {d.donation_no}")
    record_list("donation", "寄附一覧", [d.donation_no for d in rows], total=page.total)
    login_succeeded(user) / login_failed(email_user_or_none) / totp_succeeded(user) / ...

Login events are kept even when the request's unit of work rolls back (a refused login
answers 4xx): `keep=True` re-adds the row after the rollback and commits it alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import g, has_request_context, request
from flask_login import current_user

from portal.core.audit import AuditEntry, audit, list_label
from portal.extensions import db

if TYPE_CHECKING:
    from portal.accounts.models import User

_KEEP = "_audit_keep"


def _ip() -> str:
    return (request.remote_addr or "") if has_request_context() else ""


def _actor() -> User | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user  # type: ignore[return-value]
    return None


def record(
    action: str,
    subject_type: str,
    subject_id: object = "-",
    *,
    label: str = "",
    detail: str = "",
    actor: User | None = None,
    actor_kind: str | None = None,
    actor_ref: str = "",
    keep: bool = False,
) -> AuditEntry:
    """One audit row for this request, by the signed-in user (or `actor`), from its address."""
    who = actor if actor is not None else _actor()
    entry = audit(
        db.session,
        actor=who,
        actor_kind=actor_kind,
        actor_ref=actor_ref,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        label=label,
        detail=detail,
        ip=_ip(),
    )
    if keep and has_request_context():
        g.setdefault(_KEEP, []).append(
            (
                entry,
                {
                    c: getattr(entry, c)
                    for c in (
                        "actor_user_id",
                        "actor_kind",
                        "actor_ref",
                        "action",
                        "subject_type",
                        "subject_id",
                        "label",
                        "detail",
                        "ip",
                    )
                },
            )
        )
    return entry


def record_list(
    subject_type: str,
    what: str,
    refs: list[str],
    *,
    total: int | None = None,
    detail: str = "",
    action: str = "list",
) -> AuditEntry:
    """One row per list page with personal data: "寄附一覧 20件: 2026-000001〜2026-000020"."""
    return record(action, subject_type, "-", label=list_label(what, refs, total), detail=detail)


def restore_kept() -> None:
    """Called by the unit of work before its commit: kept rows that a rollback inside the
    request dropped (a failed password rolls back the attempt) are added again."""
    for entry, values in g.pop(_KEEP, []):
        if entry not in db.session:
            db.session.add(AuditEntry(**values))


def rewrite_kept_after_rollback() -> None:
    """Called by the unit of work after its rollback: the kept rows are written on their own."""
    kept = g.pop(_KEEP, None)
    if not kept:
        return
    for _entry, values in kept:
        db.session.add(AuditEntry(**values))
    db.session.commit()


# Logins ----------------------------------------------------------------------------------
# Stored in the log's language (Japanese), as the labels are: the row is a record.
STEP_WORDS = {"password": "パスワード確認済", "totp": "確認コード確認済"}
REASON_WORDS = {
    "password": "パスワードの誤り",
    "locked": "試行回数の上限",
    "code": "確認コードの誤り",
    "enrol": "確認コードアプリ登録の失敗",
}
# Subject: the account ("user", id). A failed login for an address that has no account names
# no one: the typed address is personal data and is not stored.


def login_succeeded(user: User, *, step: str = "password") -> AuditEntry:
    """`step`: "password" (the password was right; a TOTP step may follow) or "totp"."""
    return record(
        "login.succeeded",
        "user",
        user.id,
        label=f"アカウント {user.id}",
        detail=STEP_WORDS.get(step, step),
        actor=user,
        keep=True,
    )


def login_failed(user: User | None, *, reason: str = "password") -> AuditEntry:
    """A wrong password (`user` = the account if the address has one), or a locked-out try."""
    return record(
        "login.failed",
        "user",
        user.id if user is not None else "-",
        label=f"アカウント {user.id}" if user is not None else "不明なアカウント",
        detail=REASON_WORDS.get(reason, reason),
        actor=user,
        keep=True,
    )


def totp_succeeded(user: User) -> AuditEntry:
    return record(
        "login.totp_succeeded",
        "user",
        user.id,
        label=f"アカウント {user.id}",
        actor=user,
        keep=True,
    )


def totp_failed(user: User, *, reason: str = "code") -> AuditEntry:
    return record(
        "login.totp_failed",
        "user",
        user.id,
        label=f"アカウント {user.id}",
        detail=REASON_WORDS.get(reason, reason),
        actor=user,
        keep=True,
    )


def logged_out(user: User) -> AuditEntry:
    return record("logout", "user", user.id, label=f"アカウント {user.id}", actor=user, keep=True)
