"""Who may enter and act: one guard per audience blueprint (anonymous users go to login, wrong
roles get 403) and `@requires(rule)` on every route that changes something, built from the
named rules in portal/core/roles.py. Ownership is not checked here: scoped queries do that
(another supplier's order is simply not found)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, redirect, request, url_for
from flask_login import current_user

from portal.core.roles import BLUEPRINT_ROLES, Role

F = TypeVar("F", bound=Callable[..., Any])


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


def requires(
    rule: Callable[[Any], bool], *, methods: Iterable[str] | None = None
) -> Callable[[F], F]:
    """Declare the rule a route needs; a user it refuses gets the translated 403 page before
    the view runs. `methods` limits it to those methods (a page whose GET every staff member
    may read and whose POST only some may send). The rule is kept on the view
    (`view.required_rule`) for the access test and for templates."""
    limited = frozenset(m.upper() for m in methods) if methods else None

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if (limited is None or request.method in limited) and not rule(current_user):
                abort(403)
            return view(*args, **kwargs)

        checked.required_rule = rule  # type: ignore[attr-defined]
        checked.rule_methods = limited  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def may(endpoint: str, method: str = "GET") -> bool:
    """For templates: may the signed-in user use this route? The same rule the route declares,
    so a screen shows a role only the buttons and links it may use."""
    from flask import current_app

    view = current_app.view_functions.get(endpoint)
    rule = getattr(view, "required_rule", None)
    if rule is None:
        return True
    methods = getattr(view, "rule_methods", None)
    if methods is not None and method.upper() not in methods:
        return True
    return bool(current_user.is_authenticated and rule(current_user))


def no_store(response: Response) -> Response:
    """Every answer of an audience with personal data (pages, chat polls, attachments, receipt
    PDFs, exports) is never stored by a browser or a proxy. Each audience's blueprint
    registers this once; it overrides what send_file or a view set (send_file's default,
    no-cache, lets the file be stored)."""
    response.headers["Cache-Control"] = "no-store, private"
    return response
