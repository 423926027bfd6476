"""One guard per audience blueprint: anonymous users go to login, wrong roles get 403."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user

from portal.core.roles import BLUEPRINT_ROLES, Role


def safe_next(target: str | None) -> str | None:
    """Only a local path may be a redirect target (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def guard(bp: Blueprint) -> None:
    roles: frozenset[Role] = BLUEPRINT_ROLES[bp.name]

    @bp.before_request
    def _check_role() -> object:
        if not current_user.is_authenticated:
            path = request.full_path if request.query_string else request.path
            return redirect(url_for("auth.login", next=path))
        if current_user.role not in roles:
            abort(403)
        return None
